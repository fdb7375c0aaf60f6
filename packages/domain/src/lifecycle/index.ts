export * from "./decide.ts";
export * from "./statuses.ts";
export * from "./transition-table.ts";
