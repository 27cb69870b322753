import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

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
  /** Aggregate version: 1 when placed, incremented with every order event (the outbox's aggregateVersion). */
  version: Generated<number>;
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
export type NewOrderLineRow = Insertable<OrderLineTable>;

/** An order line together with its order's currency: what `OrderLine` resolves from. */
export type OrderLineView = OrderLineRow & { currency: string };

/** A reference to an entity another subgraph resolves. */
export interface EntityRef {
  id: string;
}
