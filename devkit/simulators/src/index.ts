export * from "./delivery/delivery-service.ts";
export * from "./inventory/index.ts";
export * from "./inventory-events/inventory-events.ts";
export * from "./kafka-side/index.ts";
export * from "./notification/notification-service.ts";
export * from "./notification/templates.ts";
export * from "./payment/app.ts";
export * from "./payment/payment-service.ts";
