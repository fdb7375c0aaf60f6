export * from "./local-postgres.ts";
