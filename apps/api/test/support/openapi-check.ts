import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { buildOpenApiDocument } from "../../src/openapi/document.ts";

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/**
 * Validates responses against the OpenAPI document the API serves: the status must be
 * documented for the operation, the media type must match, and a JSON body must satisfy
 * the schema. Paths not in the document must answer problem+json.
 */
export function createResponseChecker() {
  const doc = buildOpenApiDocument() as unknown as Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: "openapi.json", components: doc.components });
  const templates = Object.keys(doc.paths).map((p) => ({
    path: p,
    re: new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    literal: !p.includes("{"),
  }));
  const rewrite = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'));
  const cache = new Map<string, ReturnType<Ajv2020["compile"]>>();
  let checked = 0;

  const check = (method: string, url: string, status: number, contentType: string, body: string): void => {
    checked++;
    const path = new URL(url, "http://x").pathname;
    const template = templates.find((t) => t.literal && t.re.test(path)) ?? templates.find((t) => t.re.test(path));
    const op = template ? doc.paths[template.path]?.[method.toLowerCase()] : undefined;
    if (!op) {
      if (status >= 400 && !contentType.startsWith("application/problem+json")) {
        throw new Error(`${method} ${path} → ${status} is not problem+json (${contentType})`);
      }
      if (status >= 400) validate("problem", { $ref: "openapi.json#/components/schemas/Problem" }, JSON.parse(body), `${method} ${path}`);
      return;
    }
    const response = op.responses[String(status)];
    if (!response) throw new Error(`${method} ${template?.path} → ${status} is not documented`);
    const media = contentType.split(";")[0]?.trim() ?? "";
    if (!response.content) return;
    const entry = response.content[media];
    if (!entry) throw new Error(`${method} ${template?.path} → ${status} has undocumented media type ${media}`);
    if (media.endsWith("json"))
      validate(`${method} ${template?.path} ${status}`, rewrite(entry.schema), JSON.parse(body), `${method} ${path}`);
  };

  const validate = (key: string, schema: unknown, value: unknown, what: string) => {
    let fn = cache.get(key);
    if (!fn) {
      fn = ajv.compile(schema as object);
      cache.set(key, fn);
    }
    if (!fn(value))
      throw new Error(`${what}: response does not match the OpenAPI schema: ${ajv.errorsText(fn.errors)}\n${JSON.stringify(value)}`);
  };

  return { check, count: () => checked };
}
