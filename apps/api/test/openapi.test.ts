import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../src/openapi/document.ts";
import { createResponseChecker } from "./support/openapi-check.ts";

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(buildOpenApiDocument() as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("describes the create-order body with the same rules the valibot schema enforces", () => {
    const doc = buildOpenApiDocument() as { components: { schemas: Record<string, Record<string, unknown>> } };
    const body = doc.components.schemas.CreateOrderRequest as {
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    };
    expect(body.additionalProperties).toBe(false);
    expect(body.required.sort()).toEqual(["items", "paymentMethod", "shippingAddress", "userId"]);
    expect(body.properties.items).toMatchObject({ minItems: 1, maxItems: 100 });
    expect(body.properties.paymentMethod).toMatchObject({ enum: ["card", "upi", "netbanking", "wallet", "cod"] });
  });

  it("rejects responses that break the document (the checker used by every test can fail)", () => {
    const checker = createResponseChecker();
    expect(() => checker.check("GET", "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057", 200, "application/json", "{}")).toThrow(
      /does not match/,
    );
    expect(() => checker.check("GET", "/api/orders/01890a5d-ac96-774b-bcce-b302099a8057", 418, "application/json", "{}")).toThrow(
      /not documented/,
    );
    expect(() => checker.check("GET", "/nowhere", 404, "text/plain", "nope")).toThrow(/problem\+json/);
    expect(() => checker.check("GET", "/healthz", 200, "application/json", JSON.stringify({ status: "ok" }))).not.toThrow();
  });
});
