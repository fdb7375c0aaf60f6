import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startLocalPostgres } from "../src/index.ts";

const gone = (path: string) =>
  stat(path).then(
    () => false,
    () => true,
  );
async function waitUntil(check: () => Promise<boolean>, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
const accepts = async (url: string) => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  // A server shutting down while we are connected sends FATAL 57P01 as an 'error' event.
  c.on("error", () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
};

describe("local PostgreSQL", () => {
  it("runs a real server with logical WAL and removes its data on stop", async () => {
    const server = await startLocalPostgres();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query("SELECT current_setting('wal_level') AS wal, version() AS v");
    await client.end();
    expect(rows[0].wal).toBe("logical");
    expect(rows[0].v).toMatch(/^PostgreSQL \d+/);
    await server.stop();
    expect(await gone(server.dataDir)).toBe(true);
    expect(await accepts(server.url)).toBe(false);
  });

  it("starts on another port when the probed one is taken before postgres binds it", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const taken = (squatter.address() as { port: number }).port;
    try {
      const server = await startLocalPostgres({ preferredPort: taken });
      expect(server.port).not.toBe(taken);
      expect(await accepts(server.url)).toBe(true);
      await server.stop();
      expect(await gone(server.dataDir)).toBe(true);
    } finally {
      squatter.close();
    }
  });

  it("stops the server and cleans up when its owner process is SIGKILLed", async () => {
    const script = fileURLToPath(new URL("./fixtures/hold-server.ts", import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString())));
    const { url, dataDir } = JSON.parse(line) as { url: string; dataDir: string };
    expect(await accepts(url)).toBe(true);
    child.kill("SIGKILL");
    expect(await waitUntil(async () => !(await accepts(url)) && (await gone(dataDir)))).toBe(true);
  });
});
