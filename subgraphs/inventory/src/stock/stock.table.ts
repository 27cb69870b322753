import type { Generated, GeneratedAlways, Insertable, Selectable } from 'kysely';

export type StockMovementReason =
  'INITIAL' | 'ADJUSTMENT' | 'SET' | 'ORDER_RESERVED' | 'ORDER_CONFIRMED' | 'ORDER_RELEASED' | 'ORDER_EXPIRED';

/**
 * inventory.stock_ledger: one row per change to a product's stock, written in
 * the transaction that makes the change. A product's rows sum to its stock.
 */
export interface StockLedgerTable {
  /** Identity sequence: later rows have larger ids. */
  id: GeneratedAlways<number>;
  product_id: string;
  /** Units added (positive) or removed (negative); zero only for ORDER_CONFIRMED. */
  delta: number;
  reason: StockMovementReason;
  /** What the change belongs to, e.g. an order id. */
  reference: string | null;
  /** Who made the change. */
  actor: string;
  note: string | null;
  /** The product's stock right after this change. */
  stock_after: number;
  created_at: Generated<Date>;
}

export type StockMovementRow = Selectable<StockLedgerTable>;
export type NewStockMovementRow = Insertable<StockLedgerTable>;
