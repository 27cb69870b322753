import { z } from 'zod';
import { Id, WireResult } from './common.js';

/*
 * The customer service's address API (docs/adr/0015): the order service asks
 * for a customer's default shipping address when an order names none.
 */

export const defaultShippingAddressPath = (customerId: string) =>
  `/internal/v1/customers/${encodeURIComponent(customerId)}/default-shipping-address`;

/** GET /internal/v1/customers/:customerId/default-shipping-address */
export const DefaultShippingAddressRequest = z.object({ customerId: Id });

/** An address as the address rules normalise it (schema/address.ts). */
export const WireAddress = z.object({
  name: z.string(),
  line1: z.string(),
  line2: z.string().nullable(),
  city: z.string(),
  region: z.string().nullable(),
  postalCode: z.string(),
  countryCode: z.string(),
});

/** The default shipping address, or null when the customer has none (or does not exist). */
export const DefaultShippingAddressResult = WireResult({ address: WireAddress.nullable() }, z.never());
export type DefaultShippingAddressResult = z.infer<typeof DefaultShippingAddressResult>;
