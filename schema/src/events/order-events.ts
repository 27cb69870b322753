import type { EventEnvelope } from '@shopgraph/lib';

/**
 * The payloads of the order events: the contract between the order subgraph
 * (producer) and every consumer, kept here beside the JSON Schema
 * (order-events.schema.json), which is the source of truth on the wire
 * (consumers validate against it); these types mirror it.
 */

/** An order's status as events carry it. */
export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';

/** An exact amount: integer minor units and an ISO-4217 code. */
export interface EventMoney {
  amountMinor: number;
  currency: string;
}

export interface OrderLineData {
  productId: string;
  quantity: number;
  unitPriceMinor: number;
}

export interface TrackingData {
  carrier: string;
  trackingNumber: string;
}

/** `order.created`: an order was placed. */
export interface OrderCreatedData {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  total: EventMoney;
  lines: OrderLineData[];
  /** ISO-8601 UTC. */
  placedAt: string;
}

export type OrderChange = 'status' | 'tracking' | 'total' | 'shippingAddress';

/**
 * `order.updated`: an order changed. Carries the order's state after the
 * change (status, total, tracking), not only the difference, so a consumer
 * that missed or reordered an earlier event still converges.
 */
export interface OrderUpdatedData {
  orderId: string;
  customerId: string;
  previousStatus: OrderStatus;
  status: OrderStatus;
  total: EventMoney;
  /** ISO-8601 UTC. */
  placedAt: string;
  /** Which fields changed with this event. */
  changed: OrderChange[];
  /** Set once the order has shipped. */
  tracking?: TrackingData | null;
  /** Why, for a cancellation. */
  reason?: string;
}

export type OrderCreatedEvent = EventEnvelope<'order.created', OrderCreatedData>;
export type OrderUpdatedEvent = EventEnvelope<'order.updated', OrderUpdatedData>;
/** Any order event, as published and as consumers receive it. */
export type OrderEvent = OrderCreatedEvent | OrderUpdatedEvent;
export type OrderEventType = OrderEvent['type'];

/** Routing keys of the order events. */
export const ORDER_EVENT_TYPES: readonly OrderEventType[] = ['order.created', 'order.updated'];
