import type { NormalisedAddress } from '@shopgraph/schema';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';

/** orders.order: one row per order; totals are snapshotted at placement. */
export interface OrderTable {
  id: Generated<string>;
  /** A customer in the customer subgraph; no cross-schema foreign key. */
  customer_id: string;
  status: OrderStatus;
  currency: string;
  /** Sum of the line totals in minor units. */
  total_minor: number;
  placed_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Snapshot of where the order ships (jsonb, written as JSON text); null only for orders from before addresses existed. */
  shipping_address: ColumnType<ShippingAddress | null, string | null, string>;
  carrier: string | null;
  tracking_number: string | null;
  cancel_reason: string | null;
  /** Aggregate version: 1 when placed, incremented with every order event (the outbox's aggregateVersion). */
  version: Generated<number>;
}

/** The shipping address as stored (jsonb) on an order: the shape the shared address rules (schema/address.ts) produce. */
export type ShippingAddress = NormalisedAddress;

/** orders.order_status_history: every status an order has had. */
export interface OrderStatusHistoryTable {
  id: Generated<number>;
  order_id: string;
  status: OrderStatus;
  actor_id: string;
  note: string | null;
  at: Generated<Date>;
}

/** orders.idempotency_key: the first result of each (caller, key) placeOrder. */
export interface IdempotencyKeyTable {
  caller_id: string;
  key: string;
  /** SHA-256 of the normalised request: the same key with other input is refused. */
  request_hash: string;
  /** The order placed for the key; null while a request is still placing it. */
  order_id: string | null;
  /** The request placing the order, while it holds the key (docs/adr/0014). */
  lease_id: string | null;
  /** Until when that request holds the key; another may take it over afterwards. */
  locked_until: Date | null;
  created_at: Generated<Date>;
}

/** orders.order_line: a product and quantity, priced when the order was placed. */
export interface OrderLineTable {
  order_id: string;
  /** Position of the line in the order as placed, from 1. */
  line_no: number;
  product_id: string;
  quantity: number;
  unit_price_minor: number;
}

export type OrderRow = Selectable<OrderTable>;
export type NewOrderRow = Insertable<OrderTable>;
export type OrderUpdate = Updateable<OrderTable>;
export type OrderLineRow = Selectable<OrderLineTable>;
export type OrderStatusHistoryRow = Selectable<OrderStatusHistoryTable>;
export type NewOrderLineRow = Insertable<OrderLineTable>;

/** An order line together with its order's currency: what `OrderLine` resolves from. */
export type OrderLineView = OrderLineRow & { currency: string };

/** A reference to an entity another subgraph resolves. */
export interface EntityRef {
  id: string;
}
