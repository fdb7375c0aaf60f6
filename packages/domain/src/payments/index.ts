export * from "./attempts.ts";
export * from "./payloads.ts";
export * from "./record-attempts.ts";
