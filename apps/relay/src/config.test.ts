import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { IDLE_IN_TRANSACTION_MARGIN_MS, publishBoundMs, RelayConfigSchema, relayIdleInTransactionTimeoutMs } from "./config.ts";

const parse = (env: Record<string, string>) => v.safeParse(RelayConfigSchema, env);

describe("relay session bounds", () => {
  it("derives the idle-in-transaction timeout from the longest bounded send", () => {
    const result = parse({});
    expect(result.success).toBe(true);
    const config = result.output as v.InferOutput<typeof RelayConfigSchema>;
    // 4 attempts of 30 s and 3 back-offs of at most 2 s.
    expect(publishBoundMs(config)).toBe(126_000);
    expect(relayIdleInTransactionTimeoutMs(config)).toBe(126_000 + IDLE_IN_TRANSACTION_MARGIN_MS);
  });

  it("refuses an idle-in-transaction timeout the claim transaction could outlive during a send", () => {
    const refused = parse({ DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: "15000" });
    expect(refused.success).toBe(false);
    expect(refused.issues?.[0]?.path?.[0]?.key).toBe("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS");
    const accepted = parse({ DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: "20000", RELAY_SEND_TIMEOUT_MS: "3000", RELAY_SEND_RETRIES: "2" });
    expect(accepted.success).toBe(true);
    expect(relayIdleInTransactionTimeoutMs(accepted.output as v.InferOutput<typeof RelayConfigSchema>)).toBe(20_000);
  });
});
