export * from "./app.ts";
export * from "./catalogue.ts";
export * from "./config.ts";
export * from "./faults.ts";
export * from "./server.ts";
export * from "./stock-store.ts";
