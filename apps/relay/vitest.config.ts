import { withKafka } from "../../vitest.shared.ts";

export default withKafka({ timeoutMs: 180_000 });
