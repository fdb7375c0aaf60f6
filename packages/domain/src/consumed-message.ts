import * as v from "valibot";
import type { AdjustEvent } from "./adjustments/types.ts";
import type { LifecycleEvent } from "./lifecycle/decide.ts";
import type { Money } from "./money.ts";
import { isStorableText } from "./schemas/common.ts";
import { CONSUMED_EVENT_SCHEMAS, type ConsumedEvent, isConsumedEventName } from "./schemas/events.ts";

/** What a consumed record says once its envelope and payload are checked (DESIGN §5). */
export interface ConsumedMessage {
  /** ce_id, or the value's `id`: the dedup key in processed_messages. */
  readonly messageId: string;
  readonly orderId: string;
  readonly event: LifecycleEvent | AdjustEvent;
  readonly payload: ConsumedEvent["payload"];
}

export type PoisonReason = "UNPARSEABLE" | "UNKNOWN_TYPE" | "MISSING_ID" | "SCHEMA_INVALID";

export type ParsedMessage =
  | { readonly ok: true; readonly message: ConsumedMessage }
  | { readonly ok: false; readonly reason: PoisonReason; readonly detail: string };

export interface RawRecord {
  /** Header values as strings (undefined when absent). */
  readonly ceType?: string | undefined;
  readonly ceId?: string | undefined;
  readonly value: string | null;
}

const poison = (reason: PoisonReason, detail: string): ParsedMessage => ({ ok: false, reason, detail });

/**
 * The decision table's view of a consumed payload. A partial refund's settlement (a refund id other
 * than the whole refund's `refund:<order id>`) and a restock go to the adjustment rules.
 */
export function toLifecycleEvent(e: ConsumedEvent, messageId = ""): LifecycleEvent | AdjustEvent {
  switch (e.type) {
    case "PaymentRefunded": {
      const refundId = e.payload.refundId;
      if (refundId === undefined || refundId === `refund:${e.payload.orderId}`) return { type: "PaymentRefunded" };
      return { type: "Adjust", command: { type: "RefundSettled", id: messageId, refundId, amount: e.payload.amount as Money } };
    }
    case "InventoryRestocked":
      return {
        type: "Adjust",
        command: {
          type: "StockRestocked",
          id: e.payload.restockId,
          restockId: e.payload.restockId,
          lines: e.payload.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
        },
      };
    case "InventoryFailure":
      return { type: e.type, reason: e.payload.reason };
    case "PaymentSuccess":
      return e.payload.attempt === undefined ? { type: e.type } : { type: e.type, attempt: e.payload.attempt };
    case "DeliveryRefused":
      return { type: e.type, reason: e.payload.reason ?? "refused at the door" };
    case "PaymentFailed":
      return { type: e.type, reason: e.payload.reason, retryable: e.payload.retryable, attempt: e.payload.attempt };
    default:
      return { type: e.type };
  }
}

/**
 * Pure: header/value → a validated message or a poison reason. Headers win over the value's
 * `type`/`id` fallbacks; the payload is checked against the same valibot schema the JSON
 * Schema in packages/domain/schemas is generated from.
 */
export function parseConsumedRecord(record: RawRecord): ParsedMessage {
  if (record.value === null || record.value.length === 0) return poison("UNPARSEABLE", "empty value");
  let json: unknown;
  try {
    json = JSON.parse(record.value);
  } catch (error) {
    return poison("UNPARSEABLE", `not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return poison("UNPARSEABLE", "value is not a JSON object");
  const body = json as { type?: unknown; id?: unknown };
  const type = record.ceType ?? (typeof body.type === "string" ? body.type : undefined);
  if (type === undefined) return poison("UNKNOWN_TYPE", "no ce_type header and no `type` field");
  if (!isConsumedEventName(type)) return poison("UNKNOWN_TYPE", `unknown event type ${JSON.stringify(type).slice(0, 100)}`);
  const id = record.ceId ?? (typeof body.id === "string" ? body.id : undefined);
  // The id is stored in processed_messages: text PostgreSQL refuses (NUL) is no usable id.
  if (id === undefined || id.length === 0 || id.length > 200 || !isStorableText(id))
    return poison("MISSING_ID", "no usable ce_id header or `id` field (1–200 storable chars)");
  const result = v.safeParse(CONSUMED_EVENT_SCHEMAS[type], json);
  if (!result.success) {
    const issues = result.issues.map((i) => `${v.getDotPath(i) ?? "(root)"}: ${i.message}`).join("; ");
    return poison("SCHEMA_INVALID", `${type}: ${issues}`.slice(0, 1000));
  }
  const event = { type, payload: result.output } as ConsumedEvent;
  return {
    ok: true,
    message: { messageId: id, orderId: result.output.orderId, event: toLifecycleEvent(event, id), payload: event.payload },
  };
}
