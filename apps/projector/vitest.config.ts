import { withKafka } from "../../vitest.shared.ts";

export default withKafka({ timeoutMs: 120_000 });
