import { createLogger, isUuid } from '@shopgraph/lib';
import type { Transaction } from 'kysely';
import type { InventoryDatabase } from '../database.js';
import { lockProducts } from '../product/product.repository.js';
import { applyStockChanges, MAX_STOCK } from './stock.service.js';

/*
 * How orders take and give back stock: the locking rules of
 * docs/adr/0004-stock-reservation-locking.md, used by the reservation service
 * (docs/adr/0014) inside its own transactions.
 */

const log = createLogger('inventory.stock');

/** One order line as the stock module sees it. */
export interface StockLine {
  productId: string;
  /** Units, a positive integer. */
  quantity: number;
}

/** What a movement belongs to and who makes it; both end up in the stock ledger. */
export interface StockReference {
  /** The order id. */
  reference: string;
  /** E.g. the customer id of the buyer, or "system:expiry". */
  actor: string;
}

export type StockFailureCode = 'PRODUCT_NOT_FOUND' | 'PRODUCT_ARCHIVED' | 'INSUFFICIENT_STOCK' | 'INVALID_QUANTITY';

/** Why one line (by its index in the input) cannot be reserved. */
export interface StockFailure {
  index: number;
  productId: string;
  code: StockFailureCode;
  /** INSUFFICIENT_STOCK: units on hand for the product (shared by all lines of that product). */
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

function requireTransaction(trx: Transaction<InventoryDatabase>): void {
  // A Kysely instance would run each statement on its own and the row locks would not hold.
  if (!trx.isTransaction) throw new TypeError('the stock module needs a transaction, not a Kysely instance');
}

/**
 * Takes stock for all the lines or for none, inside the caller's transaction.
 *
 * - The product rows are locked (`select ... for update`) in product id
 *   order, whatever the order of the lines, so concurrent reservations queue
 *   behind each other and never deadlock. Lines of the same product are
 *   summed and the row locked once.
 * - Every line is checked under the lock before anything is written. If any
 *   fails (unknown or archived product, not enough stock, a quantity that is
 *   not a positive integer), nothing is written and every failing line is
 *   reported by its index: the caller should roll back, which also frees the
 *   locks early. On success each product's stock drops by the units taken,
 *   with one ORDER_RESERVED ledger row per product.
 * - The returned lines follow the input order and carry each product's
 *   current unit price and currency, for the order's price snapshot.
 */
export async function reserveStock(
  trx: Transaction<InventoryDatabase>,
  lines: readonly StockLine[],
  ref: StockReference,
): Promise<ReserveResult> {
  requireTransaction(trx);
  checkReference(ref);
  const { demands, failures } = mergeLines(lines);
  const products = new Map(
    (
      await lockProducts(
        trx,
        demands.map((d) => d.productId),
      )
    ).map((p) => [p.id, p]),
  );
  for (const demand of demands) {
    const product = products.get(demand.productId);
    const verdict: Omit<StockFailure, 'index' | 'productId'> | undefined = !product
      ? { code: 'PRODUCT_NOT_FOUND' }
      : !product.active
        ? { code: 'PRODUCT_ARCHIVED' }
        : product.stock < demand.quantity
          ? { code: 'INSUFFICIENT_STOCK', available: product.stock }
          : undefined;
    if (verdict) for (const index of demand.indexes) failures.push({ index, productId: demand.productId, ...verdict });
  }
  if (failures.length > 0) return { ok: false, failures: failures.sort((a, b) => a.index - b.index) };

  await applyStockChanges(
    trx,
    demands.map((demand) => ({
      product: products.get(demand.productId)!,
      delta: -demand.quantity,
      reason: 'ORDER_RESERVED' as const,
      ...ref,
    })),
  );
  log.debug({ reference: ref.reference, products: demands.length }, 'stock reserved');
  return {
    ok: true,
    lines: lines.map((line) => {
      const product = products.get(line.productId.toLowerCase())!;
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
 * Gives back the stock of lines an earlier {@link reserveStock} took, inside
 * the caller's transaction, locking in the same order: one ORDER_RELEASED
 * (a release) or ORDER_EXPIRED (the sweeper) row per product. Archived
 * products take their units back like active ones. The caller's reservation
 * state makes sure this happens once per reservation.
 */
export async function returnStock(
  trx: Transaction<InventoryDatabase>,
  lines: readonly StockLine[],
  ref: StockReference,
  reason: 'ORDER_RELEASED' | 'ORDER_EXPIRED',
): Promise<void> {
  requireTransaction(trx);
  checkReference(ref);
  const { demands, failures } = mergeLines(lines);
  if (failures.length > 0) throw new Error(`cannot return stock of ${ref.reference}: ${JSON.stringify(failures)}`);
  const products = await lockProducts(
    trx,
    demands.map((d) => d.productId),
  );
  const byId = new Map(products.map((p) => [p.id, p]));
  await applyStockChanges(
    trx,
    demands.map((demand) => {
      const product = byId.get(demand.productId);
      if (!product) throw new Error(`product ${demand.productId} of ${ref.reference} vanished`);
      return { product, delta: demand.quantity, reason, ...ref };
    }),
  );
  log.debug({ reference: ref.reference, reason, products: demands.length }, 'stock returned');
}

/**
 * Records that an order's reserved stock is now sold: one ORDER_CONFIRMED
 * row of zero units per product, with the units on hand as the statement
 * reads them. No product lock: a confirmation moves no stock, so it need not
 * queue behind reservations of a popular product.
 */
export async function recordConfirmation(
  trx: Transaction<InventoryDatabase>,
  lines: readonly StockLine[],
  ref: StockReference,
): Promise<void> {
  requireTransaction(trx);
  checkReference(ref);
  const { demands } = mergeLines(lines);
  if (demands.length === 0) return;
  await trx
    .insertInto('inventory.stock_ledger')
    .columns(['product_id', 'delta', 'reason', 'reference', 'actor', 'stock_after'])
    .expression((eb) =>
      eb
        .selectFrom('inventory.product')
        .select((p) => [
          'id',
          p.val(0).as('delta'),
          p.val('ORDER_CONFIRMED').as('reason'),
          p.val(ref.reference).as('reference'),
          p.val(ref.actor).as('actor'),
          'stock',
        ])
        .where(
          'id',
          'in',
          demands.map((d) => d.productId),
        )
        .orderBy('id'),
    )
    .execute();
}
