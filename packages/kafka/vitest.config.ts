import { withKafka } from "../../vitest.shared.ts";

export default withKafka();
