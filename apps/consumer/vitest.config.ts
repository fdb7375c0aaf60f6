import { withDatabase } from "../../vitest.shared.ts";

export default withDatabase({ timeoutMs: 60_000 });
