import type { ServiceAuth } from '@shopgraph/lib';
import { customerProxy, type CustomerProxy } from './customer/customer.proxy.js';
import { inventoryProxy, type InventoryProxy } from './inventory/inventory.proxy.js';

/** The services the order subgraph calls, each through its one proxy module. */
export interface Neighbours {
  inventory: InventoryProxy;
  customers: CustomerProxy;
  /** Closes the connections to both (on shutdown, after the last call). */
  close(): Promise<void>;
}

export interface NeighbourSettings {
  /** Base URL of the inventory service, e.g. http://inventory:4002 */
  inventoryUrl: string;
  /** Base URL of the customer service, e.g. http://customer:4001 */
  customerUrl: string;
  /** The order service's identity and the shared service secrets. */
  serviceAuth: ServiceAuth;
  /** Longest one call may take (default 2000 ms). */
  timeoutMs?: number | undefined;
}

/** Proxies to the order subgraph's neighbours over their internal HTTP APIs. */
export function connectNeighbours(settings: NeighbourSettings): Neighbours {
  const common = { auth: settings.serviceAuth, timeoutMs: settings.timeoutMs ?? 2000 };
  const inventory = inventoryProxy({ ...common, baseUrl: settings.inventoryUrl });
  const customers = customerProxy({ ...common, baseUrl: settings.customerUrl });
  return {
    inventory,
    customers,
    close: async () => {
      await Promise.all([inventory.close(), customers.close()]);
    },
  };
}
