import {
  badUserInput,
  createLogger,
  decodeCursor,
  encodeCursor,
  pageSize,
  parseId,
  refuse,
  succeed,
  toConnection,
  transactionWithRetry,
  type Connection,
  type Viewer,
} from '@shopgraph/lib';
import type { Kysely, Transaction } from 'kysely';
import type { InventoryDatabase, InventoryDb } from '../database.js';
import type { AdjustStockInput, SetStockInput } from '../generated/graphql.js';
import { lockProducts, setProductStocks } from '../product/product.repository.js';
import type { ProductRow } from '../product/product.table.js';
import { userError, type InventoryResult, type InventoryUserError } from '../user-errors.js';
import { insertMovements, listMovements } from './stock.repository.js';
import type { StockMovementReason, StockMovementRow } from './stock.table.js';

const log = createLogger('inventory.stock');

/** The largest stock a product can hold (the column is a Postgres integer). */
export const MAX_STOCK = 2_147_483_647;
const MAX_NOTE_LENGTH = 500;

/** A change to the stock of a product that this transaction has locked with `lockProducts`. */
export interface StockChange {
  product: ProductRow;
  /** Units to add (positive) or remove (negative); never zero. */
  delta: number;
  reason: StockMovementReason;
  reference?: string | null | undefined;
  actor: string;
  note?: string | null | undefined;
}

/**
 * The one way stock changes: sets each locked product's stock and appends
 * the ledger row that explains it, in the caller's transaction, so the ledger
 * always sums to the stock. The CHECK constraint (stock >= 0) backs up the
 * callers' own checks.
 */
export async function applyStockChanges(
  trx: Transaction<InventoryDatabase>,
  changes: readonly StockChange[],
): Promise<{ products: ProductRow[]; movements: StockMovementRow[] }> {
  const products = await setProductStocks(
    trx,
    changes.map((change) => ({ id: change.product.id, stock: change.product.stock + change.delta })),
  );
  const movements = await insertMovements(
    trx,
    changes.map((change, i) => ({
      product_id: change.product.id,
      delta: change.delta,
      reason: change.reason,
      reference: change.reference ?? null,
      actor: change.actor,
      note: change.note ?? null,
      stock_after: products[i]!.stock,
    })),
  );
  return { products, movements };
}

/** Writes the INITIAL ledger row of a product just inserted with stock, so its ledger sums to its stock. */
export async function recordInitialStock(
  db: InventoryDb,
  product: Pick<ProductRow, 'id' | 'stock'>,
  actor: string,
): Promise<void> {
  if (product.stock === 0) return;
  await insertMovements(db, [
    { product_id: product.id, delta: product.stock, reason: 'INITIAL', actor, stock_after: product.stock },
  ]);
}

/** A stock mutation's result: the product with its new stock and the ledger row (none when nothing changed). */
export type StockResult = InventoryResult<{ product: ProductRow; movement: StockMovementRow | null }>;

/** The note as stored, or the userError saying why it cannot be. */
function parseNote(
  note: string | null | undefined,
  required: boolean,
): { note: string | null; error?: InventoryUserError } {
  const text = note?.trim() ?? '';
  if ((required && text === '') || text.length > MAX_NOTE_LENGTH) {
    const message = `Note must be ${required ? '1' : '0'} to ${MAX_NOTE_LENGTH} characters`;
    return { note: null, error: userError('INVALID_VALUE', message, ['input', 'note']) };
  }
  return { note: text === '' ? null : text };
}

/**
 * Locks one product, works out its new stock from the current one and
 * records the change; refuses an unknown product or a stock outside
 * 0..MAX_STOCK. No change at all writes no ledger row.
 */
async function changeStock(
  db: Kysely<InventoryDatabase>,
  productId: string,
  change: { reason: 'ADJUSTMENT' | 'SET'; actor: string; note: string | null; field: string },
  target: (stock: number) => number,
): Promise<StockResult> {
  return transactionWithRetry(db, async (trx): Promise<StockResult> => {
    const [product] = await lockProducts(trx, [productId]);
    if (!product) {
      return refuse(userError('PRODUCT_NOT_FOUND', 'No product has this id', ['input', 'productId']));
    }
    const next = target(product.stock);
    if (next < 0 || next > MAX_STOCK) {
      return refuse(
        userError(
          'INSUFFICIENT_STOCK',
          next < 0
            ? `Stock would go below zero: ${product.stock} on hand`
            : `Stock would exceed ${MAX_STOCK}: ${product.stock} on hand`,
          ['input', change.field],
        ),
      );
    }
    if (next === product.stock) return succeed({ product, movement: null });
    const { products, movements } = await applyStockChanges(trx, [{ product, delta: next - product.stock, ...change }]);
    log.info(
      { productId, reason: change.reason, delta: next - product.stock, stock: next, actor: change.actor },
      'stock changed',
    );
    return succeed({ product: products[0]!, movement: movements[0]! });
  });
}

/** An admin adds or removes units, with a note saying why. */
export async function adjustStock(
  db: Kysely<InventoryDatabase>,
  admin: Viewer,
  input: AdjustStockInput,
): Promise<StockResult> {
  const productId = parseId(input.productId, 'input.productId');
  const { note, error } = parseNote(input.note, true);
  const errors = error ? [error] : [];
  if (!Number.isSafeInteger(input.delta) || input.delta === 0) {
    errors.unshift(userError('INVALID_QUANTITY', 'Delta must be a non-zero number of units', ['input', 'delta']));
  }
  if (errors.length > 0) return refuse(...errors);
  return changeStock(
    db,
    productId,
    { reason: 'ADJUSTMENT', actor: admin.customerId, note, field: 'delta' },
    (stock) => stock + input.delta,
  );
}

/** An admin sets the stock to a counted number of units. */
export async function setStock(
  db: Kysely<InventoryDatabase>,
  admin: Viewer,
  input: SetStockInput,
): Promise<StockResult> {
  const productId = parseId(input.productId, 'input.productId');
  const { note, error } = parseNote(input.note, false);
  const errors = error ? [error] : [];
  if (!Number.isSafeInteger(input.quantity) || input.quantity < 0 || input.quantity > MAX_STOCK) {
    errors.unshift(
      userError('INVALID_QUANTITY', `Quantity must be from 0 to ${MAX_STOCK} units`, ['input', 'quantity']),
    );
  }
  if (errors.length > 0) return refuse(...errors);
  return changeStock(
    db,
    productId,
    { reason: 'SET', actor: admin.customerId, note, field: 'quantity' },
    () => input.quantity,
  );
}

const HISTORY = 'ledger';

/** A product's stock ledger, newest first, with keyset cursors over the ledger id. */
export async function stockHistoryPage(
  db: InventoryDb,
  productId: string,
  args: { first?: number | null | undefined; after?: string | null | undefined },
): Promise<Connection<StockMovementRow>> {
  const limit = pageSize(args.first);
  let afterId: number | undefined;
  if (args.after) {
    [afterId] = decodeCursor(args.after, HISTORY, ['number'] as const);
    if (!Number.isSafeInteger(afterId)) throw badUserInput('"after" is not a valid cursor for this list', 'after');
  }
  const rows = await listMovements(db, productId, { limit, afterId });
  return toConnection(
    rows,
    limit,
    (row) => encodeCursor(HISTORY, [row.id]),
    (row) => row,
    afterId !== undefined,
  );
}
