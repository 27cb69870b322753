import type { Kysely } from 'kysely';
import type { InventoryDatabase } from './database.js';
import { createProductLoaders, type ProductLoaders } from './product/product.loaders.js';

/** Per-request context of the inventory subgraph. */
export interface InventoryContext {
  db: Kysely<InventoryDatabase>;
  loaders: ProductLoaders;
}

export function createContext(db: Kysely<InventoryDatabase>): InventoryContext {
  return { db, loaders: createProductLoaders(db) };
}
