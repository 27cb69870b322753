import type { EventEnvelope } from '@shopgraph/lib';
import type { CustomerDb } from '../database.js';

/**
 * Records that `consumer` applies `event`. Resolves to false when it already
 * did (a redelivery): the caller then skips the effect. Call it in the
 * transaction that applies the effect, so both commit or neither does.
 */
export async function claimEvent(db: CustomerDb, consumer: string, event: EventEnvelope): Promise<boolean> {
  const inserted = await db
    .insertInto('customer.event_inbox')
    .values({
      consumer,
      event_id: event.id,
      event_type: event.type,
      aggregate_id: event.aggregateId,
      aggregate_version: event.aggregateVersion,
    })
    .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Forgets inbox rows older than `before`: redeliveries that late are not expected. */
export async function pruneInbox(db: CustomerDb, before: Date): Promise<number> {
  const result = await db.deleteFrom('customer.event_inbox').where('processed_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
