import { sql, type Kysely, type Transaction } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import type { LoginThrottleRow } from './login-throttle.table.js';

type Db = Kysely<CustomerDatabase> | Transaction<CustomerDatabase>;

/** Locks (creating them if new) the counters of `keys`, in key order so concurrent attempts never deadlock. */
export async function lockThrottles(trx: Transaction<CustomerDatabase>, keys: string[]): Promise<LoginThrottleRow[]> {
  await trx
    .insertInto('customer.login_throttle')
    .values(keys.map((key) => ({ key })))
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return trx
    .selectFrom('customer.login_throttle')
    .selectAll()
    .where('key', 'in', keys)
    .orderBy('key')
    .forUpdate()
    .execute();
}

export async function updateThrottle(
  db: Db,
  key: string,
  changes: { failures: number; last_attempt_at: Date; blocked_until: Date | null },
): Promise<void> {
  await db.updateTable('customer.login_throttle').set(changes).where('key', '=', key).execute();
}

export async function deleteThrottle(db: Db, key: string): Promise<void> {
  await db.deleteFrom('customer.login_throttle').where('key', '=', key).execute();
}

/** Takes back one counted attempt, and lifts the block once the count is under `threshold`. */
export async function forgiveOneAttempt(db: Db, key: string, threshold: number): Promise<void> {
  await db
    .updateTable('customer.login_throttle')
    .set({
      failures: sql`greatest(failures - 1, 0)`,
      blocked_until: sql`case when failures - 1 < ${threshold} then null else blocked_until end`,
    })
    .where('key', '=', key)
    .execute();
}

/** Deletes counters idle since `before` and not blocking anything any more. */
export async function deleteIdleThrottles(db: Db, before: Date, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('customer.login_throttle')
    .where('last_attempt_at', '<', before)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
