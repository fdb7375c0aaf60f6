import { withKafka } from "../../vitest.shared.ts";

// Each file runs a whole system of processes; one at a time is all two cores carry.
// The chaos run needs minutes when other packages test beside it (turbo runs two at a time).
const config = withKafka({ timeoutMs: 600_000 });
export default { ...config, test: { ...config.test, fileParallelism: false } };
