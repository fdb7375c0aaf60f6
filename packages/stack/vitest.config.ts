import { withKafka } from "../../vitest.shared.ts";

// Each file runs a whole system of processes; one at a time is all two cores carry.
const config = withKafka({ timeoutMs: 300_000 });
export default { ...config, test: { ...config.test, fileParallelism: false } };
