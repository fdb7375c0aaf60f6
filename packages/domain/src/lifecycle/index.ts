export * from "./decide.ts";
export * from "./reconcile.ts";
export * from "./statuses.ts";
export * from "./transition-table.ts";
