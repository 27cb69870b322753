import { createHash, randomUUID } from 'node:crypto';
import { defaultShippingAddress } from '@shopgraph/customer';
import { normaliseAddress, type AddressFields } from '@shopgraph/schema';
import { releaseStock, reserveStock, type StockFailure } from '@shopgraph/inventory';
import { badUserInput, forbidden, parseId, transactionWithRetry, type Viewer } from '@shopgraph/lib';
import type { Kysely, Transaction } from 'kysely';
import type { OrderDatabase } from '../database.js';
import { appendOutboxEvent } from '../outbox/outbox.repository.js';
import { fail, OrderRejected, rejectionsAsResult, type OrderResult, type UserError } from './order.errors.js';
import { claimIdempotencyKey, insertOrder, insertStatusChange, recordIdempotentResult } from './order.repository.js';
import type { OrderRow, ShippingAddress } from './order.table.js';

export const MAX_LINES = 100;
export const MAX_QUANTITY = 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface PlaceOrderInput {
  lines: readonly { productId: string; quantity: number }[];
  shippingAddress?: AddressFields | null | undefined;
  customerId?: string | null | undefined;
  idempotencyKey: string;
}

interface MergedLine {
  productId: string;
  quantity: number;
  /** Index of the first input line of this product, for error paths. */
  index: number;
}

/** Checks the lines and adds up those of the same product, keeping first-seen order. */
function mergeLines(input: PlaceOrderInput): { lines: MergedLine[]; userErrors: UserError[] } {
  const userErrors: UserError[] = [];
  if (input.lines.length === 0) {
    userErrors.push({ field: ['input', 'lines'], code: 'EMPTY_ORDER', message: 'An order needs at least one line' });
  } else if (input.lines.length > MAX_LINES) {
    userErrors.push({
      field: ['input', 'lines'],
      code: 'TOO_MANY_LINES',
      message: `An order may have at most ${MAX_LINES} lines`,
    });
  }
  const byProduct = new Map<string, MergedLine>();
  input.lines.forEach((line, index) => {
    const productId = parseId(line.productId, `input.lines[${index}].productId`);
    const merged = byProduct.get(productId) ?? { productId, quantity: 0, index };
    merged.quantity += line.quantity;
    byProduct.set(productId, merged);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || merged.quantity > MAX_QUANTITY) {
      userErrors.push({
        field: ['input', 'lines', String(index), 'quantity'],
        code: 'INVALID_QUANTITY',
        message: `Quantity must be from 1 to ${MAX_QUANTITY} per product`,
      });
    }
  });
  return { lines: [...byProduct.values()], userErrors };
}

/** The shipping address from the input, checked, or undefined to use the customer's default. */
function parseShippingAddress(input: AddressFields | null | undefined, field: string[]) {
  if (!input) return { address: undefined, userErrors: [] };
  const { address, problems } = normaliseAddress(input);
  return {
    address,
    userErrors: problems.map((p): UserError => ({
      field: [...field, p.field],
      code: 'INVALID_ADDRESS',
      message: p.message,
    })),
  };
}

const stockErrors = (failures: StockFailure[], lines: MergedLine[]): UserError[] =>
  failures.map((f) => {
    const line = lines[f.index]!;
    const field = ['input', 'lines', String(line.index)];
    switch (f.code) {
      case 'INSUFFICIENT_STOCK':
        return {
          field: [...field, 'quantity'],
          code: 'INSUFFICIENT_STOCK',
          message: `Only ${f.available ?? 0} in stock`,
          available: f.available ?? 0,
        };
      case 'PRODUCT_ARCHIVED':
        return { field: [...field, 'productId'], code: 'PRODUCT_ARCHIVED', message: 'This product is no longer sold' };
      case 'INVALID_QUANTITY':
        return { field: [...field, 'quantity'], code: 'INVALID_QUANTITY', message: 'Quantity must be positive' };
      default:
        return { field: [...field, 'productId'], code: 'PRODUCT_NOT_FOUND', message: 'There is no such product' };
    }
  });

