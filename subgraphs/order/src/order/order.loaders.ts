import { rowByIdLoader, rowsByKeyLoader } from '@shopgraph/lib';
import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from '../database.js';
import { findLinesByOrderIds, findOrdersByIds, findStatusHistories } from './order.repository.js';
import type { OrderLineView, OrderRow, OrderStatusHistoryRow } from './order.table.js';

export interface OrderLoaders {
  orderById: DataLoader<string, OrderRow | null>;
  /** Lines of every order asked for in one tick, in one query. */
  linesByOrderId: DataLoader<string, OrderLineView[]>;
  /** Status histories of every order asked for in one tick, in one query. */
  historyByOrderId: DataLoader<string, OrderStatusHistoryRow[]>;
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
  };
}
