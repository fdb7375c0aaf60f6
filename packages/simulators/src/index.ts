export * from "./inventory/index.ts";
