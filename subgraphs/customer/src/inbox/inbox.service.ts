import { inboxDuplicates, transactionWithRetry, type EventEnvelope } from '@shopgraph/lib';
import type { Kysely, Transaction } from 'kysely';
import type { CustomerDatabase } from '../database.js';
import { claimEvent } from './inbox.repository.js';

/**
 * Applies `effect` for `event` exactly once per consumer: the inbox row and
 * the effect commit in one transaction, so a redelivered event (a consumer
 * that died after its commit but before its ack) finds its row and does
 * nothing. Resolves to whether the effect ran.
 */
export async function applyOnce(
  db: Kysely<CustomerDatabase>,
  consumer: string,
  event: EventEnvelope,
  effect: (trx: Transaction<CustomerDatabase>) => Promise<void>,
): Promise<boolean> {
  const applied = await transactionWithRetry(db, async (trx) => {
    if (!(await claimEvent(trx, consumer, event))) return false;
    await effect(trx);
    return true;
  });
  if (!applied) inboxDuplicates.inc({ consumer });
  return applied;
}
