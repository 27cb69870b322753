import { createLogger, isUuid } from '@shopgraph/lib';
import type { Transaction } from 'kysely';
import type { InventoryDatabase } from '../database.js';
import { lockProducts } from '../product/product.repository.js';
import type { ProductRow } from '../product/product.table.js';
import { applyStockChanges, MAX_STOCK } from './stock.service.js';
import { outstandingReservations } from './stock.repository.js';

/*
 * The stock module: how the order subgraph reserves and releases stock inside
 * its own transaction, so an order and the stock it takes commit together
 * (docs/adr/0004-stock-reservation-locking.md). It is the one sanctioned call
 * across subgraph schemas.
 */

const log = createLogger('inventory.stock');

/** One order line as the stock module sees it. */
export interface StockLine {
  productId: string;
  /** Units, a positive integer. */
  quantity: number;
}

/** What a reservation or release belongs to and who makes it; both end up in the stock ledger. */
export interface StockReference {
  /** E.g. the order id. Releases are checked against what this reference reserved. */
  reference: string;
  /** E.g. the customer id of the buyer, or "system". */
  actor: string;
}

export type StockFailureCode =
  | 'PRODUCT_NOT_FOUND'
  | 'PRODUCT_ARCHIVED'
  | 'INSUFFICIENT_STOCK'
  | 'INVALID_QUANTITY'
  /** Release only: more units than the reference holds reserved for the product. */
  | 'NOT_RESERVED';

/** Why one line (by its index in the input) cannot be reserved or released. */
export interface StockFailure {
  index: number;
  productId: string;
  code: StockFailureCode;
  /**
   * INSUFFICIENT_STOCK: units on hand for the product (shared by all lines of
   * that product); NOT_RESERVED: units the reference still holds.
   */
  available?: number;
}

/** A reserved line with the price snapshot the order should keep. */
export interface ReservedLine {
  productId: string;
  quantity: number;
  unitPriceMinor: number;
  currency: string;
}

export type ReserveResult = { ok: true; lines: ReservedLine[] } | { ok: false; failures: StockFailure[] };
export type ReleaseResult = { ok: true } | { ok: false; failures: StockFailure[] };

/**
 * Re-types another subgraph's transaction as an inventory one. Kysely's
 * database type parameter exists only at compile time: the transaction is one
 * connection to the one database (ADR 0002), and the order subgraph's
 * `Database` type deliberately does not name inventory tables. This cast is
 * the single place where that boundary is crossed.
 */
export function asInventoryTransaction<DB>(trx: Transaction<DB>): Transaction<InventoryDatabase> {
  // A Kysely instance would run each statement in its own transaction and the row locks would not hold.
  if (!trx.isTransaction) throw new TypeError('the stock module needs a transaction, not a Kysely instance');
  return trx as unknown as Transaction<InventoryDatabase>;
}

function checkReference(ref: StockReference): void {
  if (!ref.reference?.trim() || !ref.actor?.trim()) {
    throw new TypeError('the stock module needs a non-blank reference and actor');
  }
}

interface ProductDemand {
  productId: string;
  quantity: number;
  /** Input indexes of the lines for this product. */
  indexes: number[];
}

/**
 * Validates the lines and merges those of the same product, so each product
 * row is locked once; the result is sorted by product id, the lock order.
 */
function mergeLines(lines: readonly StockLine[]): { demands: ProductDemand[]; failures: StockFailure[] } {
  const failures: StockFailure[] = [];
  const byProduct = new Map<string, ProductDemand>();
  lines.forEach((line, index) => {
    const productId = typeof line.productId === 'string' ? line.productId.toLowerCase() : String(line.productId);
    if (!isUuid(productId)) {
      failures.push({ index, productId, code: 'PRODUCT_NOT_FOUND' });
    } else if (!Number.isSafeInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_STOCK) {
      failures.push({ index, productId, code: 'INVALID_QUANTITY' });
    } else {
      const demand = byProduct.get(productId) ?? { productId, quantity: 0, indexes: [] };
      demand.quantity += line.quantity;
      demand.indexes.push(index);
      byProduct.set(productId, demand);
    }
  });
  const demands = [...byProduct.values()].sort((a, b) => (a.productId < b.productId ? -1 : 1));
  return { demands, failures };
}

/** Why a product's demand cannot be met, or undefined when it can. */
type Verdict = { code: StockFailureCode; available?: number } | undefined;

/** Decides each product's demand under the row locks; may read more rows first. */
type Judge = (
  db: Transaction<InventoryDatabase>,
  productIds: string[],
) => Promise<(demand: ProductDemand, product: ProductRow | undefined) => Verdict>;

