import type { Generated, Insertable, Selectable } from 'kysely';

export type ReservationAction = 'CONFIRM' | 'RELEASE';

/**
 * orders.reservation_call: a call to inventory's reservation API that must
 * happen because a change committed (a new order: CONFIRM; a cancellation:
 * RELEASE). Deleted once inventory has answered (docs/adr/0014).
 */
export interface ReservationCallTable {
  order_id: string;
  action: ReservationAction;
  /** Who the call is made for; inventory keeps it in the stock ledger. */
  actor: string;
  attempts: Generated<number>;
  /** When it is due; while a dispatcher delivers it, the end of its lease. */
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  /** Set when retrying cannot help and a person must look. */
  parked_at: Date | null;
  created_at: Generated<Date>;
}

export type ReservationCallRow = Selectable<ReservationCallTable>;
export type NewReservationCallRow = Insertable<ReservationCallTable>;
