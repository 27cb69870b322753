import DataLoader from 'dataloader';
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

/** Groups rows by a key, keeping an empty list for every key asked for. */
function groupBy<Row>(keys: readonly string[], rows: readonly Row[], keyOf: (row: Row) => string): Row[][] {
  const groups = new Map<string, Row[]>(keys.map((k) => [k, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((k) => groups.get(k) ?? []);
}

export function createOrderLoaders(db: Kysely<OrderDatabase>): OrderLoaders {
  return {
    orderById: new DataLoader(async (ids) => {
      const rows = await findOrdersByIds(db, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    linesByOrderId: new DataLoader(async (ids) => groupBy(ids, await findLinesByOrderIds(db, ids), (l) => l.order_id)),
    historyByOrderId: new DataLoader(async (ids) =>
      groupBy(ids, await findStatusHistories(db, ids), (h) => h.order_id),
    ),
  };
}
