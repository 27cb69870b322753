import { createHash } from 'node:crypto';
import { createLogger, loginRateLimited } from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { CustomerDatabase } from '../database.js';
import type { CustomerUserError } from '../customer/validation.js';
import {
  deleteIdleThrottles,
  deleteThrottle,
  forgiveOneAttempt,
  lockThrottles,
  updateThrottle,
} from './login-throttle.repository.js';

const log = createLogger('customer.login-limit');

/** How many logins may fail before the waits start, and how they grow. */
export interface LoginLimitSettings {
  /** Failed attempts for one email address before it has to wait. */
  maxFailuresPerAccount: number;
  /** Failed attempts from one client address (any email) before it has to wait. */
  maxFailuresPerAddress: number;
  /** The first wait; each further failure doubles it. */
  backoffBaseSeconds: number;
  /** The longest wait. */
  backoffMaxSeconds: number;
  /** A key with no attempt for this long starts counting afresh. */
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimitSettings = {
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 20,
  backoffBaseSeconds: 1,
  backoffMaxSeconds: 900,
  windowSeconds: 3600,
};

/** The login limits from the environment. */
export const loginLimitEnvShape = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_LIMITS.maxFailuresPerAccount),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_LIMITS.maxFailuresPerAddress),
  LOGIN_BACKOFF_BASE_SECONDS: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_LIMITS.backoffBaseSeconds),
  LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_LIMITS.backoffMaxSeconds),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(60).default(DEFAULT_LOGIN_LIMITS.windowSeconds),
};

export function loginLimitsFromEnv(config: z.infer<z.ZodObject<typeof loginLimitEnvShape>>): LoginLimitSettings {
  return {
    maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    backoffBaseSeconds: config.LOGIN_BACKOFF_BASE_SECONDS,
    backoffMaxSeconds: config.LOGIN_BACKOFF_MAX_SECONDS,
    windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
  };
}

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

/** A claimed attempt, to settle once the password has been checked. */
export interface LoginAttempt {
  accountKey: string;
  addressKey: string | undefined;
}

export type AttemptClaim = { ok: true; attempt: LoginAttempt } | { ok: false; retryAfterSeconds: number };

/**
 * Counts one login attempt for the email address and the client address
 * before the password is checked, in one transaction on rows every replica
 * shares: concurrent attempts cannot all slip past the limit, and the
 * Argon2 work of a refused attempt is never done. The email is throttled
 * whether or not an account has it, so the limits never tell which emails
 * exist. Attempts while a key waits are refused and not counted.
 */
export async function claimLoginAttempt(
  db: Kysely<CustomerDatabase>,
  settings: LoginLimitSettings,
  who: { email: string; clientAddress: string | undefined },
): Promise<AttemptClaim> {
  const attempt: LoginAttempt = {
    accountKey: `account:${hash(who.email)}`,
    addressKey: who.clientAddress ? `address:${hash(who.clientAddress)}` : undefined,
  };
  const threshold = (key: string) =>
    key === attempt.accountKey ? settings.maxFailuresPerAccount : settings.maxFailuresPerAddress;
  return db.transaction().execute(async (trx): Promise<AttemptClaim> => {
    const now = new Date();
    const rows = await lockThrottles(trx, [attempt.accountKey, ...(attempt.addressKey ? [attempt.addressKey] : [])]);
    const waitUntil = Math.max(0, ...rows.map((r) => r.blocked_until?.getTime() ?? 0));
    if (waitUntil > now.getTime()) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((waitUntil - now.getTime()) / 1000)) };
    }
    for (const row of rows) {
      const fresh = now.getTime() - row.last_attempt_at.getTime() > settings.windowSeconds * 1000;
      const failures = fresh ? 1 : row.failures + 1;
      const over = failures - threshold(row.key);
      const waitSeconds = Math.min(settings.backoffBaseSeconds * 2 ** Math.max(over, 0), settings.backoffMaxSeconds);
      await updateThrottle(trx, row.key, {
        failures,
        last_attempt_at: now,
        blocked_until: over >= 0 ? new Date(now.getTime() + waitSeconds * 1000) : null,
      });
    }
    return { ok: true, attempt };
  });
}

/**
 * A login succeeded: the email address starts afresh, and the attempt no
 * longer counts against the client address (it may be shared, e.g. behind NAT).
 */
export async function settleSuccessfulLogin(
  db: Kysely<CustomerDatabase>,
  settings: LoginLimitSettings,
  attempt: LoginAttempt,
): Promise<void> {
  await deleteThrottle(db, attempt.accountKey);
  if (attempt.addressKey) await forgiveOneAttempt(db, attempt.addressKey, settings.maxFailuresPerAddress);
}

/**
 * The one place a login is refused for too many attempts: count refusals
 * here. The answer is the same whether or not the email belongs to an account.
 */
export function loginThrottled(retryAfterSeconds: number): CustomerUserError & { retryAfterSeconds: number } {
  log.info({ retryAfterSeconds }, 'login refused: too many attempts');
  loginRateLimited.inc();
  return {
    field: ['input'],
    code: 'TOO_MANY_ATTEMPTS',
    message: `Too many login attempts; try again in ${retryAfterSeconds} seconds`,
    retryAfterSeconds,
  };
}

/** Deletes idle counters every `intervalMs`; returns a function that stops it. */
export function startLoginThrottleSweeper(
  db: Kysely<CustomerDatabase>,
  settings: LoginLimitSettings,
  intervalMs = 10 * 60_000,
): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    deleteIdleThrottles(db, new Date(now.getTime() - settings.windowSeconds * 1000), now).then(
      (deleted) => deleted > 0 && log.debug({ deleted }, 'deleted idle login counters'),
      (error: unknown) => log.warn({ err: error }, 'could not delete idle login counters'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
