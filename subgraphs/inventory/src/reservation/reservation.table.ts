import type { Generated, Insertable, Selectable } from 'kysely';
import type { ReservationStatus } from '@shopgraph/schema';

/** inventory.reservation: the stock held for one order (docs/adr/0014), keyed by the order id. */
export interface ReservationTable {
  order_id: string;
  status: ReservationStatus;
  /** Who the stock is for: the buyer's customer id. */
  actor: string;
  /** The service that asked for it. */
  caller: string;
  /** SHA-256 of the reserved lines; null for a release that came before any reserve (a tombstone). */
  request_hash: string | null;
  /** When a RESERVED reservation expires; kept afterwards as history. */
  expires_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** inventory.reservation_line: a reserved line with the price snapshot it was reserved at. */
export interface ReservationLineTable {
  order_id: string;
  /** Position in the reserve request, from 0. */
  line_no: number;
  product_id: string;
  quantity: number;
  unit_price_minor: number;
  currency: string;
}

export type ReservationRow = Selectable<ReservationTable>;
export type NewReservationRow = Insertable<ReservationTable>;
export type ReservationLineRow = Selectable<ReservationLineTable>;
