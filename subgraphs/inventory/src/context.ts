import type { Viewer } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { InventoryDatabase } from './database.js';
import { createProductLoaders, type ProductLoaders } from './product/product.loaders.js';

/** Per-request context of the inventory subgraph. */
export interface InventoryContext {
  db: Kysely<InventoryDatabase>;
  /** The verified caller, or null for an anonymous request. */
  viewer: Viewer | null;
  loaders: ProductLoaders;
}

export function createContext(db: Kysely<InventoryDatabase>, viewer: Viewer | null): InventoryContext {
  return { db, viewer, loaders: createProductLoaders(db) };
}
