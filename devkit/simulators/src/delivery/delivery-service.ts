import { CE_HEADERS, type ConsumedRecord } from "@orders/kafka";
import { answerRecord, type ChaosEmitter } from "../kafka-side/chaos-emitter.ts";
import { between, scenarioOf } from "../kafka-side/scenario.ts";

export interface DeliveryOptions {
  readonly emitter: ChaosEmitter;
  readonly shipMinMs: number;
  readonly shipMaxMs: number;
  readonly deliverMinMs: number;
  readonly deliverMaxMs: number;
  readonly random?: () => number;
}

type Shipment = { state: "waiting" | "shipped" | "delivered" | "cancelled" | "held"; refuse?: boolean; timer?: NodeJS.Timeout };

export const DELIVERY_SOURCE = "/simulators/delivery";

/**
 * The Delivery service: OrderConfirmed → after a delay OrderShipped, after another
 * OrderDelivered (on `deliveries`). An OrderCancelled before shipping stops the shipment.
 */
export class DeliveryService {
  readonly #o: DeliveryOptions;
  readonly #random: () => number;
  readonly #shipments = new Map<string, Shipment>();
  stats = { shipped: 0, delivered: 0, stopped: 0, refused: 0 };

  constructor(options: DeliveryOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  handle = async (records: readonly ConsumedRecord[]): Promise<void> => {
    for (const r of records) {
      const type = r.headers[CE_HEADERS.type];
      let body: { orderId?: string; userId?: string };
      try {
        body = JSON.parse(r.value?.toString("utf8") ?? "{}");
      } catch {
        continue;
      }
      if (!body.orderId) continue;
      if (type === "OrderConfirmed") this.#onConfirmed(body.orderId, body.userId);
      else if (type === "OrderCancelled") this.#onCancelled(body.orderId);
    }
  };

  #onConfirmed(orderId: string, userId: string | undefined): void {
    const known = this.#shipments.get(orderId);
    if (known) {
      // A redelivered OrderConfirmed: re-send what already happened, start nothing new.
      if (known.state === "shipped" || known.state === "delivered") this.#emitShipped(orderId);
      if (known.state === "delivered") known.refuse ? this.#emitRefused(orderId) : this.#emitDelivered(orderId);
      return;
    }
    const scenario = scenarioOf(userId);
    const s: Shipment = { state: scenario === "dlv-hold" ? "held" : "waiting", refuse: scenario === "dlv-refuse" };
    this.#shipments.set(orderId, s);
    if (s.state === "held") return;
    s.timer = setTimeout(
      () => {
        if (s.state !== "waiting") return;
        s.state = "shipped";
        this.stats.shipped++;
        this.#emitShipped(orderId);
        s.timer = setTimeout(
          () => {
            s.state = "delivered";
            // The customer refuses a parcel at the door (issue 14): it comes back instead.
            if (s.refuse) {
              this.stats.refused++;
              this.#emitRefused(orderId);
              return;
            }
            this.stats.delivered++;
            this.#emitDelivered(orderId);
          },
          between(this.#o.deliverMinMs, this.#o.deliverMaxMs, this.#random),
        );
      },
      between(this.#o.shipMinMs, this.#o.shipMaxMs, this.#random),
    );
  }

  #onCancelled(orderId: string): void {
    const s = this.#shipments.get(orderId);
    if (s && (s.state === "waiting" || s.state === "held")) {
      clearTimeout(s.timer);
      s.state = "cancelled";
      this.stats.stopped++;
    }
  }

  #emitShipped(orderId: string): void {
    this.#o.emitter.emit(
      answerRecord(DELIVERY_SOURCE, "OrderShipped", `dlv:${orderId}:shipped`, orderId, { trackingId: `trk_${orderId.slice(-12)}` }),
    );
  }

  #emitDelivered(orderId: string): void {
    this.#o.emitter.emit(answerRecord(DELIVERY_SOURCE, "OrderDelivered", `dlv:${orderId}:delivered`, orderId, {}));
  }

  #emitRefused(orderId: string): void {
    this.#o.emitter.emit(
      answerRecord(DELIVERY_SOURCE, "DeliveryRefused", `dlv:${orderId}:refused`, orderId, { reason: "refused at the door" }),
    );
  }

  stop(): void {
    for (const s of this.#shipments.values()) clearTimeout(s.timer);
  }
}
