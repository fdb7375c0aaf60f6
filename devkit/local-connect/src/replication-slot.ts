import { dropPublication, dropReplicationSlot, getSlotState, lsnDiff, type Queryable, type SlotState } from "@orders/db";

// The SQL lives in packages/db (sql/replication.ts, replication-repository.ts); here only the
// waiting that connector tooling needs.
export { lsnDiff, type SlotState };

export const slotState = (db: Queryable, slotName: string): Promise<SlotState | undefined> => getSlotState(db, slotName);

/** Waits until the connector's task holds the slot (it streams from then on). */
export async function waitForActiveSlot(db: Queryable, slotName: string, timeoutMs = 60_000): Promise<SlotState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await getSlotState(db, slotName);
    if (state?.active) return state;
    if (Date.now() > deadline) throw new Error(`local-connect: slot ${slotName} not active within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Drops the slot (waiting for the walsender to let go) and the publication: clean removal of a connector. */
export async function dropSlotAndPublication(db: Queryable, slotName: string, publicationName: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await getSlotState(db, slotName);
    if (!state) break;
    if (!state.active) {
      await dropReplicationSlot(db, slotName);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`local-connect: slot ${slotName} still active; stop the connector first`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await dropPublication(db, publicationName);
}
