import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type RunningInventory, startInventorySimulator } from "@orders/simulators";
import { freshDatabase, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderBody } from "./support/harness.ts";
import { AUDIENCE, ISSUER, SECRET, token } from "./support/tokens.ts";

/* The real process (src/main.ts): configuration errors, graceful SIGTERM, and a SIGKILL mid-request. */
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
let db: TestDatabase;
let sim: RunningInventory;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  db = await freshDatabase("process");
  sim = await startInventorySimulator();
});
afterAll(async () => {
  await sim.close();
  await db.drop();
});

const baseEnv = () => ({
  PATH: process.env.PATH ?? "",
  DATABASE_URL: db.url,
  JWT_SECRET: SECRET,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  INVENTORY_URL: sim.url,
  PORT: "0",
  HOST: "127.0.0.1",
  IDEMPOTENCY_LEASE_MS: "1000",
  INVENTORY_TIMEOUT_MS: "5000",
  LOG_LEVEL: "info",
});

interface Proc {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exit: Promise<{ code: number | null; stderr: string }>;
}

async function start(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      // One JSON object per line; the start-up line names the URL.
      const line = out.split("\n").find((l) => l.includes('"msg":"api listening"'));
      const m = line ? /"url":"([^"]+)"/.exec(line) : null;
      if (m?.[1]) resolve(m[1]);
    });
    void exit.then(({ code }) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, url, exit };
}

const postOrder = async (url: string, key: string) =>
  fetch(`${url}/api/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${await token("proc")}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(orderBody("proc")),
  });

describe("apps/api process", () => {
  it("exits 1 naming the bad variable when the configuration is invalid", async () => {
    const env = { ...baseEnv(), JWT_ALG: "RS256" };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(1);
    expect(stderr).toMatch(/JWT_ALG/);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("finishes an in-flight request on SIGTERM, then exits 0", async () => {
    const p = await start(baseEnv());
    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
    sim.faults.update({ latencyMs: 400 });
    const pending = postOrder(p.url, "term-1");
    await sleep(150);
    p.child.kill("SIGTERM");
    const res = await pending;
    sim.faults.update({ latencyMs: 0 });
    expect(res.status).toBe(201);
    expect((await p.exit).code).toBe(0);
  });

  it("recovers from a SIGKILL mid-request: the retry creates the order exactly once", async () => {
    const first = await start(baseEnv());
    sim.faults.update({ latencyMs: 800 });
    const doomed = postOrder(first.url, "kill-1").catch(() => null);
    await sleep(300); // the key is claimed, the quote is in flight
    first.child.kill("SIGKILL");
    await first.exit;
    await doomed;
    sim.faults.update({ latencyMs: 0 });
    const { rows: keys } = await db.pool.query("SELECT state FROM idempotency_keys WHERE key = 'kill-1'");
    expect(keys).toEqual([{ state: "IN_FLIGHT" }]);

    const second = await start(baseEnv());
    try {
      let res = await postOrder(second.url, "kill-1");
      for (let i = 0; i < 20 && res.status === 409; i++) {
        await sleep(200); // until the dead request's lease expires
        res = await postOrder(second.url, "kill-1");
      }
      expect(res.status).toBe(201);
      const replay = await postOrder(second.url, "kill-1");
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      const { rows } = await db.pool.query(
        "SELECT count(*)::int AS n FROM orders o JOIN idempotency_keys k ON k.order_id = o.id WHERE k.key = 'kill-1'",
      );
      expect(rows[0].n).toBe(1);
    } finally {
      second.child.kill("SIGTERM");
      expect((await second.exit).code).toBe(0);
    }
  });
});
