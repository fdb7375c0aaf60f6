/**
 * `node --import=@orders/runtime/compile-cache` (every app's node-options file): Node's compile
 * cache on, before the first TypeScript module is loaded. With a warm cache Node takes each
 * module's type-stripped text and V8 code from disk and never instantiates its TypeScript
 * stripper, a WebAssembly module whose memory grows with the largest file stripped and never
 * shrinks: 15–40 MB of resident memory per app (issue 17 item 4, docs/benchmarks.md "Memory,
 * stop 12"). The directory is NODE_COMPILE_CACHE (the image's, warmed at build time) or
 * <tmpdir>/node-compile-cache; when it cannot be used the app starts as before.
 *
 * JavaScript, not TypeScript: this file is loaded before the cache is on.
 */
import { enableCompileCache } from "node:module";

enableCompileCache();
