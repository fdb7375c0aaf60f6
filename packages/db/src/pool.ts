import pg from "pg";

// NUMERIC arrives as a string by default (money stays exact); int8 too. Keep both as strings:
// sequences are compared in SQL, and COUNT(*) results are converted where small enough.
export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient | pg.Client;

/**
 * Server-side bounds on every session of a pool (docs/configuration.md, D-OPS-1 in
 * docs/decisions.md). 0 leaves the server's default (no limit).
 */
export interface SessionTimeouts {
  /** Longest single statement (`statement_timeout`). */
  readonly statementTimeoutMs?: number;
  /** Longest wait for a row or table lock (`lock_timeout`). */
  readonly lockTimeoutMs?: number;
  /**
   * Longest time a session may sit inside a transaction between statements
   * (`idle_in_transaction_session_timeout`): the server ends such a session, so a paused or
   * hung process cannot hold its locks and the xmin horizon back for long.
   */
  readonly idleInTransactionTimeoutMs?: number;
}

export interface PoolOptions extends SessionTimeouts {
  readonly connectionString: string;
  readonly max?: number;
  readonly applicationName?: string;
  /** How long a checkout waits for a new connection before failing (a server that does not answer). */
  readonly connectionTimeoutMs?: number;
}

export const DEFAULT_SESSION_TIMEOUTS = {
  statementTimeoutMs: 30_000,
  lockTimeoutMs: 10_000,
  idleInTransactionTimeoutMs: 15_000,
} as const satisfies SessionTimeouts;

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "order-service",
    // Sent in the start-up packet: in force before the first statement of every connection.
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_SESSION_TIMEOUTS.statementTimeoutMs,
    lock_timeout: options.lockTimeoutMs ?? DEFAULT_SESSION_TIMEOUTS.lockTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? DEFAULT_SESSION_TIMEOUTS.idleInTransactionTimeoutMs,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the process;
  // the pool discards it and the next checkout reconnects.
  pool.on("error", () => {});
  // pg-pool takes its own 'error' listener off a client while it is checked out, and a client
  // whose server goes away between two statements (a restart, the idle-in-transaction timeout,
  // a network cut while the relay waits for Kafka) emits 'error' with nobody listening — an
  // uncaught exception that ends the process. The next statement on that client fails with a
  // connection error instead, which the caller handles (and releases the client as broken).
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  return pool;
}

/**
 * The same bounds as libpq command-line options (`-c name=value …`), for clients that take a
 * connection string and `options` rather than our pool (pg-boss).
 */
export function sessionTimeoutOptions(timeouts: SessionTimeouts): string {
  const settings: [string, number | undefined][] = [
    ["statement_timeout", timeouts.statementTimeoutMs],
    ["lock_timeout", timeouts.lockTimeoutMs],
    ["idle_in_transaction_session_timeout", timeouts.idleInTransactionTimeoutMs],
  ];
  return settings
    .filter(([, ms]) => ms !== undefined)
    .map(([name, ms]) => `-c ${name}=${ms}`)
    .join(" ");
}

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

export const poolStats = (pool: pg.Pool): PoolStats => ({
  total: pool.totalCount,
  idle: pool.idleCount,
  waiting: pool.waitingCount,
});
