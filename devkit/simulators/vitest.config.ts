import { plain } from "../../vitest.shared.ts";
export default plain();
