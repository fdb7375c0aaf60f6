export * from "./adjustment-events.ts";
export * from "./common.ts";
export * from "./events.ts";
export * from "./order-request.ts";
export * from "./payment-events.ts";
export * from "./status-events.ts";
export * from "./validation.ts";
