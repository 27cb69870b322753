import { createHash, randomUUID } from 'node:crypto';
import {
  badUserInput,
  createLogger,
  DependencyUnavailableError,
  forbidden,
  parseId,
  Refused,
  refuse,
  serviceUnavailable,
  ServiceUnavailableError,
  succeed,
  transactionWithRetry,
  type Viewer,
} from '@shopgraph/lib';
import { normaliseAddress, type AddressFields, type ReservationResult } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import type { OrderDatabase } from '../database.js';
import type { Neighbours } from '../neighbours.js';
import { appendOutboxEvent } from '../outbox/outbox.repository.js';
import { settleReservationCall } from '../reservation/reservation-call.dispatcher.js';
import { scheduleReservationCall } from '../reservation/reservation-call.repository.js';
import { REQUEST_PATH_GRACE_MS } from '../reservation/reservation-call.service.js';
import type { OrderResult, OrderUserError } from './order.errors.js';
import {
  claimIdempotencyKey,
  findOrdersByIds,
  insertOrder,
  insertStatusChange,
  recordIdempotentResult,
  releaseIdempotencyKey,
} from './order.repository.js';
import type { OrderRow, ShippingAddress } from './order.table.js';

const log = createLogger('order.place');

export const MAX_LINES = 100;
export const MAX_QUANTITY = 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/**
 * The order commits only while its reservation has more than this share of
 * its time left, so the confirmation that follows has the rest to arrive.
 */
const RESERVATION_SAFETY_SHARE = 0.2;

export interface PlaceOrderInput {
  lines: readonly { productId: string; quantity: number }[];
  shippingAddress?: AddressFields | null | undefined;
  customerId?: string | null | undefined;
  idempotencyKey: string;
}

export interface MergedLine {
  productId: string;
  quantity: number;
  /** Index of the first input line of this product, for error paths. */
  index: number;
}

/** Checks the lines and adds up those of the same product, keeping first-seen order. */
export function mergeLines(input: Pick<PlaceOrderInput, 'lines'>): {
  lines: MergedLine[];
  userErrors: OrderUserError[];
} {
  const userErrors: OrderUserError[] = [];
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
    userErrors: problems.map((p): OrderUserError => ({
      field: [...field, p.field],
      code: 'INVALID_ADDRESS',
      message: p.message,
    })),
  };
}

/**
 * Inventory's refusal of a reservation as the client's userErrors: each on
 * the client's own line (the first line of a merged product), with
 * `available` for INSUFFICIENT_STOCK.
 */
export function reservationErrors(
  refusal: Extract<ReservationResult, { ok: false }>,
  lines: readonly MergedLine[],
): OrderUserError[] {
  return refusal.userErrors.map((e) => {
    const line = lines[Number(e.field?.[1])];
    if (!line || e.field?.[0] !== 'lines') {
      // Only a fresh order id reaches inventory, so a refusal of the reservation as a whole is a bug.
      throw new Error(`unexpected reservation refusal ${e.code}: ${e.message}`);
    }
    const field = ['input', 'lines', String(line.index)];
    switch (e.code) {
      case 'INSUFFICIENT_STOCK':
        return {
          field: [...field, 'quantity'],
          code: 'INSUFFICIENT_STOCK',
          message: `Only ${e.available ?? 0} in stock`,
          available: e.available ?? 0,
        };
      case 'PRODUCT_ARCHIVED':
        return { field: [...field, 'productId'], code: 'PRODUCT_ARCHIVED', message: 'This product is no longer sold' };
      case 'INVALID_QUANTITY':
        return { field: [...field, 'quantity'], code: 'INVALID_QUANTITY', message: 'Quantity must be positive' };
      default:
        return { field: [...field, 'productId'], code: 'PRODUCT_NOT_FOUND', message: 'There is no such product' };
    }
  });
}

