export * from "./adjustments/index.ts";
export * from "./consumed-message.ts";
export * from "./errors.ts";
export * from "./ids.ts";
export * from "./lifecycle/index.ts";
export * from "./money.ts";
export * from "./order-events.ts";
export * from "./schemas/index.ts";
