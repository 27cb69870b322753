import { createLogger } from '../logger.js';
import { sql, type RawBuilder } from 'kysely';
import {
  TransportUnavailableError,
  type MessagePublisher,
  type OutgoingMessage,
  type PublishOutcome,
} from './transport.js';

const log = createLogger('events.relay');

/**
 * Where a relay reads events from: an outbox table owned by a subgraph. The
 * store decides how rows are locked and marked; the relay decides when.
 */
export interface OutboxStore {
  /**
   * In one transaction that holds the relay lock (one active relay per
   * outbox): reads up to `limit` unpublished events in outbox order, passes
   * them to `publish`, marks the confirmed ones published and the failed ones
   * for a later attempt. Resolves to null without publishing when another
   * relay holds the lock. When `publish` throws, nothing is marked.
   */
  relayBatch(
    limit: number,
    publish: (messages: OutgoingMessage[]) => Promise<PublishOutcome>,
  ): Promise<BatchResult | null>;
  /** Deletes events published more than `retentionMs` ago; resolves to the number deleted. */
  prune(retentionMs: number): Promise<number>;
}

/** How long a message the receiver refused waits before its next attempt. */
export interface FailureBackoff {
  /** Delay before retrying a refused message, doubled per attempt. */
  baseMs: number;
  maxMs: number;
}

/**
 * The next `available_at` of a refused row, in SQL: now plus the back-off for
 * its `attempts` column so far (evaluated before the update increments it).
 */
export function retryAvailableAt(backoff: FailureBackoff): RawBuilder<Date> {
  return sql<Date>`now() + least(${backoff.baseMs}::float8 * power(2, attempts), ${backoff.maxMs}::float8) * interval '1 millisecond'`;
}

export interface BatchResult {
  fetched: number;
  published: number;
  failed: number;
}

/** Something that calls back when new outbox rows were committed (Postgres LISTEN). */
export type WakeupSource = (onWake: () => void) => Promise<{ close(): Promise<void> }>;

export interface RelayOptions {
  /** Events per publish batch (one transaction, one round of confirms). */
  batchSize: number;
  /** Polling fallback: the longest the relay sleeps without a notification. */
  pollIntervalMs: number;
  /** How long published events are kept before pruning. */
  retentionMs: number;
  /** How often pruning runs. */
  pruneIntervalMs?: number | undefined;
  /** Longest back-off after an error (database or broker). */
  maxBackoffMs?: number | undefined;
}

/** Counters a relay keeps; read by tests, the benchmark and logs. */
export interface RelayStats {
  batches: number;
  published: number;
  failed: number;
  errors: number;
}

/**
 * Moves events from an outbox to an {@link EventTransport}: woken by
 * notifications (with a polling fallback), one batch at a time, marking rows
 * published only after the transport confirmed them. Broker outages and
 * database errors are waited out with back-off; nothing is lost because
 * unconfirmed rows stay in the outbox.
 */
export class OutboxRelay {
  readonly stats: RelayStats = { batches: 0, published: 0, failed: 0, errors: 0 };
  private running: Promise<void> | null = null;
  private stopping = false;
  private wakePending = false;
  private wakeSleeper: (() => void) | null = null;
  private lastPrune = 0;
  private wakeups: { close(): Promise<void> } | null = null;

  constructor(
    private readonly store: OutboxStore,
    private readonly transport: MessagePublisher,
    private readonly options: RelayOptions,
    private readonly wakeupSource?: WakeupSource,
  ) {
    transport.onConnected(() => this.wake());
  }

  /** Starts relaying in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.wakeups = (await this.wakeupSource?.(() => this.wake())) ?? null;
    this.running = this.loop();
  }

  /** Stops after the batch in hand (if any) is settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = null;
    await this.wakeups?.close();
    this.wakeups = null;
  }

  /** Asks the relay to look at the outbox now (new rows were committed, or the broker is back). */
  wake(): void {
    this.wakePending = true;
    this.wakeSleeper?.();
  }

  private async loop(): Promise<void> {
    const maxBackoff = this.options.maxBackoffMs ?? 10_000;
    let backoff = 0;
    while (!this.stopping) {
      let more = false;
      // Wake-ups that came before this point are served by this round.
      this.wakePending = false;
      try {
        if (this.transport.isConnected()) {
          const result = await this.store.relayBatch(this.options.batchSize, (messages) =>
            this.transport.publish(messages),
          );
          if (result) {
            this.stats.batches += result.fetched > 0 ? 1 : 0;
            this.stats.published += result.published;
            this.stats.failed += result.failed;
            if (result.failed > 0) log.warn({ ...result }, 'some events were not accepted by the broker');
            more = result.fetched === this.options.batchSize;
          }
          await this.maybePrune();
        }
        backoff = 0;
      } catch (error) {
        this.stats.errors++;
        backoff = Math.min(maxBackoff, Math.max(100, backoff * 2));
        const level = error instanceof TransportUnavailableError ? 'info' : 'warn';
        log[level]({ err: error, retryInMs: backoff }, 'relay batch failed; events stay in the outbox');
        await this.sleep(backoff, false);
        continue;
      }
      if (!more) await this.sleep(this.options.pollIntervalMs, true);
    }
  }

  private async maybePrune(): Promise<void> {
    const interval = this.options.pruneIntervalMs ?? 3_600_000;
    if (Date.now() - this.lastPrune < interval) return;
    this.lastPrune = Date.now();
    const deleted = await this.store.prune(this.options.retentionMs);
    if (deleted > 0) log.info({ deleted }, 'pruned published outbox events');
  }

  /** Sleeps up to `ms`; a wake-up (when `wakeable`) or stop() ends it early. */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping || (wakeable && this.wakePending)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = () => {
        if (wakeable || this.stopping) {
          this.wakeSleeper = null;
          done();
        }
      };
    });
  }
}
