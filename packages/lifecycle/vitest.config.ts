import { withDatabase } from "../../vitest.shared.ts";
export default withDatabase();