/** SHA-256 of the normalised request, to tell a retry from a different request with the same key. */
export function requestHash(
  customerId: string,
  lines: readonly MergedLine[],
  address: ShippingAddress | undefined,
): string {
  const canonical = JSON.stringify({
    customerId,
    lines: lines.map((l) => [l.productId, l.quantity]),
    address: address ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Releases a reservation the order will not use; when inventory cannot be reached, the reservation expires instead. */
async function releaseQuietly(neighbours: Neighbours, orderId: string, actor: string): Promise<void> {
  try {
    await neighbours.inventory.release(orderId, actor);
  } catch (error) {
    log.warn({ err: error, orderId }, 'could not release an unused reservation; it will expire');
  }
}

/** How long a request holds its idempotency key while placing the order, unless the service sets it. */
export const DEFAULT_KEY_LEASE_MS = 30_000;

/** How placeOrder holds idempotency keys. */
export interface PlacementSettings {
  /**
   * How long a request holds its idempotency key while it places the order:
   * at least as long as a placement can take (two service calls and the
   * order transaction). A retry of a request that died waits this long at
   * most; a request still running past it may lose the key to a retry (it
   * then fails with SERVICE_UNAVAILABLE and the retry places the order).
   */
  keyLeaseMs?: number | undefined;
}

/**
 * The lease that fits a service's time limits: the two neighbour calls, the
 * database's failure bound for the transaction, and 5 s to spare.
 */
export function keyLeaseFor(serviceCallTimeoutMs: number, databaseFailureBoundMs: number): number {
  return 2 * serviceCallTimeoutMs + databaseFailureBoundMs + 5_000;
}
/** How often a retry waiting for its key's first request looks again. */
const KEY_POLL_MS = 25;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims the idempotency key, waiting while another request holds it (a
 * concurrent retry of the same purchase), until it has placed its order
 * (replay) or given up the key (then this request claims it).
 */
async function claimKey(
  db: Kysely<OrderDatabase>,
  claim: { caller_id: string; key: string; request_hash: string },
  leaseMs: number,
) {
  const giveUpAt = Date.now() + leaseMs + 5_000;
  for (;;) {
    const result = await claimIdempotencyKey(db, claim, leaseMs);
    if (result.status !== 'busy') return result;
    if (Date.now() > giveUpAt) {
      throw serviceUnavailable('A request with this idempotency key is still being processed; try again');
    }
    await wait(KEY_POLL_MS);
  }
}

/**
 * Places an order across services (docs/adr/0014):
 *
 * 1. claims the idempotency key (a short lease, so a concurrent retry of the
 *    same purchase waits and then replays the first order);
 * 2. reads the customer's default address from the customer service if none
 *    is given;
 * 3. reserves the lines' stock through the inventory service, all or none,
 *    prices snapshotted;
 * 4. in one order transaction inserts the order, its lines, its first status,
 *    the `order.created` event and a CONFIRM reservation call, and records
 *    the order against the key;
 * 5. confirms the reservation.
 *
 * No transaction is held open across a service call. A refusal or failure
 * gives the key up (so a corrected retry works) and releases a reservation
 * the order will not use (or, if inventory cannot be reached, lets it
 * expire). The same key with other input gets IDEMPOTENCY_KEY_REUSED. When a
 * neighbour cannot answer, this throws SERVICE_UNAVAILABLE and nothing is
 * written.
 */
export async function placeOrder(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  viewer: Viewer,
  input: PlaceOrderInput,
  settings: PlacementSettings = {},
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
  if (userErrors.length > 0) return refuse(...userErrors);
  const lines = merged.lines;
  const hash = requestHash(customerId, lines, given.address);
  const actor = viewer.customerId;

  const claim = await claimKey(
    db,
    { caller_id: viewer.customerId, key, request_hash: hash },
    settings.keyLeaseMs ?? DEFAULT_KEY_LEASE_MS,
  );
  if (claim.status === 'replay') {
    if (claim.requestHash !== hash) {
      return refuse({
        field: ['input', 'idempotencyKey'],
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'This idempotency key was already used for a different order',
      });
    }
    return succeed({ order: claim.order });
  }
  const lease = { caller_id: viewer.customerId, key, lease_id: claim.leaseId };

  let reservedOrderId: string | undefined;
  let committing = false;
  try {
    const address = given.address ?? (await neighbours.customers.defaultShippingAddress(customerId));
    if (!address) {
      throw new Refused<OrderUserError>([
        {
          field: ['input', 'shippingAddress'],
          code: 'NO_SHIPPING_ADDRESS',
          message: 'Give a shipping address or set a default one on the account',
        },
      ]);
    }

    const orderId = randomUUID();
    const sentAt = Date.now();
    let answer: ReservationResult;
    try {
      answer = await neighbours.inventory.reserve({
        orderId,
        actor,
        lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      });
    } catch (error) {
      // No answer may still mean inventory reserved: release it (a tombstone stops a late reserve),
      // without making the client wait for a second timeout.
      if (error instanceof ServiceUnavailableError) void releaseQuietly(neighbours, orderId, actor);
      throw error;
    }
    if (!answer.ok) throw new Refused(reservationErrors(answer, lines));
    reservedOrderId = orderId;
    const reservation = answer.reservation;
    const deadline =
      reservation.expiresInMs === null ? Infinity : sentAt + reservation.expiresInMs * (1 - RESERVATION_SAFETY_SHARE);

    const currencies = new Set(reservation.lines.map((l) => l.currency));
    if (currencies.size > 1) {
      throw new Refused<OrderUserError>([
        {
          field: ['input', 'lines'],
          code: 'CURRENCY_MISMATCH',
          message: 'All products of an order must share a currency',
        },
      ]);
    }
    const currency = reservation.lines[0]!.currency;
    const total = reservation.lines.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0);

    const order = await transactionWithRetry(db, async (trx) => {
      committing = false;
      const placed = await insertOrder(
        trx,
        {
          id: orderId,
          customer_id: customerId,
          status: 'PENDING',
          currency,
          total_minor: total,
          shipping_address: JSON.stringify(address),
        },
        reservation.lines.map((l, i) => ({
          order_id: orderId,
          line_no: i + 1,
          product_id: l.productId,
          quantity: l.quantity,
          unit_price_minor: l.unitPriceMinor,
        })),
      );
      await insertStatusChange(trx, { order_id: orderId, status: 'PENDING', actor_id: actor, note: null });
      await appendOutboxEvent(trx, {
        type: 'order.created',
        aggregateId: orderId,
        aggregateVersion: placed.version,
        occurredAt: placed.placed_at,
        data: {
          orderId,
          customerId,
          status: 'PENDING',
          total: { amountMinor: total, currency },
          lines: reservation.lines.map((l) => ({
            productId: l.productId,
            quantity: l.quantity,
            unitPriceMinor: l.unitPriceMinor,
          })),
          placedAt: placed.placed_at.toISOString(),
        },
      });
      await scheduleReservationCall(trx, { orderId, action: 'CONFIRM', actor }, REQUEST_PATH_GRACE_MS);
      if (!(await recordIdempotentResult(trx, lease, orderId))) {
        // A retry took the key over after this request's lease ran out: it places the order, so
        // this one gives up, and the client's next retry gets that order.
        throw new DependencyUnavailableError(
          `the idempotency key of order ${orderId} was taken over by a retry while it was being placed`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(`reservation of order ${orderId} is too close to its expiry to commit`);
      }
      committing = true;
      return placed;
    });

    // The fast path; the CONFIRM call row is the backstop.
    await settleReservationCall(db, neighbours, { orderId, action: 'CONFIRM', actor }).catch((error: unknown) =>
      log.warn({ err: error, orderId }, 'confirmation left to the dispatcher'),
    );
    return succeed({ order });
  } catch (error) {
    if (committing && reservedOrderId) {
      const settled = await settleCommitInDoubt(db, neighbours, reservedOrderId, actor);
      if (settled) return succeed({ order: settled });
    } else if (reservedOrderId) {
      await releaseQuietly(neighbours, reservedOrderId, actor);
    }
    await releaseIdempotencyKey(db, lease).catch((release: unknown) =>
      log.warn({ err: release, key }, 'could not give up an idempotency key; its lease will expire'),
    );
    if (error instanceof Refused) return refuse(...(error.userErrors as OrderUserError[]));
    if (error instanceof ServiceUnavailableError) {
      throw serviceUnavailable(
        error.service === 'inventory'
          ? 'Stock cannot be checked right now; nothing was ordered. Try again'
          : 'The default shipping address cannot be read right now; nothing was ordered. Give an address or try again',
      );
    }
    throw error;
  }
}

/**
 * The order transaction's COMMIT failed, so whether it happened is unknown
 * (the connection may have died after the database committed). Resolves to
 * the order when it is there (its reservation is then confirmed); releases
 * the reservation and resolves to undefined when it is not. If even that
 * cannot be known, the CONFIRM call row (if the order exists) or the expiry
 * (if not) settles the reservation.
 */
async function settleCommitInDoubt(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  orderId: string,
  actor: string,
): Promise<OrderRow | undefined> {
  let order: OrderRow | undefined;
  try {
    [order] = await findOrdersByIds(db, [orderId]);
  } catch (lookup) {
    log.warn({ err: lookup, orderId }, 'commit outcome unknown; the reservation call or the expiry settles it');
    return undefined;
  }
  if (!order) {
    await releaseQuietly(neighbours, orderId, actor);
    return undefined;
  }
  log.warn({ orderId }, 'the order committed although COMMIT reported an error');
  await settleReservationCall(db, neighbours, { orderId, action: 'CONFIRM', actor }).catch(() => undefined);
  return order;
}
