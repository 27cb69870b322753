import { rowByIdLoader, rowsByKeyLoader, type Connection } from '@shopgraph/lib';
import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from '../database.js';
import { findLinesByOrderIds, findOrdersByIds, findStatusHistories } from './order.repository.js';
import { firstOrderPages } from './order.service.js';
import type { OrderLineView, OrderRow, OrderStatus, OrderStatusHistoryRow } from './order.table.js';

export interface OrderLoaders {
  orderById: DataLoader<string, OrderRow | null>;
  /** Lines of every order asked for in one tick, in one query. */
  linesByOrderId: DataLoader<string, OrderLineView[]>;
  /** Status histories of every order asked for in one tick, in one query. */
  historyByOrderId: DataLoader<string, OrderStatusHistoryRow[]>;
  /** First pages of `Customer.orders` for every customer asked for in one tick: one query per page size and status. */
  firstOrderPage: DataLoader<FirstOrderPageKey, Connection<OrderRow>, string>;
}

export interface FirstOrderPageKey {
  customerId: string;
  first: number;
  status: OrderStatus | null;
}

export function createOrderLoaders(db: Kysely<OrderDatabase>): OrderLoaders {
  return {
    orderById: rowByIdLoader((ids) => findOrdersByIds(db, ids)),
    linesByOrderId: rowsByKeyLoader(
      (ids) => findLinesByOrderIds(db, ids),
      (line) => line.order_id,
    ),
    historyByOrderId: rowsByKeyLoader(
      (ids) => findStatusHistories(db, ids),
      (change) => change.order_id,
    ),
    firstOrderPage: new DataLoader(
      async (keys) => {
        const groups = new Map<string, FirstOrderPageKey[]>();
        for (const key of keys) {
          const group = `${key.first}|${key.status ?? ''}`;
          groups.set(group, [...(groups.get(group) ?? []), key]);
        }
        const pages = new Map<string, Connection<OrderRow>>();
        for (const group of groups.values()) {
          const { first, status } = group[0]!;
          const byCustomer = await firstOrderPages(
            db,
            group.map((k) => k.customerId),
            { first, status },
          );
          for (const key of group) pages.set(JSON.stringify(key), byCustomer.get(key.customerId)!);
        }
        return keys.map((key) => pages.get(JSON.stringify(key))!);
      },
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
  };
}
