import type { Selectable } from 'kysely';

/**
 * customer.order_summary: the latest state of each order as the order events
 * told it (highest aggregate version wins), used to turn every event into a
 * change of the customer's statistics.
 */
export interface OrderSummaryTable {
  order_id: string;
  customer_id: string;
  version: number;
  status: string;
  currency: string;
  total_minor: number;
  placed_at: Date;
}

/** customer.order_stats: per customer and currency, the orders not cancelled and what they add up to. */
export interface OrderStatsTable {
  customer_id: string;
  currency: string;
  order_count: number;
  total_spent_minor: number;
  last_order_at: Date;
}

export type OrderSummaryRow = Selectable<OrderSummaryTable>;
export type OrderStatsRow = Selectable<OrderStatsTable>;
