import type { Viewer } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from './database.js';
import type { Neighbours } from './neighbours.js';
import { createOrderLoaders, type OrderLoaders } from './order/order.loaders.js';
import type { PlacementSettings } from './order/place-order.service.js';

/** Per-request context of the order subgraph. */
export interface OrderContext {
  db: Kysely<OrderDatabase>;
  /** The inventory and customer services, through their proxies. */
  neighbours: Neighbours;
  /** The verified caller, or null for an anonymous request. */
  viewer: Viewer | null;
  loaders: OrderLoaders;
  /** How placeOrder holds idempotency keys. */
  placement: PlacementSettings;
}

export function createContext(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  viewer: Viewer | null,
  placement: PlacementSettings = {},
): OrderContext {
  return { db, neighbours, viewer, loaders: createOrderLoaders(db), placement };
}
