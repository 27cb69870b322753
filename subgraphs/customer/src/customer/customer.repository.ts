import type { CustomerDb } from '../database.js';
import type { CustomerRow } from './customer.table.js';

/** Customers by id, in no particular order; unknown ids are simply absent. */
export async function findCustomersByIds(db: CustomerDb, ids: readonly string[]): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('customer.customer').selectAll().where('id', 'in', ids).execute();
}
