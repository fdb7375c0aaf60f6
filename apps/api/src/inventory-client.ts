import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { AppError, ExternalIdSchema, type Money, MoneySchema, parseMoney } from "@orders/domain";
import { inSpan, SpanKind, traceparentOf } from "@orders/runtime";
import { BrokenCircuitError, type IPolicy, TaskCancelledError } from "cockatiel";
import * as v from "valibot";
import { withHeaders } from "./middleware/problem.ts";

export interface QuoteLine {
  readonly productId: string;
  readonly quantity: number;
}

export interface Quote {
  readonly currency: string;
  readonly lines: readonly (QuoteLine & { readonly unitPrice: Money })[];
}

export interface InventoryClient {
  /** Checks stock and prices the lines; throws UNKNOWN_PRODUCT / INSUFFICIENT_STOCK / DEPENDENCY_UNAVAILABLE. */
  quote(lines: readonly QuoteLine[], signal?: AbortSignal): Promise<Quote>;
}

const QuoteResponseSchema = v.object({
  currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
  lines: v.array(v.object({ productId: ExternalIdSchema, quantity: v.number(), unitPrice: MoneySchema })),
});
const RefusalSchema = v.object({ code: v.picklist(["UNKNOWN_PRODUCT", "INSUFFICIENT_STOCK"]), productIds: v.array(v.string()) });

const unavailable = (message: string, retriable: boolean, cause?: unknown) =>
  new AppError("DEPENDENCY_UNAVAILABLE", message, { retriable, cause });

/**
 * One POST of a JSON body over node:http on a keep-alive agent: status and parsed body
 * (undefined when not JSON). Rejects on connection errors and when `signal` aborts. Chosen
 * over fetch (undici): its Request/Headers/WebStreams objects cost ~0.3 ms of CPU per call in
 * bench/api, on the same 2 cores as the database.
 */
/**
 * node:http is not instrumented here (ESM binds its exports before an instrumentation could patch
 * them): each attempt gets its client span and sends that span's traceparent itself.
 */
function postJson(url: URL, agent: HttpAgent, body: string, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
  return inSpan(
    "inventory check-and-quote",
    { kind: SpanKind.CLIENT, attributes: { "http.request.method": "POST", "url.full": url.href } },
    async (span) => {
      const answer = await postJsonUntraced(url, agent, body, signal, traceparentOf());
      span.setAttribute("http.response.status_code", answer.status);
      return answer;
    },
  );
}

function postJsonUntraced(
  url: URL,
  agent: HttpAgent,
  body: string,
  signal: AbortSignal,
  traceparent: string | null,
): Promise<{ status: number; body: unknown }> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  const trace = traceparent ? { traceparent } : {};
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        signal,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), accept: "application/json", ...trace },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("close", () => {
          if (!res.complete) reject(new Error("inventory response cut short"));
        });
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * HTTP client of the Inventory service's check-and-quote (`POST {baseUrl}/quotes`) behind the
 * cockatiel `policy` built in src/policies.ts. Transient failures (connection errors, timeouts,
 * 5xx, 429) are `retriable` and feed the breaker; a 422 refusal is a business answer and does not.
 */
export function createInventoryClient(options: { baseUrl: string; policy: IPolicy; breakerRetryAfterSeconds: number }): InventoryClient {
  const url = new URL("quotes", options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`);
  const agent = url.protocol === "https:" ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });

  const attempt = async (lines: readonly QuoteLine[], signal: AbortSignal): Promise<Quote> => {
    let res: { status: number; body: unknown };
    try {
      res = await postJson(
        url,
        agent,
        JSON.stringify({ items: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) }),
        signal,
      );
    } catch (error) {
      throw unavailable("inventory service unreachable", true, error);
    }
    const { body } = res;
    if (res.status === 422) {
      const refusal = v.safeParse(RefusalSchema, body);
      if (refusal.success) {
        const { code, productIds } = refusal.output;
        const bad = new Set(productIds);
        const issues = lines.flatMap((l, i) =>
          bad.has(l.productId)
            ? [{ pointer: `/items/${i}/productId`, detail: code === "UNKNOWN_PRODUCT" ? "unknown product" : "not enough stock" }]
            : [],
        );
        throw new AppError(code, code === "UNKNOWN_PRODUCT" ? "unknown product" : "not enough stock", { issues });
      }
    }
    if (res.status >= 500 || res.status === 429) throw unavailable(`inventory service answered ${res.status}`, true);
    if (res.status < 200 || res.status > 299) throw unavailable(`inventory service answered ${res.status}`, false);
    const parsed = v.safeParse(QuoteResponseSchema, body);
    if (!parsed.success) throw unavailable("inventory service sent an invalid quote", false);
    const byId = new Map(parsed.output.lines.map((l) => [l.productId, l]));
    const quoted = lines.map((l) => {
      const q = byId.get(l.productId);
      if (!q || q.quantity !== l.quantity) throw unavailable("inventory quote does not match the request", false);
      return { productId: l.productId, quantity: l.quantity, unitPrice: parseMoney(q.unitPrice) };
    });
    return { currency: parsed.output.currency, lines: quoted };
  };

  return {
    quote: async (lines, signal) => {
      try {
        return await options.policy.execute(({ signal: attemptSignal }) =>
          attempt(lines, signal ? AbortSignal.any([signal, attemptSignal]) : attemptSignal),
        );
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw withHeaders(unavailable("inventory service unavailable (circuit open)", true, error), {
            "Retry-After": String(options.breakerRetryAfterSeconds),
          });
        }
        if (error instanceof TaskCancelledError) throw unavailable("inventory service timed out", true, error);
        throw error;
      }
    },
  };
}
