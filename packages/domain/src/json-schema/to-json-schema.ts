import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { MONEY_MAX } from "../money.ts";
import { CONSUMED_EVENT_SCHEMAS, PRODUCED_EVENT_SCHEMAS } from "../schemas/events.ts";
import { CreateOrderRequestSchema } from "../schemas/order-request.ts";

/**
 * valibot `check()` predicates have no JSON Schema form; `errorMode: "ignore"` drops them and
 * the regex/length/enum parts carry over. The money pattern is restated as a regex here so the
 * generated schema still rejects floats and 3-decimal strings.
 */
const MONEY_JSON = {
  type: "string",
  pattern: "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$",
  description: `decimal string, at most 2 fractional digits, ≤ ${MONEY_MAX}`,
} as const;

const MONEY_FIELDS = new Set(["unitPrice", "totalAmount", "amount", "price"]);

function patchMoney(node: unknown, key?: string): unknown {
  if (Array.isArray(node)) return node.map((n) => patchMoney(n));
  if (node === null || typeof node !== "object") return node;
  if (key !== undefined && MONEY_FIELDS.has(key)) return { ...MONEY_JSON };
  return Object.fromEntries(Object.entries(node).map(([k, val]) => [k, k === "properties" ? patchProps(val) : patchMoney(val)]));
}
const patchProps = (props: unknown) =>
  Object.fromEntries(Object.entries(props as Record<string, unknown>).map(([k, val]) => [k, patchMoney(val, k)]));

export function jsonSchemaOf(schema: v.GenericSchema, title: string): Record<string, unknown> {
  const generated = toJsonSchema(schema, { errorMode: "ignore", target: "draft-2020-12" }) as Record<string, unknown>;
  return { ...(patchMoney(generated) as Record<string, unknown>), title };
}

export function allJsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {
    CreateOrderRequest: jsonSchemaOf(CreateOrderRequestSchema, "CreateOrderRequest"),
  };
  for (const [name, schema] of Object.entries({ ...PRODUCED_EVENT_SCHEMAS, ...CONSUMED_EVENT_SCHEMAS })) {
    out[name] = jsonSchemaOf(schema, name);
  }
  return out;
}
