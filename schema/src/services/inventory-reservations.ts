import { z } from 'zod';
import { Id, WireResult } from './common.js';

/*
 * The inventory service's reservation API (docs/adr/0014): internal
 * HTTP+JSON, callable by the order service with a service token, never part of
 * the supergraph. The inventory validates requests with these schemas and the
 * order service validates the answers.
 */

export const RESERVATIONS_PATH = '/internal/v1/reservations';
export const reservationPath = (orderId: string, action?: 'confirm' | 'release') =>
  `${RESERVATIONS_PATH}/${encodeURIComponent(orderId)}${action ? `/${action}` : ''}`;

/** RESERVED until confirmed, released or expired; RELEASED is final; EXPIRED may still be confirmed (re-reserved) or released. */
export const ReservationStatus = z.enum(['RESERVED', 'CONFIRMED', 'RELEASED', 'EXPIRED']);
export type ReservationStatus = z.infer<typeof ReservationStatus>;

/** Why a reservation call was refused. Line codes name the line by index in `field`. */
export const ReservationErrorCode = z.enum([
  'PRODUCT_NOT_FOUND',
  'PRODUCT_ARCHIVED',
  'INSUFFICIENT_STOCK',
  'INVALID_QUANTITY',
  /** The order id was reserved before with other lines. */
  'RESERVATION_CONFLICT',
  /** The reservation was released (or its order id was released before it was reserved). */
  'RESERVATION_RELEASED',
  /** The reservation expired and its lines can no longer all be reserved again. */
  'RESERVATION_EXPIRED',
  'RESERVATION_NOT_FOUND',
]);
export type ReservationErrorCode = z.infer<typeof ReservationErrorCode>;

/** Who a change is made for: kept in the stock ledger (Postgres text: no NUL). */
const Actor = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !s.includes('\u0000'), { message: 'must not contain NUL' });

/**
 * POST /internal/v1/reservations. Lines are judged one by one (a malformed
 * product id is PRODUCT_NOT_FOUND, a quantity that is not a positive integer
 * INVALID_QUANTITY), so only the shape is checked here.
 */
export const ReserveRequest = z.object({
  orderId: Id,
  /** Who the stock is reserved for (the buyer's customer id): kept in the stock ledger. */
  actor: Actor,
  lines: z
    .array(z.object({ productId: z.string().max(100), quantity: z.number() }))
    .min(1)
    .max(100),
});
export type ReserveRequest = z.input<typeof ReserveRequest>;

/** GET …/:orderId. */
export const ReservationRef = z.object({ orderId: Id });

/** POST …/:orderId/confirm and …/:orderId/release: who asks (kept in the stock ledger). */
export const ReservationChange = z.object({ orderId: Id, actor: Actor });
export type ReservationChange = z.input<typeof ReservationChange>;

export const ReservedLine = z.object({
  productId: z.string(),
  quantity: z.number().int(),
  /** The unit price when reserved: the order's price snapshot. */
  unitPriceMinor: z.number().int(),
  currency: z.string(),
});
export type ReservedLine = z.infer<typeof ReservedLine>;

export const ReservationView = z.object({
  orderId: z.string(),
  status: ReservationStatus,
  /** When a RESERVED reservation expires (ISO-8601); null once it cannot expire any more. */
  expiresAt: z.string().nullable(),
  /** Milliseconds from the answer to `expiresAt`, so callers need not trust each other's clocks. */
  expiresInMs: z.number().int().nullable(),
  /** In the order of the reserve request's lines. */
  lines: z.array(ReservedLine),
});
export type ReservationView = z.infer<typeof ReservationView>;

/** What every reservation call answers. */
export const ReservationResult = WireResult({ reservation: ReservationView }, ReservationErrorCode);
export type ReservationResult = z.infer<typeof ReservationResult>;
