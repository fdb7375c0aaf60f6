import { plain } from "../../vitest.shared.ts";
// Starting a server takes seconds, and much longer on a loaded 2-core machine.
export default plain({ timeoutMs: 120_000 });
