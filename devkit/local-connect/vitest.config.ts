import { mergeConfig } from "vitest/config";
import { withKafka } from "../../vitest.shared.ts";

// One Connect worker per test file (a worker takes ~10-20 s to start and join its group);
// the first run also fetches the Connect and Debezium jars with mvn.
export default mergeConfig(withKafka({ timeoutMs: 180_000 }), { test: { hookTimeout: 600_000 } });
