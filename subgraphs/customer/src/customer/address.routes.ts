import { internalRoute, succeed } from '@shopgraph/lib';
import { DefaultShippingAddressRequest, type NormalisedAddress } from '@shopgraph/schema';
import type express from 'express';
import type { Kysely } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { findDefaultShippingAddress } from './address.repository.js';
import type { AddressRow } from './address.table.js';

/** An address row in the shape the address rules produce (and orders snapshot). */
export function toNormalisedAddress(row: AddressRow): NormalisedAddress {
  return {
    name: row.name,
    line1: row.line1,
    line2: row.line2,
    city: row.city,
    region: row.region,
    postalCode: row.postal_code,
    countryCode: row.country_code.trim(),
  };
}

/**
 * The customer service's internal API for the order service (docs/adr/0015):
 * a customer's default shipping address, read fresh for every order that
 * names none.
 */
export function addressRoutes(db: Kysely<CustomerDatabase>) {
  return (router: express.Router): void => {
    router.get(
      '/customers/:customerId/default-shipping-address',
      internalRoute(DefaultShippingAddressRequest, async ({ customerId }) => {
        const row = await findDefaultShippingAddress(db, customerId);
        return succeed({ address: row ? toNormalisedAddress(row) : null });
      }),
    );
  };
}
