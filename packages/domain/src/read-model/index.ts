export * from "./project.ts";
