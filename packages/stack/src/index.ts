export * from "./checker.ts";
export * from "./config.ts";
export * from "./jwt.ts";
export * from "./load.ts";
export * from "./processes.ts";
export * from "./stack.ts";
export * from "./verify.ts";
