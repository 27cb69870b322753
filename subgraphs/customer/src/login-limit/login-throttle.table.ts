import type { Generated, Selectable } from 'kysely';

/**
 * customer.login_throttle: failed-login counters, one row per throttled key.
 * Keys are hashes (`account:<sha256 of the email>`, `address:<sha256 of the
 * client address>`), so the table holds neither.
 */
export interface LoginThrottleTable {
  key: string;
  /** Attempts counted in the current window (an attempt counts until it succeeds). */
  failures: Generated<number>;
  last_attempt_at: Generated<Date>;
  /** Attempts before this time are refused without checking the password. */
  blocked_until: Date | null;
}

export type LoginThrottleRow = Selectable<LoginThrottleTable>;
