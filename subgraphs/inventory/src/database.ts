import type { Kysely, Transaction } from 'kysely';
import type { ProductTable } from './product/product.table.js';
import type { ReservationLineTable, ReservationTable } from './reservation/reservation.table.js';
import type { StockLedgerTable } from './stock/stock.table.js';

/** The inventory subgraph's tables: its own Postgres schema and nothing else. */
export interface InventoryDatabase {
  'inventory.product': ProductTable;
  'inventory.stock_ledger': StockLedgerTable;
  'inventory.reservation': ReservationTable;
  'inventory.reservation_line': ReservationLineTable;
}

export type InventoryDb = Kysely<InventoryDatabase> | Transaction<InventoryDatabase>;
