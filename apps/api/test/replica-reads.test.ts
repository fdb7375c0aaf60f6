import { createPool, migrate, type Pool } from "@orders/db";
import { type LocalPostgres, type LocalStandby, startLocalPostgres } from "@orders/local-postgres";
import { createLogger } from "@orders/runtime";
import { placeOrder } from "@orders/testkit";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiConfigSchema } from "../src/config.ts";
import { type ApiInstance, createApi } from "../src/wiring.ts";
import { AUDIENCE, ISSUER, SECRET, token } from "./support/tokens.ts";

// Issue 17: with DATABASE_READ_URL the API reads an order's detail and a customer's list from a
// real streaming replica. Proof: the standby's replay is paused, the primary changes, and the
// API answers with the replica's (older) view — except where the caller asks for its own write.
let primary: LocalPostgres;
let standby: LocalStandby;
let pool: Pool;
let withReplica: ApiInstance;
let withoutReplica: ApiInstance;
let alice: string;

const apiFor = (env: Record<string, string>) => {
  const config = v.parse(ApiConfigSchema, {
    DATABASE_URL: primary.url,
    JWT_SECRET: SECRET,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    RATE_LIMIT_ENABLED: "false",
    ...env,
  });
  return createApi(config, createLogger({ service: "api-test", level: "silent" }));
};

const onStandby = async (text: string) => {
  const p = createPool({ connectionString: standby.url, max: 1, applicationName: "replica-test" });
  try {
    return (await p.query(text)).rows;
  } finally {
    await p.end();
  }
};
const pauseReplay = async () => {
  await onStandby("SELECT pg_wal_replay_pause()");
  await expect.poll(async () => (await onStandby("SELECT pg_get_wal_replay_pause_state() AS s"))[0]?.s, { timeout: 30_000 }).toBe("paused");
};
const resumeReplay = () => onStandby("SELECT pg_wal_replay_resume()");

const get = async (api: ApiInstance, path: string, headers: Record<string, string> = {}) => {
  const res = await api.app.request(path, { headers: { authorization: `Bearer ${alice}`, ...headers } });
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON bodies
  return { status: res.status, json: (await res.json()) as any };
};
const address = async (api: ApiInstance, id: string, headers: Record<string, string> = {}) =>
  (await get(api, `/api/orders/${id}`, headers)).json.shippingAddress;
const listed = async (api: ApiInstance) => (await get(api, "/api/orders/user/alice?limit=100")).json.items.map((o: { id: string }) => o.id);

beforeAll(async () => {
  primary = await startLocalPostgres();
  await migrate(primary.url);
  standby = await primary.startStandby();
  pool = createPool({ connectionString: primary.url, max: 2, applicationName: "replica-test-writer" });
  withReplica = apiFor({ DATABASE_READ_URL: standby.url });
  withoutReplica = apiFor({});
  alice = await token("alice");
}, 180_000);

afterAll(async () => {
  for (const api of [withReplica, withoutReplica]) {
    await api?.pool.end();
    await api?.replicaPool?.end();
    await api?.readPool?.end();
  }
  await pool?.end();
  await standby?.stop();
  await primary?.stop();
});

describe("reads from a streaming replica (DATABASE_READ_URL)", () => {
  it("serves an order's detail and a customer's list from the replica", async () => {
    expect(withReplica.replicaPool).not.toBeNull();
    const id = await placeOrder(pool, { userId: "alice" });
    await standby.caughtUp();
    await pauseReplay();
    try {
      // Only the primary sees these two changes until replay resumes.
      await pool.query("UPDATE orders SET shipping_address = 'moved on the primary' WHERE id = $1", [id]);
      const newer = await placeOrder(pool, { userId: "alice" });

      expect(await address(withReplica, id)).toBe("Bhubaneswar");
      expect(await listed(withReplica)).toEqual([id]);
      // The caller's own write (docs/api.md X-Min-Version) and an order the replica lacks: the primary.
      expect(await address(withReplica, id, { "x-min-version": "2" })).toBe("moved on the primary");
      expect((await get(withReplica, `/api/orders/${newer}`)).status).toBe(200);
      expect(
        (await onStandby("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'order-api-replica'"))[0]?.n,
      ).toBeGreaterThan(0);

      // Without DATABASE_READ_URL the same reads see the primary.
      expect(withoutReplica.replicaPool).toBeNull();
      expect(await address(withoutReplica, id)).toBe("moved on the primary");
      expect(await listed(withoutReplica)).toEqual([newer, id]);
    } finally {
      await resumeReplay();
    }
    await standby.caughtUp();
    expect(await address(withReplica, id)).toBe("moved on the primary");
    expect((await listed(withReplica)).length).toBe(2);
  });
});
