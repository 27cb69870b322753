import { randomUUID } from 'node:crypto';
import {
  currentTraceCarrier,
  ENVELOPE_SCHEMA_VERSION,
  retryAvailableAt,
  type FailureBackoff,
  type OutboxBacklog,
} from '@shopgraph/lib';
import { sql, type Transaction } from 'kysely';
import type { OrderDatabase, OrderDb } from '../database.js';
import type { OrderCreatedData, OrderEvent, OrderUpdatedData } from '@shopgraph/schema';
import type { OutboxEventRow } from './outbox.table.js';

/** The NOTIFY channel that wakes the relay when outbox rows commit. */
export const OUTBOX_CHANNEL = 'orders_outbox';

/** An order event to write: everything but the id, which the outbox assigns. */
export type NewOrderEvent =
  | {
      type: 'order.created';
      aggregateId: string;
      aggregateVersion: number;
      data: OrderCreatedData;
      occurredAt?: Date;
    }
  | {
      type: 'order.updated';
      aggregateId: string;
      aggregateVersion: number;
      data: OrderUpdatedData;
      occurredAt?: Date;
    };

/**
 * Writes an order event to the outbox inside the caller's transaction, the
 * one that changes the order, and notifies the relay (Postgres delivers the
 * notification on commit; a rollback discards both).
 *
 * `aggregateVersion` is the order's version after the change: 1 for
 * `order.created`, and for every later event the `orders.order.version` the
 * same transaction just incremented (while it holds the order's row lock,
 * which also keeps the events of one order in outbox order). A repeated
 * version for the same order is rejected by a unique constraint.
 *
 * Resolves to the event as it will be published.
 */
export async function appendOutboxEvent(trx: Transaction<OrderDatabase>, event: NewOrderEvent): Promise<OrderEvent> {
  const id = randomUUID();
  const occurredAt = event.occurredAt ?? new Date();
  // The relay publishes in this request's trace, long after it ended.
  const traceContext = currentTraceCarrier();
  await trx
    .insertInto('orders.outbox_event')
    .values({
      id,
      type: event.type,
      aggregate_id: event.aggregateId,
      aggregate_version: event.aggregateVersion,
      occurred_at: occurredAt,
      data: JSON.stringify(event.data),
      published_at: null,
      last_error: null,
      trace_context: traceContext ? JSON.stringify(traceContext) : null,
    })
    .execute();
  await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
  return {
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    id,
    type: event.type,
    occurredAt: occurredAt.toISOString(),
    aggregateId: event.aggregateId,
    aggregateVersion: event.aggregateVersion,
    data: event.data,
  } as OrderEvent;
}

/** The envelope of an outbox row: what goes on the wire. */
export function toEnvelope(row: OutboxEventRow): OrderEvent {
  return {
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    id: row.id,
    type: row.type,
    occurredAt: row.occurred_at.toISOString(),
    aggregateId: row.aggregate_id,
    aggregateVersion: row.aggregate_version,
    data: row.data,
  } as OrderEvent;
}

/** Unpublished events that are due, in outbox order. */
export async function findDueEvents(db: OrderDb, limit: number): Promise<OutboxEventRow[]> {
  return db
    .selectFrom('orders.outbox_event')
    .selectAll()
    .where('published_at', 'is', null)
    .where('available_at', '<=', sql<Date>`now()`)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export async function markPublished(db: OrderDb, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('orders.outbox_event')
    .set({ published_at: sql<Date>`now()` })
    .where('id', 'in', ids)
    .execute();
}

/**
 * Records a refusal by the broker: the event stays unpublished and is tried
 * again after a back-off that doubles with every attempt (capped).
 */
export async function markFailed(
  db: OrderDb,
  failure: { id: string; reason: string },
  backoff: FailureBackoff,
): Promise<void> {
  await db
    .updateTable('orders.outbox_event')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: failure.reason.slice(0, 1000),
      available_at: retryAvailableAt(backoff),
    }))
    .where('id', '=', failure.id)
    .execute();
}

/** Deletes up to `limit` events published before `before`; resolves to how many. */
export async function deletePublishedBefore(db: OrderDb, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('orders.outbox_event')
    .where(
      'seq',
      'in',
      db.selectFrom('orders.outbox_event').select('seq').where('published_at', '<', before).limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** How many events wait to be published, and how long the oldest has waited. */
export async function outboxBacklog(db: OrderDb): Promise<OutboxBacklog> {
  const row = await db
    .selectFrom('orders.outbox_event')
    .select([
      sql<number>`count(*)::int`.as('events'),
      sql<number>`coalesce(extract(epoch from now() - min(occurred_at)), 0)::float8`.as('oldest'),
    ])
    .where('published_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { events: row.events, oldestAgeSeconds: Math.max(0, row.oldest) };
}
