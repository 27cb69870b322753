import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { AmqpTransport, type OutboxRelay } from '@shopgraph/lib';
import { RELAY_LOCK_KEY, startOrderRelay, type OrderDatabase } from '@shopgraph/order';
import { sql, type Kysely } from 'kysely';
import { createTestDatabases, type TestDatabases } from './support/database.js';
import {
  brokerProxy,
  deleteTopology,
  openOrderDb,
  tapExchange,
  TEST_AMQP_URL,
  uniqueExchange,
  waitFor,
} from './support/events.js';
import { ENTRY } from './support/process-stack.js';
import { spawnService } from './support/spawn-service.js';

// The outbox relay when the broker dies under a batch, and when a relay
// hangs while it holds the relay lock. The relay under test is the real one,
// against the real Postgres (the order subgraph's own database, as its own
// role) and RabbitMQ, the broker reached through a proxy.
const LARGEST_BATCH = 5000; // the most OUTBOX_BATCH_SIZE accepts
const CONFIRM_TIMEOUT_MS = 3000;

let databases: TestDatabases;
let db: Kysely<OrderDatabase>;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  databases = await createTestDatabases();
  db = openOrderDb(databases.urls.order);
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await db.deleteFrom('orders.outbox_event').execute();
});

afterAll(async () => {
  await db?.destroy();
  await databases?.drop();
});

/** Writes `count` events straight into the outbox (2 KB each, so a batch overfills the socket) and wakes the relay. */
async function queueEvents(count: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    insert into orders.outbox_event (id, type, aggregate_id, aggregate_version, occurred_at, data)
    select gen_random_uuid(), 'order.created', gen_random_uuid(), 1, now(), jsonb_build_object('padding', repeat('x', 2048))
    from generate_series(1, ${count}) returning id`.execute(db);
  await sql`select pg_notify('orders_outbox', '')`.execute(db);
  return rows.map((r) => r.id);
}

/** Whether some session holds the relay's advisory lock (a batch is in progress). */
async function relayLockHeld(): Promise<boolean> {
  const { rows } = await sql<{ n: string }>`
    select count(*) as n from pg_locks l join pg_database d on d.oid = l.database
    where l.locktype = 'advisory' and l.classid = 0 and l.objid = ${RELAY_LOCK_KEY} and d.datname = ${databases.names.order}`.execute(
    db,
  );
  return Number(rows[0]?.n) > 0;
}

const unpublished = async () =>
  Number(
    (
      await db
        .selectFrom('orders.outbox_event')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('published_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

async function startRelay(exchange: string, url: string): Promise<{ relay: OutboxRelay; transport: AmqpTransport }> {
  const transport = await AmqpTransport.open({
    url,
    exchange,
    prefetch: 10,
    maxAttempts: 1,
    retryBaseDelayMs: 100,
    confirmTimeoutMs: CONFIRM_TIMEOUT_MS,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
  });
  const relayDb = openOrderDb(databases.urls.order, 2);
  const relay = await startOrderRelay({
    db: relayDb,
    transport,
    listen: { databaseUrl: databases.urls.order },
    relay: { batchSize: LARGEST_BATCH, pollIntervalMs: 200, retentionMs: 3_600_000, maxBackoffMs: 500 },
  });
  cleanup.push(async () => {
    await relay.stop();
    await transport.close();
    await relayDb.destroy();
  });
  return { relay, transport };
}

describe('the outbox relay under broker and relay faults', () => {
  it('gives up a batch of the largest size when the broker dies under it, frees the lock, and delivers everything after recovery', async () => {
    const exchange = uniqueExchange('relay-kill');
    const tap = await tapExchange(exchange);
    cleanup.push(async () => {
      await tap.close();
      await deleteTopology(exchange, [], 1);
    });
    const proxy = await brokerProxy();
    cleanup.push(() => proxy.close());
    const { transport, relay } = await startRelay(exchange, proxy.urlFor(TEST_AMQP_URL));
    await waitFor('the relay to connect', () => transport.isConnected());

    // The broker stops answering, then a full batch arrives.
    await proxy.blackhole();
    const ids = await queueEvents(3000);
    await waitFor('the relay to be publishing under its lock', () => relayLockHeld());
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await relayLockHeld()).toBe(true);

    // The broker dies: its connections drop. The batch ends at once, rolled back.
    const cutAt = Date.now();
    await proxy.cut();
    await waitFor('the relay lock to be released', async () => !(await relayLockHeld()), 10_000, 20);
    expect(Date.now() - cutAt).toBeLessThan(CONFIRM_TIMEOUT_MS);
    expect(await unpublished()).toBe(3000);
    expect(relay.stats.errors).toBeGreaterThan(0);

    await proxy.restore();
    const [late] = await queueEvents(1);
    await waitFor('every event, including one queued after recovery, to be published', async () => {
      const seen = new Set(tap.messages.map((m) => m.properties.messageId as string));
      return (await unpublished()) === 0 && [...ids, late!].every((id) => seen.has(id));
    });
  }, 60_000);

  it('lets a second relay take over when the first hangs holding the lock', async () => {
    const exchange = uniqueExchange('relay-hang');
    const tap = await tapExchange(exchange);
    const proxy = await brokerProxy();
    const IDLE_IN_TRANSACTION_MS = CONFIRM_TIMEOUT_MS + 1000;
    const first = await spawnService('order-relay', ENTRY.relay, {
      env: {
        ORDER_DATABASE_URL: databases.urls.order,
        AMQP_URL: proxy.urlFor(TEST_AMQP_URL),
        EVENTS_EXCHANGE: exchange,
        OUTBOX_BATCH_SIZE: String(LARGEST_BATCH),
        OUTBOX_POLL_INTERVAL_MS: '200',
        OUTBOX_CONFIRM_TIMEOUT_MS: String(CONFIRM_TIMEOUT_MS),
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(IDLE_IN_TRANSACTION_MS),
      },
    });
    cleanup.push(async () => {
      first.signal('SIGCONT');
      await first.kill();
      await tap.close();
      await proxy.close();
      await deleteTopology(exchange, [], 1);
    });
    await first.waitFor('/ready');

    // The first relay takes a batch, and its process freezes in the middle of it.
    await proxy.blackhole();
    const ids = await queueEvents(1000);
    await waitFor('the first relay to hold the lock', () => relayLockHeld());
    first.signal('SIGSTOP');
    const stoppedAt = Date.now();

    // A second relay, with a working broker, can only wait for the lock.
    await startRelay(exchange, TEST_AMQP_URL);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await relayLockHeld()).toBe(true);

    // Postgres ends the frozen relay's idle transaction; the second relay publishes everything.
    await waitFor(
      'the second relay to publish every event',
      async () => {
        const seen = new Set(tap.messages.map((m) => m.properties.messageId as string));
        return (await unpublished()) === 0 && ids.every((id) => seen.has(id));
      },
      30_000,
      100,
    );
    expect(Date.now() - stoppedAt).toBeLessThan(IDLE_IN_TRANSACTION_MS + 5000);

    // The frozen relay wakes to a dead session and a dead broker link: it survives both and shuts down cleanly.
    await proxy.restore();
    first.signal('SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(first.exited).toBeUndefined();
    first.signal('SIGTERM');
    const exit = await first.exit;
    expect({ code: exit.code, log: exit.code === 0 ? '' : first.tail() }).toEqual({ code: 0, log: '' });
  }, 60_000);
});