/** SHA-256 of the normalised request, to tell a retry from a different request with the same key. */
function requestHash(customerId: string, lines: MergedLine[], address: ShippingAddress | undefined): string {
  const canonical = JSON.stringify({
    customerId,
    lines: lines.map((l) => [l.productId, l.quantity]),
    address: address ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Places an order in one transaction: claims the idempotency key, reserves
 * stock for every line or none through inventory's stock module, snapshots
 * prices and the shipping address, inserts the order, its lines and first
 * status, and writes `order.created` to the outbox. Any failure rolls all of
 * it back, the idempotency key included, so a corrected retry works.
 *
 * Retrying with the same key (scoped to the caller) and the same input returns
 * the first order, also when the requests arrive together: the second waits on
 * the key's unique index until the first commits. The same key with other
 * input gets IDEMPOTENCY_KEY_REUSED.
 */
export async function placeOrder(
  db: Kysely<OrderDatabase>,
  viewer: Viewer,
  input: PlaceOrderInput,
): Promise<OrderResult> {
  const key = input.idempotencyKey.trim();
  if (key === '' || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw badUserInput(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`, 'input.idempotencyKey');
  }
  const customerId = input.customerId ? parseId(input.customerId, 'input.customerId') : viewer.customerId;
  if (customerId !== viewer.customerId && viewer.role !== 'ADMIN') {
    throw forbidden('Only admins may place orders for another customer');
  }
  const merged = mergeLines(input);
  const given = parseShippingAddress(input.shippingAddress, ['input', 'shippingAddress']);
  const userErrors = [...merged.userErrors, ...given.userErrors];
  if (userErrors.length > 0) return fail(...userErrors);
  const lines = merged.lines;
  const hash = requestHash(customerId, lines, given.address);

  return rejectionsAsResult(() =>
    transactionWithRetry(db, async (trx): Promise<OrderResult> => {
      const claim = await claimIdempotencyKey(trx, { caller_id: viewer.customerId, key, request_hash: hash });
      if (claim.status === 'replay') {
        if (claim.requestHash !== hash) {
          return fail({
            field: ['input', 'idempotencyKey'],
            code: 'IDEMPOTENCY_KEY_REUSED',
            message: 'This idempotency key was already used for a different order',
          });
        }
        return { ok: true, order: claim.order };
      }

      const address = given.address ?? (await defaultShippingAddress(trx, customerId));
      if (!address) {
        throw new OrderRejected([
          {
            field: ['input', 'shippingAddress'],
            code: 'NO_SHIPPING_ADDRESS',
            message: 'Give a shipping address or set a default one on the account',
          },
        ]);
      }

      const orderId = randomUUID();
      const reserved = await reserveStock(trx, lines, { reference: orderId, actor: viewer.customerId });
      if (!reserved.ok) throw new OrderRejected(stockErrors(reserved.failures, lines));
      const currencies = new Set(reserved.lines.map((l) => l.currency));
      if (currencies.size > 1) {
        throw new OrderRejected([
          {
            field: ['input', 'lines'],
            code: 'CURRENCY_MISMATCH',
            message: 'All products of an order must share a currency',
          },
        ]);
      }
      const currency = reserved.lines[0]!.currency;
      const total = reserved.lines.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0);

      const order = await insertOrder(
        trx,
        {
          id: orderId,
          customer_id: customerId,
          status: 'PENDING',
          currency,
          total_minor: total,
          shipping_address: JSON.stringify(address),
        },
        reserved.lines.map((l, i) => ({
          order_id: orderId,
          line_no: i + 1,
          product_id: l.productId,
          quantity: l.quantity,
          unit_price_minor: l.unitPriceMinor,
        })),
      );
      await insertStatusChange(trx, { order_id: orderId, status: 'PENDING', actor_id: viewer.customerId, note: null });
      await appendOutboxEvent(trx, {
        type: 'order.created',
        aggregateId: orderId,
        aggregateVersion: order.version,
        occurredAt: order.placed_at,
        data: {
          orderId,
          customerId,
          status: 'PENDING',
          total: { amountMinor: total, currency },
          lines: reserved.lines.map((l) => ({
            productId: l.productId,
            quantity: l.quantity,
            unitPriceMinor: l.unitPriceMinor,
          })),
          placedAt: order.placed_at.toISOString(),
        },
      });
      await recordIdempotentResult(trx, viewer.customerId, key, orderId);
      return { ok: true, order };
    }),
  );
}

/** Gives back the stock of a cancelled order inside the caller's transaction. */
export async function releaseOrderStock(
  trx: Transaction<OrderDatabase>,
  order: OrderRow,
  lines: readonly { product_id: string; quantity: number }[],
  actorId: string,
): Promise<void> {
  const released = await releaseStock(
    trx,
    lines.map((l) => ({ productId: l.product_id, quantity: l.quantity })),
    { reference: order.id, actor: actorId },
  );
  // The order reserved exactly these lines; anything else is a broken invariant, not a user error.
  if (!released.ok) throw new Error(`cannot release stock of order ${order.id}: ${JSON.stringify(released.failures)}`);
}
