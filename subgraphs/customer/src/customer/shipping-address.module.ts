import type { Transaction } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import type { NormalisedAddress } from '@shopgraph/schema';

/*
 * What the order subgraph may read of a customer inside its own transaction:
 * the default shipping address to copy onto a new order. Like inventory's
 * stock module, this is a sanctioned crossing of subgraph schemas (ADR 0002),
 * kept to one small function so the order subgraph's Database type still
 * names only its own tables.
 */

/** A shipping address in the shape the order snapshots. */
export type ShippingAddressSnapshot = NormalisedAddress;

/**
 * The customer's default shipping address, or undefined when they have none
 * (or do not exist). Reads within the caller's transaction.
 */
export async function defaultShippingAddress<DB>(
  trx: Transaction<DB>,
  customerId: string,
): Promise<ShippingAddressSnapshot | undefined> {
  const db = trx as unknown as Transaction<CustomerDatabase>;
  const row = await db
    .selectFrom('customer.address')
    .select(['name', 'line1', 'line2', 'city', 'region', 'postal_code', 'country_code'])
    .where('customer_id', '=', customerId)
    .where('is_default_shipping', '=', true)
    .executeTakeFirst();
  if (!row) return undefined;
  const { postal_code, country_code, ...rest } = row;
  return { ...rest, postalCode: postal_code, countryCode: country_code.trim() };
}
