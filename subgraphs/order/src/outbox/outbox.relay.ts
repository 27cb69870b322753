import {
  encodeEnvelope,
  OutboxRelay,
  postgresWakeups,
  trackOutbox,
  trackRelay,
  type EventTransport,
  type FailureBackoff,
  type ListenSource,
  type OutboxStore,
  type RelayOptions,
} from '@shopgraph/lib';
import { sql, type Kysely } from 'kysely';
import type { OrderDatabase } from '../database.js';
import {
  deletePublishedBefore,
  findDueEvents,
  markFailed,
  markPublished,
  OUTBOX_CHANNEL,
  outboxBacklog,
  toEnvelope,
} from './outbox.repository.js';

/**
 * Advisory lock key of the order outbox relay: whoever holds it (for one
 * batch transaction) is the only publisher, so events of one order leave in
 * outbox order even with several replicas. Advisory locks are per database.
 */
export const RELAY_LOCK_KEY = 0x5e0_0bb0; // "shopgraph orders outbox"

const DEFAULT_FAILURE_BACKOFF: FailureBackoff = { baseMs: 1000, maxMs: 300_000 };

/**
 * The order outbox as a relay store. Each batch is one transaction that first
 * takes `pg_try_advisory_xact_lock`: a second relay skips the round instead
 * of publishing the same rows. The lock ends with the transaction, also when
 * the relay's connection dies.
 */
export function orderOutboxStore(
  db: Kysely<OrderDatabase>,
  failureBackoff: FailureBackoff = DEFAULT_FAILURE_BACKOFF,
): OutboxStore {
  return {
    relayBatch: (limit, publish) =>
      db.transaction().execute(async (trx) => {
        const lock = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}::bigint) as locked`.execute(trx);
        if (!lock.rows[0]?.locked) return null;
        const rows = await findDueEvents(trx, limit);
        if (rows.length === 0) return { fetched: 0, published: 0, failed: 0 };
        const outcome = await publish(
          rows.map((row) => ({
            id: row.id,
            type: row.type,
            body: encodeEnvelope(toEnvelope(row)),
            traceContext: row.trace_context,
          })),
        );
        await markPublished(trx, outcome.published);
        for (const failure of outcome.failed) await markFailed(trx, failure, failureBackoff);
        return { fetched: rows.length, published: outcome.published.length, failed: outcome.failed.length };
      }),
    async prune(retentionMs) {
      const before = new Date(Date.now() - retentionMs);
      let total = 0;
      for (let deleted = -1; deleted !== 0; total += deleted) {
        deleted = await deletePublishedBefore(db, before, 5000);
      }
      return total;
    },
  };
}

export interface OrderRelayOptions {
  db: Kysely<OrderDatabase>;
  transport: EventTransport;
  /** Where to LISTEN for new outbox rows: the same database as `db`. */
  listen: ListenSource;
  relay: RelayOptions;
  failureBackoff?: FailureBackoff | undefined;
}

/**
 * Starts the order outbox relay; `stop()` it on shutdown. Its counts and the
 * outbox backlog are reported on `/metrics`.
 */
export async function startOrderRelay(options: OrderRelayOptions): Promise<OutboxRelay> {
  const relay = new OutboxRelay(
    orderOutboxStore(options.db, options.failureBackoff),
    options.transport,
    options.relay,
    postgresWakeups(options.listen, OUTBOX_CHANNEL),
  );
  await relay.start();
  trackRelay(relay);
  trackOutbox('orders', () => outboxBacklog(options.db));
  return relay;
}
