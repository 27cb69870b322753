import type { NewestFirstPosition } from '@shopgraph/lib';
import { sql } from 'kysely';
import type { CustomerDb } from '../database.js';
import type { CustomerRow, NewCustomerRow } from './customer.table.js';

/** Customers by id, in no particular order; unknown ids are simply absent. */
export async function findCustomersByIds(db: CustomerDb, ids: readonly string[]): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('customer.customer').selectAll().where('id', 'in', ids).execute();
}

/** The customer with this (already normalised) email, if any. */
export async function findCustomerByEmail(db: CustomerDb, email: string): Promise<CustomerRow | undefined> {
  return db
    .selectFrom('customer.customer')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .executeTakeFirst();
}

/** Inserts a customer; returns undefined when the email is taken (unique index on lower(email)). */
export async function insertCustomer(db: CustomerDb, row: NewCustomerRow): Promise<CustomerRow | undefined> {
  return db
    .insertInto('customer.customer')
    .values(row)
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function updateCustomerName(db: CustomerDb, id: string, name: string): Promise<CustomerRow | undefined> {
  return db
    .updateTable('customer.customer')
    .set({ name, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** One page of customers, newest first, with one extra row to detect a next page. */
export async function listCustomers(
  db: CustomerDb,
  query: { limit: number; after?: NewestFirstPosition | undefined },
): Promise<CustomerRow[]> {
  let q = db.selectFrom('customer.customer').selectAll();
  if (query.after) {
    const { at, id } = query.after;
    q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(at, id)));
  }
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
}
