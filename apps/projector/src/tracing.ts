/**
 * main.ts' first import: tracing (when OTEL_* asks for it) is registered before pg is loaded, so
 * the pg instrumentation can patch it; context propagation is on either way (docs/operations.md).
 */
import { startTracing } from "@orders/runtime";

export const tracing = startTracing({ service: "projector" });
