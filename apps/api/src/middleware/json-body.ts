import { AppError, parseOrThrow } from "@orders/domain";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type * as v from "valibot";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** Reads a JSON body: 415 for another media type, 400 for malformed JSON or a body failing `schema`. */
export async function readJson<S extends v.GenericSchema>(c: Context, schema: S, what: string): Promise<v.InferOutput<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type.trim())) throw new HTTPException(415, { message: "the body must be application/json" });
  const text = await c.req.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError("VALIDATION_FAILED", "the body is not valid JSON", { issues: [{ pointer: "/", detail: "malformed JSON" }] });
  }
  return parseOrThrow(schema, json, what);
}
