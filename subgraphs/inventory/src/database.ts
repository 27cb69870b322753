import type { Kysely, Transaction } from 'kysely';
import type { ProductTable } from './product/product.table.js';

/** The inventory subgraph's tables: its own Postgres schema and nothing else. */
export interface InventoryDatabase {
  'inventory.product': ProductTable;
}

export type InventoryDb = Kysely<InventoryDatabase> | Transaction<InventoryDatabase>;
