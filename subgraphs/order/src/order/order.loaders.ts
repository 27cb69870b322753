import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from '../database.js';
import { findLinesByOrderIds, findOrdersByIds } from './order.repository.js';
import type { OrderLineView, OrderRow } from './order.table.js';

export interface OrderLoaders {
  orderById: DataLoader<string, OrderRow | null>;
  /** Lines of every order asked for in one tick, in one query. */
  linesByOrderId: DataLoader<string, OrderLineView[]>;
}

export function createOrderLoaders(db: Kysely<OrderDatabase>): OrderLoaders {
  return {
    orderById: new DataLoader(async (ids) => {
      const rows = await findOrdersByIds(db, ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    linesByOrderId: new DataLoader(async (orderIds) => {
      const lines = await findLinesByOrderIds(db, orderIds);
      const byOrder = new Map<string, OrderLineView[]>();
      for (const line of lines) {
        const group = byOrder.get(line.order_id);
        if (group) group.push(line);
        else byOrder.set(line.order_id, [line]);
      }
      return orderIds.map((id) => byOrder.get(id) ?? []);
    }),
  };
}
