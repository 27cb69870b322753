export { startInventory, type InventoryServiceOptions } from './app.js';
export type { InventoryDatabase } from './database.js';
// The stock module: the order subgraph reserves and releases stock through it, in its own transaction.
export {
  asInventoryTransaction,
  releaseStock,
  reserveStock,
  type ReleaseResult,
  type ReservedLine,
  type ReserveResult,
  type StockFailure,
  type StockFailureCode,
  type StockLine,
  type StockReference,
} from './stock/reservation.service.js';
export { recordInitialStock } from './stock/stock.service.js';
