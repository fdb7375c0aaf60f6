import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";

const MONEY_PATTERN = "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$";

/** Drops keys JSON Schema would misread after a valibot transform (e.g. `minimum` on a string). */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(node)) {
    if (k === "$schema") continue;
    out[k] = clean(val);
  }
  if (out.type === "string") {
    delete out.minimum;
    delete out.maximum;
  }
  return out;
}

/**
 * valibot → JSON Schema 2020-12 (the dialect of OpenAPI 3.1). `check()` predicates have no
 * JSON Schema form and are dropped (errorMode "ignore"); money is restated as its regex.
 */
export function schemaOf(schema: v.GenericSchema, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const generated = clean(toJsonSchema(schema, { errorMode: "ignore", target: "draft-2020-12" })) as Record<string, unknown>;
  return { ...patchMoney(generated), ...extra };
}

const MONEY_FIELDS = new Set(["unitPrice", "totalAmount", "lineTotal"]);
function patchMoney(node: Record<string, unknown>): Record<string, unknown> {
  const walk = (n: unknown, key?: string): unknown => {
    if (Array.isArray(n)) return n.map((x) => walk(x));
    if (n === null || typeof n !== "object") return n;
    if (key !== undefined && MONEY_FIELDS.has(key))
      return { type: "string", pattern: MONEY_PATTERN, description: 'decimal string, e.g. "123.45"' };
    return Object.fromEntries(
      Object.entries(n).map(([k, val]) =>
        k === "properties"
          ? [k, Object.fromEntries(Object.entries(val as Record<string, unknown>).map(([pk, pv]) => [pk, walk(pv, pk)]))]
          : [k, walk(val)],
      ),
    );
  };
  return walk(node) as Record<string, unknown>;
}
