export * from "./decide-adjustment.ts";
export * from "./derived-statuses.ts";
export * from "./ledger.ts";
export * from "./lines.ts";
export * from "./payloads.ts";
export * from "./policy.ts";
export * from "./status-drift.ts";
export * from "./types.ts";
