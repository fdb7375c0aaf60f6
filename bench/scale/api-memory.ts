/**
 * bench/scale/api-memory.ts (`node bench/scale/api-memory.ts`): the API's peak RSS (VmHWM) under
 * 12 s of POST /api/orders then 12 s of GET /api/orders/{id} from 16 concurrent fetch loops,
 * started without heap flags and with its node-options file (issue 17 item 4). Requests done are
 * printed for context only: the load generator shares the cores.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { migrate } from "@orders/db";
import { startLocalPostgres } from "@orders/local-postgres";
import { startInventorySimulator } from "@orders/simulators";
import { hs256Token, nodeOptionsOf, REPO_ROOT, warmCompileCache } from "@orders/stack";

const SECRET = "bench-secret-0123456789abcdef0123456789";
const pg = await startLocalPostgres();
await migrate(pg.url);
const inv = await startInventorySimulator();
const MAIN = `${REPO_ROOT}apps/api/src/main.ts`;
async function run(flags: string[]) {
  const child = spawn(process.execPath, [...flags, MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: pg.url,
      PORT: "0",
      HOST: "127.0.0.1",
      JWT_SECRET: SECRET,
      INVENTORY_URL: inv.url,
      RATE_LIMIT_ENABLED: "false",
      LOG_LEVEL: "warn",
      DATABASE_POOL_MAX: "16",
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const url = await new Promise<string>((resolve) => child.on("message", (m: { url?: string }) => m?.url && resolve(m.url)));
  const token = hs256Token(SECRET, "u1");
  const ids: string[] = [];
  let n = 0;
  const post = async () => {
    const r = await fetch(`${url}/api/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": `k${n++}-${Math.random()}` },
      body: JSON.stringify({
        userId: "u1",
        items: [
          { productId: "abc", quantity: 1 },
          { productId: "sku-1", quantity: 2 },
          { productId: "sku-2", quantity: 1 },
        ],
        shippingAddress: "Bhubaneswar",
        paymentMethod: "card",
      }),
    });
    const j = (await r.json()) as { id: string };
    if (r.status === 201) ids.push(j.id);
  };
  const get = async () => {
    const id = ids[Math.floor(Math.random() * ids.length)];
    await (await fetch(`${url}/api/orders/${id}`, { headers: { authorization: `Bearer ${token}` } })).text();
  };
  const phase = async (fn: () => Promise<void>, ms: number) => {
    const end = Date.now() + ms;
    let c = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (Date.now() < end) {
          await fn();
          c++;
        }
      }),
    );
    return c;
  };
  const posts = await phase(post, 12_000);
  const gets = await phase(get, 12_000);
  const hwm = /VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, "utf8"))?.[1];
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  console.log(
    `flags [${flags.join(" ")}]: ${posts} POST + ${gets} GET in 2×12 s; API peak RSS ${(Number(hwm) / 1024).toFixed(0)} MB; load ${(await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ")}`,
  );
}
await run([]);
// As the image does at build time: the compile cache (node-options) is warm when the API starts.
warmCompileCache("apps/api/src/main.ts");
await run(nodeOptionsOf("apps/api/src/main.ts"));
await inv.close();
await pg.stop();
process.exit(0);
