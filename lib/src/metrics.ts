import client, { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Request, Response } from 'express';
import type pg from 'pg';
import { createLogger } from './logger.js';

const log = createLogger('metrics');

/**
 * The process's Prometheus registry, served as text on every service's
 * `GET /metrics`. In one process that runs several services (`pnpm start`)
 * they share it; the `service` label tells their requests apart.
 *
 * Label values are bounded by construction: service and subgraph names,
 * operation labels from the schema (see {@link operationLabel}), outcome and
 * error code sets, consumer and queue names from the code. Never ids, raw
 * queries or client-chosen strings.
 */
export const metricsRegistry = new Registry();

const registers = [metricsRegistry];

/** Request latency buckets (seconds): from a cached catalog page to a slow order. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How a GraphQL request ended: no error, the client's error (4xx or client error codes), or ours (5xx, masked internal errors). */
export type RequestOutcome = 'success' | 'client_error' | 'server_error';

/** Requests served per service, operation and outcome; `_count` is the request rate. */
export const graphqlRequestDuration = new Histogram({
  name: 'shopgraph_graphql_request_duration_seconds',
  help: 'GraphQL HTTP requests by service, operation (root field) and outcome, and how long they took',
  labelNames: ['service', 'operation', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

/** Errors answered, per `extensions.code` (a fixed set: masked errors are INTERNAL_SERVER_ERROR). */
export const graphqlErrors = new Counter({
  name: 'shopgraph_graphql_errors_total',
  help: 'GraphQL errors answered to clients, by service, operation and error code',
  labelNames: ['service', 'operation', 'code'] as const,
  registers,
});

/** How a gateway fetch from a subgraph ended. */
export type SubgraphFetchOutcome = 'success' | 'graphql_error' | 'failure';

export const subgraphFetchDuration = new Histogram({
  name: 'shopgraph_gateway_subgraph_fetch_duration_seconds',
  help: 'Gateway fetches from subgraphs by subgraph and outcome (failure: no usable response), and how long they took',
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

/** How a call to another service's internal API ended: a result, a business refusal (409), no answer, or a refused call (4xx). */
export type ServiceCallOutcome = 'success' | 'refused' | 'unavailable' | 'error';

export const serviceCallDuration = new Histogram({
  name: 'shopgraph_service_call_duration_seconds',
  help: "Calls to other services' internal APIs by called service, call and outcome (success, refused, unavailable, error), and how long they took",
  labelNames: ['service', 'call', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

/** Why a bearer token was refused; a fixed set. */
export type TokenRejectionReason =
  | 'malformed_header'
  | 'malformed'
  | 'algorithm'
  | 'unknown_kid'
  | 'expired'
  | 'invalid_signature'
  | 'claims'
  | 'invalid';

export const tokenRejections = new Counter({
  name: 'shopgraph_auth_token_rejections_total',
  help: 'Requests refused with 401 for a bad bearer token, by service and reason',
  labelNames: ['service', 'reason'] as const,
  registers,
});

export const loginFailures = new Counter({
  name: 'shopgraph_auth_login_failures_total',
  help: 'Login attempts refused for wrong credentials',
  registers,
});

/** Incremented by the login rate limiter for every attempt it refuses. */
export const loginRateLimited = new Counter({
  name: 'shopgraph_auth_login_rate_limited_total',
  help: 'Login attempts refused by the rate limiter',
  registers,
});

/** What happened to a delivered event: applied (or skipped as stale/duplicate), sent for retry, or parked in the dead-letter queue. */
export type ConsumeOutcome = 'handled' | 'retried' | 'dead_lettered';

export const eventsConsumed = new Counter({
  name: 'shopgraph_events_consumed_total',
  help: 'Event deliveries settled by consumers, by consumer and outcome (handled, retried, dead_lettered)',
  labelNames: ['consumer', 'outcome'] as const,
  registers,
});

export const inboxDuplicates = new Counter({
  name: 'shopgraph_events_inbox_duplicates_total',
  help: 'Redelivered events a consumer had already applied (found in its inbox) and skipped',
  labelNames: ['consumer'] as const,
  registers,
});

// --- Values read when scraped: pools, relays, outboxes, queues -------------

interface TrackedPool {
  name: string;
  pool: pg.Pool;
}

const pools = new Set<TrackedPool>();

/** Reports a Postgres pool's connections as `shopgraph_db_pool_*{pool=name}` until it is ended. */
export function trackPool(name: string, pool: pg.Pool): void {
  pools.add({ name, pool });
}

/** Sums the live pools per name, forgetting ended ones. */
function poolTotals(): Map<string, { inUse: number; idle: number; waiting: number }> {
  const totals = new Map<string, { inUse: number; idle: number; waiting: number }>();
  for (const tracked of pools) {
    if (tracked.pool.ended) {
      pools.delete(tracked);
      continue;
    }
    const { totalCount, idleCount, waitingCount } = tracked.pool;
    const sum = totals.get(tracked.name) ?? { inUse: 0, idle: 0, waiting: 0 };
    sum.inUse += totalCount - idleCount;
    sum.idle += idleCount;
    sum.waiting += waitingCount;
    totals.set(tracked.name, sum);
  }
  return totals;
}

function poolGauge(name: string, help: string, pick: (t: { inUse: number; idle: number; waiting: number }) => number) {
  return new Gauge({
    name,
    help,
    labelNames: ['pool'] as const,
    registers,
    collect() {
      this.reset();
      for (const [pool, totals] of poolTotals()) this.set({ pool }, pick(totals));
    },
  });
}

poolGauge('shopgraph_db_pool_connections_in_use', 'Postgres connections checked out of the pool', (t) => t.inUse);
poolGauge('shopgraph_db_pool_connections_idle', 'Open Postgres connections idle in the pool', (t) => t.idle);
poolGauge(
  'shopgraph_db_pool_waiting_clients',
  'Queries waiting for a Postgres connection (the pool is exhausted)',
  (t) => t.waiting,
);

/** The counters an outbox relay keeps (see `OutboxRelay.stats`). */
export interface RelayCounts {
  published: number;
  failed: number;
  errors: number;
}

const relays = new Map<{ stats: RelayCounts }, RelayCounts>();

/** Reports a relay's counts as `shopgraph_outbox_relay_*_total`, read from its stats when scraped. */
export function trackRelay(relay: { stats: RelayCounts }): void {
  relays.set(relay, { published: 0, failed: 0, errors: 0 });
}

/** Adds what every tracked relay counted since the last scrape. */
function relayCounter(name: string, help: string, key: keyof RelayCounts) {
  return new Counter({
    name,
    help,
    registers,
    collect() {
      for (const [relay, seen] of relays) {
        const delta = relay.stats[key] - seen[key];
        if (delta > 0) this.inc(delta);
        seen[key] = relay.stats[key];
      }
    },
  });
}

relayCounter(
  'shopgraph_outbox_relay_published_total',
  'Events the relay published and the broker confirmed',
  'published',
);
relayCounter(
  'shopgraph_outbox_relay_failed_total',
  'Events the broker refused (unroutable or nacked); they stay in the outbox and are retried',
  'failed',
);
relayCounter(
  'shopgraph_outbox_relay_errors_total',
  'Relay batches that failed as a whole (broker or database unreachable); their events stay in the outbox',
  'errors',
);

/** What an outbox holds right now. */
export interface OutboxBacklog {
  /** Unpublished events. */
  events: number;
  /** Age of the oldest unpublished event in seconds; 0 when there is none. */
  oldestAgeSeconds: number;
}

const outboxes = new Map<string, () => Promise<OutboxBacklog>>();

/** Reports an outbox's backlog, read with `probe` when scraped. */
export function trackOutbox(name: string, probe: () => Promise<OutboxBacklog>): void {
  outboxes.set(name, probe);
}

/** Runs `work`, giving up after `ms` so one slow dependency cannot hang a scrape. */
async function withTimeout<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const outboxEvents = new Gauge({
  name: 'shopgraph_outbox_backlog_events',
  help: 'Events written to the outbox and not yet published',
  labelNames: ['outbox'] as const,
  registers,
  // Both outbox gauges are set here, from one query per outbox.
  async collect() {
    await Promise.all(
      [...outboxes].map(async ([outbox, probe]) => {
        try {
          const backlog = await withTimeout(2000, probe());
          outboxEvents.set({ outbox }, backlog.events);
          outboxOldestAge.set({ outbox }, backlog.oldestAgeSeconds);
        } catch (error) {
          // A stale number would look healthy: drop the series until the database answers.
          outboxEvents.remove({ outbox });
          outboxOldestAge.remove({ outbox });
          log.warn({ err: error, outbox }, 'could not read the outbox backlog');
        }
      }),
    );
  },
});

const outboxOldestAge = new Gauge({
  name: 'shopgraph_outbox_oldest_unpublished_age_seconds',
  help: 'Age of the oldest unpublished outbox event (0 when all are published); alert when it keeps growing',
  labelNames: ['outbox'] as const,
  registers,
});

/** What an order process's outbox of reservation calls holds right now. */
export interface ReservationCallBacklog {
  /** Calls still to be delivered (retried with back-off until inventory answers). */
  pending: number;
  /** Calls given up on: the order could not be settled automatically and waits for a person. */
  parked: number;
}

let reservationCallProbe: (() => Promise<ReservationCallBacklog>) | undefined;

/** Reports the reservation call outbox, read with `probe` (one query) when scraped. */
export function trackReservationCalls(probe: () => Promise<ReservationCallBacklog>): void {
  reservationCallProbe = probe;
}

new Gauge({
  name: 'shopgraph_reservation_calls',
  help: 'Confirm and release calls to the inventory service waiting in the order outbox of calls, by state: pending (being retried) or parked (needs a person)',
  labelNames: ['state'] as const,
  registers,
  async collect() {
    this.reset();
    if (!reservationCallProbe) return;
    try {
      const backlog = await withTimeout(2000, reservationCallProbe());
      this.set({ state: 'pending' }, backlog.pending);
      this.set({ state: 'parked' }, backlog.parked);
    } catch (error) {
      // No number rather than a stale one that looks healthy.
      log.warn({ err: error }, 'could not read the reservation calls');
    }
  },
});

/** Incremented by inventory's sweeper for every reservation it expires (its stock returned). */
export const reservationsExpired = new Counter({
  name: 'shopgraph_reservations_expired_total',
  help: 'Stock reservations the sweeper expired because no confirmation came in time; their units went back to stock',
  registers,
});

/** How many messages wait in one of a consumer's queues. */
export interface QueueDepth {
  consumer: string;
  /** `main`: waiting to be handled (consumer lag); `dlq`: dead-lettered; `retry`: waiting out a back-off. */
  kind: 'main' | 'retry' | 'dlq';
  messages: number;
}

/** The transport side of consumers: whether the broker is connected, and queue depths. */
export interface ConsumerTransportProbe {
  readonly kind: string;
  isConnected(): boolean;
  queueDepths(): Promise<QueueDepth[]>;
}

const transports = new Set<ConsumerTransportProbe>();

/** Reports a transport's connection and its consumers' queue depths when scraped. */
export function trackTransport(transport: ConsumerTransportProbe): void {
  transports.add(transport);
}

/** Stops reporting a closed transport. */
export function untrackTransport(transport: ConsumerTransportProbe): void {
  transports.delete(transport);
}

new Gauge({
  name: 'shopgraph_events_broker_connected',
  help: '1 while the event transport is connected to the broker (always 1 in-process); absent in services without events',
  labelNames: ['transport'] as const,
  registers,
  collect() {
    this.reset();
    const connected = new Map<string, boolean>();
    for (const t of transports) connected.set(t.kind, (connected.get(t.kind) ?? true) && t.isConnected());
    for (const [transport, up] of connected) this.set({ transport }, up ? 1 : 0);
  },
});

new Gauge({
  name: 'shopgraph_events_queue_messages',
  help: "Messages waiting in a consumer's queues: main (consumer lag), retry, and dlq (dead-lettered)",
  labelNames: ['consumer', 'kind'] as const,
  registers,
  async collect() {
    this.reset();
    for (const transport of transports) {
      try {
        for (const depth of await withTimeout(2000, transport.queueDepths())) {
          this.inc({ consumer: depth.consumer, kind: depth.kind }, depth.messages);
        }
      } catch (error) {
        log.warn({ err: error }, 'could not read queue depths');
      }
    }
  },
});

let processMetrics = false;

/** Adds Node's process metrics (CPU, memory, event loop lag, GC, handles) once per process. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  client.collectDefaultMetrics({ register: metricsRegistry });
}

/** `GET /metrics`: the registry in the Prometheus text format. */
export async function metricsHandler(_req: Request, res: Response): Promise<void> {
  try {
    const body = await metricsRegistry.metrics();
    res.set('content-type', metricsRegistry.contentType).send(body);
  } catch (error) {
    log.error({ err: error }, 'could not render metrics');
    res.status(500).set('content-type', 'text/plain').send('metrics unavailable\n');
  }
}
