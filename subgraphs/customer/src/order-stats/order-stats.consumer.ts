import type { EventConsumer } from '@shopgraph/lib';
import type { OrderEvent } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { applyOnce } from '../inbox/inbox.service.js';
import { addToOrderStats, findOrderSummaryForUpdate, saveOrderSummary } from './order-stats.repository.js';
import type { OrderSummaryRow } from './order-stats.table.js';

export const ORDER_STATS_CONSUMER = 'customer.order-stats';

/** What an order adds to its customer's statistics: nothing once cancelled. */
const contribution = (order: OrderSummaryRow | undefined) =>
  order && order.status !== 'CANCELLED' ? { orders: 1, totalMinor: order.total_minor } : { orders: 0, totalMinor: 0 };

/**
 * Keeps per-customer order statistics (`Customer.orderCount`, `totalSpent`,
 * `lastOrderAt`) from the order events. Each event carries the order's state;
 * the consumer stores the latest state per order and adds the difference it
 * makes: a new order adds one and its total, a cancellation subtracts them.
 * An event older than the stored state (a lower aggregateVersion, e.g. after a
 * retry reordered them) is stale and changes nothing.
 */
export function orderStatsConsumer(db: Kysely<CustomerDatabase>): EventConsumer<OrderEvent> {
  return {
    name: ORDER_STATS_CONSUMER,
    routingKeys: ['order.created', 'order.updated'],
    async handle(event) {
      await applyOnce(db, ORDER_STATS_CONSUMER, event, async (trx) => {
        const before = await findOrderSummaryForUpdate(trx, event.aggregateId);
        if (before && before.version >= event.aggregateVersion) return;
        const { data } = event;
        const after: OrderSummaryRow = {
          order_id: event.aggregateId,
          customer_id: data.customerId,
          version: event.aggregateVersion,
          status: data.status,
          currency: data.total.currency,
          total_minor: data.total.amountMinor,
          placed_at: new Date(data.placedAt),
        };
        await saveOrderSummary(trx, after);
        const was = contribution(before);
        const now = contribution(after);
        if (before && before.currency !== after.currency) {
          // Never expected (an order's currency is fixed), but keep each currency's sum exact.
          await addToOrderStats(trx, { ...forCustomer(before), orders: -was.orders, totalMinor: -was.totalMinor });
          await addToOrderStats(trx, { ...forCustomer(after), orders: now.orders, totalMinor: now.totalMinor });
        } else {
          await addToOrderStats(trx, {
            ...forCustomer(after),
            orders: now.orders - was.orders,
            totalMinor: now.totalMinor - was.totalMinor,
          });
        }
      });
    },
  };
}

const forCustomer = (order: OrderSummaryRow) => ({
  customerId: order.customer_id,
  currency: order.currency,
  placedAt: order.placed_at,
});
