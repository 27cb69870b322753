import { refuse, succeed, type Viewer } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import type { AddressInput } from '../generated/graphql.js';
import {
  clearDefaultShipping,
  deleteAddress,
  insertAddress,
  lockAddresses,
  updateAddress as updateAddressRow,
} from './address.repository.js';
import type { AddressRow } from './address.table.js';
import { normaliseAddress } from '@shopgraph/schema';
import type { CustomerResult, CustomerUserError } from './validation.js';

export type AddressResult = CustomerResult<{ address: AddressRow }>;

function parseAddress(input: AddressInput) {
  const { address, problems } = normaliseAddress(input);
  const userErrors: CustomerUserError[] = problems.map((p) => ({
    field: ['input', p.field],
    code: p.reason,
    message: p.message,
  }));
  const fields = {
    name: address.name,
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    region: address.region,
    postal_code: address.postalCode,
    country_code: address.countryCode,
  };
  return { userErrors, fields };
}

const notFound = (field: string[]): AddressResult =>
  refuse({ field, code: 'ADDRESS_NOT_FOUND', message: 'There is no such address on your account' });

/** Adds an address; the first address, or one marked so, becomes the default shipping address. */
export async function addAddress(
  db: Kysely<CustomerDatabase>,
  viewer: Viewer,
  input: AddressInput,
): Promise<AddressResult> {
  const { userErrors, fields } = parseAddress(input);
  if (userErrors.length > 0) return refuse(...userErrors);
  return db.transaction().execute(async (trx): Promise<AddressResult> => {
    const existing = await lockAddresses(trx, viewer.customerId);
    const makeDefault = existing.length === 0 || input.makeDefaultShipping === true;
    if (makeDefault) await clearDefaultShipping(trx, viewer.customerId);
    const address = await insertAddress(trx, {
      ...fields,
      customer_id: viewer.customerId,
      is_default_shipping: makeDefault,
    });
    return succeed({ address });
  });
}

/** Replaces one of the caller's addresses. */
export async function updateAddress(
  db: Kysely<CustomerDatabase>,
  viewer: Viewer,
  id: string,
  input: AddressInput,
): Promise<AddressResult> {
  const { userErrors, fields } = parseAddress(input);
  if (userErrors.length > 0) return refuse(...userErrors);
  return db.transaction().execute(async (trx): Promise<AddressResult> => {
    const existing = await lockAddresses(trx, viewer.customerId);
    if (!existing.some((a) => a.id === id)) return notFound(['id']);
    if (input.makeDefaultShipping === true) await clearDefaultShipping(trx, viewer.customerId);
    const address = await updateAddressRow(trx, viewer.customerId, id, {
      ...fields,
      ...(input.makeDefaultShipping === true ? { is_default_shipping: true } : {}),
    });
    return address ? succeed({ address }) : notFound(['id']);
  });
}

/** Removes one of the caller's addresses; if it was the default, the oldest remaining one takes over. */
export async function removeAddress(db: Kysely<CustomerDatabase>, viewer: Viewer, id: string): Promise<AddressResult> {
  return db.transaction().execute(async (trx): Promise<AddressResult> => {
    const existing = await lockAddresses(trx, viewer.customerId);
    const removed = existing.some((a) => a.id === id) ? await deleteAddress(trx, viewer.customerId, id) : undefined;
    if (!removed) return notFound(['id']);
    const next = existing.filter((a) => a.id !== id).sort((a, b) => a.created_at.getTime() - b.created_at.getTime())[0];
    if (removed.is_default_shipping && next) {
      await updateAddressRow(trx, viewer.customerId, next.id, { is_default_shipping: true });
    }
    return succeed({ address: removed });
  });
}
