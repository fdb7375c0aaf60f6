import { randomUUID } from "node:crypto";
import { freshDatabase, kafkaBrokers, type TestDatabase } from "@orders/testkit";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { loadStackEnv, type Stack, type StackOptions, startStack } from "../../src/index.ts";

/** What the e2e files share; each file passes only what it does differently. */
const BASE: StackOptions = {
  partitions: 3,
  consumers: 1,
  maxPaymentAttempts: 3,
  shipDelayMs: [100, 300],
};

export interface E2eStack {
  /** The running stack; only valid inside tests and hooks registered after useE2eStack. */
  stack(): Stack;
}

/**
 * Registers the start-up (a fresh database + the whole system as processes), the tear-down
 * (every process must exit cleanly) and, on a failing test, the processes' diagnostics: in CI
 * the log files are gone with the machine. Call it at the top of the file, before other hooks.
 */
export function useE2eStack(database: string, overrides: StackOptions = {}): E2eStack {
  let db: TestDatabase | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    db = await freshDatabase(database);
    stack = await startStack({
      ...BASE,
      databaseUrl: db.url,
      kafkaBrokers: kafkaBrokers(),
      namespace: `-${randomUUID().slice(0, 8)}`,
      outboxMode: loadStackEnv().OUTBOX_MODE,
      ...overrides,
    });
  }, 240_000);
  afterAll(async () => {
    const unclean = await stack?.stop();
    await db?.drop();
    expect(unclean).toEqual([]);
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      if (stack) console.error(await stack.diagnostics());
    });
  });

  return {
    stack() {
      if (!stack) throw new Error(`the e2e stack for ${database} is not running`);
      return stack;
    },
  };
}
