import { spawn } from "node:child_process";
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase, dropDatabase, loadMigrations, MIGRATIONS_DIR, migrate } from "../src/index.ts";
import { postgresServerUrl } from "./database.ts";

const server = postgresServerUrl();
const created: string[] = [];
async function emptyDatabase(label: string): Promise<string> {
  const name = `mig_${label}_${Math.random().toString(16).slice(2, 10)}`;
  created.push(name);
  return createDatabase(server, name);
}
afterAll(async () => {
  for (const name of created) await dropDatabase(server, name);
});

const cli = fileURLToPath(new URL("../src/migrate-cli.ts", import.meta.url));
function runCli(url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli], { env: { ...process.env, DATABASE_URL: url }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("migration runner", () => {
  it("applies every migration once when six processes start at the same time", async () => {
    const url = await emptyDatabase("concurrent");
    const results = await Promise.all(Array.from({ length: 6 }, () => runCli(url)));
    for (const r of results) expect(r.code, r.out).toBe(0);
    const reports = results.map((r) => JSON.parse(r.out.trim().split("\n").at(-1) as string) as { applied: number[] });
    const all = (await loadMigrations()).map((m) => m.version);
    // Exactly one process applied everything; the others found it done.
    expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
    expect(reports.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual(all);

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query("SELECT version FROM schema_migrations ORDER BY version");
    await c.end();
    expect(rows.map((r) => r.version)).toEqual(all);
  });

  it("is a no-op the second time", async () => {
    const url = await emptyDatabase("rerun");
    const first = await migrate(url);
    const second = await migrate(url);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(second.applied).toEqual([]);
  });

  it("rolls back a failing migration completely and records nothing", async () => {
    const url = await emptyDatabase("failing");
    const dir = `${await mkdtemp(join(tmpdir(), "migs-"))}/`;
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await writeFile(`${dir}9999_broken.sql`, "CREATE TABLE half_done (id int); SELECT 1/0;");
    await expect(migrate(url, dir)).rejects.toMatchObject({ code: "22012" });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query(
      "SELECT to_regclass('half_done') AS t, to_regclass('orders') AS o, to_regclass('schema_migrations') AS m",
    );
    await c.end();
    expect(rows[0]).toEqual({ t: null, o: null, m: null });
  });

  it("refuses to run when an applied migration file was edited", async () => {
    const url = await emptyDatabase("edited");
    const dir = `${await mkdtemp(join(tmpdir(), "migs-"))}/`;
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await migrate(url, dir);
    await writeFile(`${dir}0003_processed_messages.sql`, "-- edited\nSELECT 1;");
    await expect(migrate(url, dir)).rejects.toThrow(/changed after it was applied/);
  });
});
