export * from "./attempts.ts";
export * from "./record-attempts.ts";
