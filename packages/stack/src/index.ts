export * from "./checker.ts";
export * from "./jwt.ts";
export * from "./load.ts";
export * from "./processes.ts";
export * from "./stack.ts";
