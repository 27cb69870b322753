import type { CustomerDb } from '../database.js';
import type { AddressRow, NewAddressRow, AddressUpdate } from './address.table.js';

/** The addresses of many customers at once, oldest first. */
export async function findAddressesByCustomerIds(
  db: CustomerDb,
  customerIds: readonly string[],
): Promise<AddressRow[]> {
  if (customerIds.length === 0) return [];
  return db
    .selectFrom('customer.address')
    .selectAll()
    .where('customer_id', 'in', customerIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Locks the customer's address rows so concurrent default changes serialise. */
export async function lockAddresses(db: CustomerDb, customerId: string): Promise<AddressRow[]> {
  return db
    .selectFrom('customer.address')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .forUpdate()
    .execute();
}

export async function insertAddress(db: CustomerDb, row: NewAddressRow): Promise<AddressRow> {
  return db.insertInto('customer.address').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateAddress(
  db: CustomerDb,
  customerId: string,
  id: string,
  changes: AddressUpdate,
): Promise<AddressRow | undefined> {
  return db
    .updateTable('customer.address')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .where('customer_id', '=', customerId)
    .returningAll()
    .executeTakeFirst();
}

export async function clearDefaultShipping(db: CustomerDb, customerId: string): Promise<void> {
  await db
    .updateTable('customer.address')
    .set({ is_default_shipping: false })
    .where('customer_id', '=', customerId)
    .where('is_default_shipping', '=', true)
    .execute();
}

export async function deleteAddress(db: CustomerDb, customerId: string, id: string): Promise<AddressRow | undefined> {
  return db
    .deleteFrom('customer.address')
    .where('id', '=', id)
    .where('customer_id', '=', customerId)
    .returningAll()
    .executeTakeFirst();
}

/** The customer's default shipping address, if they have one. */
export async function findDefaultShippingAddress(db: CustomerDb, customerId: string): Promise<AddressRow | undefined> {
  return db
    .selectFrom('customer.address')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('is_default_shipping', '=', true)
    .executeTakeFirst();
}