/**
 * What reserving and releasing share: lock the products in id order, judge
 * every line under the locks, and write (stock and one ledger row per
 * product) only when no line fails.
 */
async function moveStock<DB>(
  trx: Transaction<DB>,
  lines: readonly StockLine[],
  ref: StockReference,
  reason: 'ORDER_RESERVED' | 'ORDER_RELEASED',
  judge: Judge,
): Promise<{ ok: true; products: Map<string, ProductRow> } | { ok: false; failures: StockFailure[] }> {
  const db = asInventoryTransaction(trx);
  checkReference(ref);
  const { demands, failures } = mergeLines(lines);
  const ids = demands.map((d) => d.productId);
  const products = new Map((await lockProducts(db, ids)).map((p) => [p.id, p]));
  const verdictOf = await judge(db, ids);
  for (const demand of demands) {
    const verdict = verdictOf(demand, products.get(demand.productId));
    if (!verdict) continue;
    for (const index of demand.indexes) failures.push({ index, productId: demand.productId, ...verdict });
  }
  if (failures.length > 0) return { ok: false, failures: failures.sort((a, b) => a.index - b.index) };

  await applyStockChanges(
    db,
    demands.map((demand) => ({
      product: products.get(demand.productId)!,
      delta: reason === 'ORDER_RESERVED' ? -demand.quantity : demand.quantity,
      reason,
      ...ref,
    })),
  );
  log.debug({ reference: ref.reference, reason, products: demands.length }, 'stock moved');
  return { ok: true, products };
}

/**
 * Reserves stock for all the lines or for none, inside the caller's
 * transaction.
 *
 * - The product rows are locked (`select ... for update`) in product id
 *   order, whatever the order of the lines, so concurrent reservations queue
 *   behind each other and never deadlock. Lines of the same product are
 *   summed and the row locked once.
 * - Every line is checked under the lock before anything is written. If any
 *   fails (unknown or archived product, not enough stock, a quantity that is
 *   not a positive integer), nothing is written and every failing line is
 *   reported by its index: the caller should then roll its transaction back
 *   (throwing from the transaction callback does that), which also releases
 *   the locks early. On success each product's stock drops by the units
 *   reserved, with one ORDER_RESERVED ledger row per product carrying
 *   `ref.reference` and `ref.actor`.
 * - The returned lines follow the input order and carry each product's
 *   current unit price and currency, for the order's price snapshot.
 *
 * The locks are held until the caller's transaction ends: keep the rest of
 * that transaction short. A non-transaction `trx` or a blank reference or
 * actor is a programming error and throws.
 */
export async function reserveStock<DB>(
  trx: Transaction<DB>,
  lines: readonly StockLine[],
  ref: StockReference,
): Promise<ReserveResult> {
  const result = await moveStock(trx, lines, ref, 'ORDER_RESERVED', async () => (demand, product) => {
    if (!product) return { code: 'PRODUCT_NOT_FOUND' };
    if (!product.active) return { code: 'PRODUCT_ARCHIVED' };
    if (product.stock < demand.quantity) return { code: 'INSUFFICIENT_STOCK', available: product.stock };
    return undefined;
  });
  if (!result.ok) return result;
  return {
    ok: true,
    lines: lines.map((line) => {
      const product = result.products.get(line.productId.toLowerCase())!;
      return {
        productId: product.id,
        quantity: line.quantity,
        unitPriceMinor: product.price_minor,
        currency: product.currency.trim(),
      };
    }),
  };
}

/**
 * Gives back stock an earlier {@link reserveStock} with the same
 * `ref.reference` took (an order's cancellation), all lines or none, with the
 * same locking order and the same contract: failures are reported per line
 * with nothing written, and the caller should roll back. A line may not give
 * back more than the reference still holds reserved for that product
 * (NOT_RESERVED), so releasing an order twice cannot create stock. Archived
 * products take their units back like active ones. Each product gets one
 * ORDER_RELEASED ledger row.
 */
export async function releaseStock<DB>(
  trx: Transaction<DB>,
  lines: readonly StockLine[],
  ref: StockReference,
): Promise<ReleaseResult> {
  const result = await moveStock(trx, lines, ref, 'ORDER_RELEASED', async (db, ids) => {
    // Read under the locks: a concurrent release of the same reference has committed by now.
    const reserved = await outstandingReservations(db, ref.reference, ids);
    return (demand, product) => {
      if (!product) return { code: 'PRODUCT_NOT_FOUND' };
      const held = reserved.get(demand.productId) ?? 0;
      return held < demand.quantity ? { code: 'NOT_RESERVED', available: held } : undefined;
    };
  });
  return result.ok ? { ok: true } : result;
}
