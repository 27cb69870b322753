import { rowByIdLoader } from '@shopgraph/lib';
import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { InventoryDatabase } from '../database.js';
import { findProductsByIds } from './product.repository.js';
import type { ProductRow } from './product.table.js';

export interface ProductLoaders {
  /** One SQL query per request tick, whatever the number of ids. */
  productById: DataLoader<string, ProductRow | null>;
}

export function createProductLoaders(db: Kysely<InventoryDatabase>): ProductLoaders {
  return { productById: rowByIdLoader((ids) => findProductsByIds(db, ids)) };
}
