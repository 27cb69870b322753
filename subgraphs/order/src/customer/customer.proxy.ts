import { ServiceClient } from '@shopgraph/lib';
import { DefaultShippingAddressResult, defaultShippingAddressPath, type NormalisedAddress } from '@shopgraph/schema';
import type { NeighbourOptions } from '../inventory/inventory.proxy.js';

/**
 * The customer service as the order subgraph sees it (docs/adr/0015): the
 * default shipping address to copy onto an order that names none. Throws
 * `ServiceUnavailableError` when customer cannot answer.
 */
export interface CustomerProxy {
  /** The customer's default shipping address, or undefined when they have none. */
  defaultShippingAddress(customerId: string): Promise<NormalisedAddress | undefined>;
  /** Closes the connections to the customer service. */
  close(): Promise<void>;
}

export function customerProxy(options: NeighbourOptions): CustomerProxy {
  const client = new ServiceClient({ ...options, service: 'customer' });
  return {
    async defaultShippingAddress(customerId) {
      const result = await client.call(
        'GET',
        defaultShippingAddressPath(customerId),
        undefined,
        DefaultShippingAddressResult,
        'default-shipping-address',
      );
      return result.ok ? (result.address ?? undefined) : undefined;
    },
    close: () => client.close(),
  };
}
