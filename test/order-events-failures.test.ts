import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AmqpTransport,
  consumerQueues,
  DEAD_LETTER_REASON_HEADER,
  ATTEMPT_HEADER,
  encodeEnvelope,
  startConsumer,
  type EventConsumer,
  type EventTransport,
  type OutboxRelay,
  type Subscription,
} from '@shopgraph/lib';
import {
  customerConsumers,
  decodeOrderEvent,
  NOTIFICATIONS_CONSUMER,
  ORDER_STATS_CONSUMER,
  pruneInbox,
  type CustomerDatabase,
} from '@shopgraph/customer';
import { orderOutboxStore, startOrderRelay, type Neighbours, type OrderEvent } from '@shopgraph/order';
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type { Kysely } from 'kysely';
import { createTestDatabases, type TestDatabases } from './support/database.js';
import {
  changeOrderStatusWithEvent,
  deleteTopology,
  drainQueue,
  openOrderDb,
  placeOrderWithEvent,
  startInventoryForOrders,
  tapExchange,
  brokerProxy,
  TEST_AMQP_URL,
  uniqueExchange,
  waitFor,
} from './support/events.js';
import {
  closeFixtureDbs,
  insertCustomers,
  insertProducts,
  openFixtureDbs,
  type FixtureDbs,
} from './support/fixtures.js';

// Failure modes of event delivery, each against the real RabbitMQ with its
// own exchange and queues (deleted afterwards) and a TCP proxy where a test
// needs to take the broker away from one client.
const MAX_ATTEMPTS = 3;
const CONSUMERS = [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER];
let databases: TestDatabases;
let dbs: FixtureDbs;
let customerDb: Kysely<CustomerDatabase>;
let inventory: Awaited<ReturnType<typeof startInventoryForOrders>>;
let neighbours: Neighbours;
let line: { productId: string; unitPriceMinor: number; quantity: number };

/** Everything a test started, stopped and deleted after it whatever happened. */
const cleanup: (() => Promise<unknown>)[] = [];
const later = (fn: () => Promise<unknown>) => cleanup.push(fn);

beforeAll(async () => {
  databases = await createTestDatabases();
  dbs = openFixtureDbs(databases.urls);
  customerDb = dbs.customer;
  // Orders are placed through the order service, which reserves stock from the real inventory service.
  inventory = await startInventoryForOrders(databases.urls.inventory);
  neighbours = inventory.neighbours;
  const [product] = await insertProducts(dbs.inventory, 1, 'P', 1_000_000);
  line = { productId: product!.id, unitPriceMinor: product!.price_minor, quantity: 1 };
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  // Each test starts from an empty outbox; events of one test never reach another's exchange.
  await dbs.order.deleteFrom('orders.outbox_event').execute();
});

afterAll(async () => {
  await inventory?.stop();
  await closeFixtureDbs(dbs);
  await databases?.drop();
});

const delivery = (exchange: string, retryBaseDelayMs = 100) => ({
  exchange,
  prefetch: 10,
  maxAttempts: MAX_ATTEMPTS,
  retryBaseDelayMs,
});

async function openTransport(exchange: string, url = TEST_AMQP_URL, retryBaseDelayMs?: number): Promise<AmqpTransport> {
  const transport = await AmqpTransport.open({
    ...delivery(exchange, retryBaseDelayMs),
    url,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
  });
  later(() => transport.close());
  return transport;
}

/** The customer subgraph's real consumers, optionally wrapped by the test. */
async function startConsumers(
  exchange: string,
  options: {
    url?: string;
    retryBaseDelayMs?: number;
    wrap?: (consumer: EventConsumer<OrderEvent>) => EventConsumer<OrderEvent>;
  } = {},
): Promise<EventTransport> {
  const transport = await openTransport(exchange, options.url, options.retryBaseDelayMs);
  const subscriptions: Subscription[] = [];
  for (const consumer of customerConsumers(customerDb)) {
    subscriptions.push(
      await startConsumer(transport, decodeOrderEvent, options.wrap ? options.wrap(consumer) : consumer),
    );
  }
  later(async () => {
    for (const s of subscriptions) await s.cancel();
  });
  await waitFor('the consumers to declare their queues', () => transport.isConnected());
  return transport;
}

async function startRelay(
  exchange: string,
  url = TEST_AMQP_URL,
): Promise<{ relay: OutboxRelay; transport: EventTransport }> {
  const transport = await openTransport(exchange, url);
  const relayDb = openOrderDb(databases.urls.order, 2);
  const relay = await startOrderRelay({
    db: relayDb,
    transport,
    listen: { databaseUrl: databases.urls.order },
    relay: { batchSize: 25, pollIntervalMs: 200, retentionMs: 3_600_000 },
    failureBackoff: { baseMs: 100, maxMs: 400 },
  });
  later(async () => {
    await relay.stop();
    await relayDb.destroy();
  });
  return { relay, transport };
}

const count = async (consumer: string, eventIds: readonly string[]) => {
  if (eventIds.length === 0) return 0;
  const rows = await dbs.customer
    .selectFrom('customer.event_inbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('consumer', '=', consumer)
    .where('event_id', 'in', eventIds)
    .executeTakeFirstOrThrow();
  return Number(rows.n);
};

const notificationsFor = (eventIds: readonly string[]) =>
  dbs.customer.selectFrom('customer.notification').select(['event_id']).where('event_id', 'in', eventIds).execute();

describe('order event delivery when things fail', () => {
  it('keeps events in the outbox while the broker is unreachable and delivers all of them when it is back', async () => {
    const exchange = uniqueExchange('outage');
    later(() => deleteTopology(exchange, CONSUMERS, MAX_ATTEMPTS));
    const proxy = await brokerProxy();
    later(() => proxy.close());
    await startConsumers(exchange);
    const { transport } = await startRelay(exchange, proxy.urlFor(TEST_AMQP_URL));
    await waitFor('the relay to connect through the proxy', () => transport.isConnected());

    await proxy.cut();
    await waitFor('the relay to notice the outage', () => !transport.isConnected());
    await expect(transport.ready()).rejects.toThrow(/not connected/);

    const [customer] = await insertCustomers(dbs.customer, 1, 'outage');
    const placed = [];
    for (let i = 0; i < 100; i += 10) {
      placed.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, () => placeOrderWithEvent(dbs.order, neighbours, customer!.id, [line])),
        )),
      );
    }
    const eventIds = placed.map((p) => p.event.id);
    // Every order committed; their events wait in the outbox.
    const committed = await dbs.order
      .selectFrom('orders.order')
      .select('id')
      .where('customer_id', '=', customer!.id)
      .execute();
    expect(committed).toHaveLength(100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = await dbs.order
      .selectFrom('orders.outbox_event')
      .select('id')
      .where('published_at', 'is', null)
      .execute();
    expect(waiting.map((r) => r.id).sort()).toEqual([...eventIds].sort());
    expect(await count(NOTIFICATIONS_CONSUMER, eventIds)).toBe(0);

    await proxy.restore();
    await waitFor(
      'every event to be applied by both consumers',
      async () =>
        (await count(NOTIFICATIONS_CONSUMER, eventIds)) === 100 &&
        (await count(ORDER_STATS_CONSUMER, eventIds)) === 100,
    );
    // None lost, none applied twice.
    const notifications = await notificationsFor(eventIds);
    expect(notifications.map((n) => n.event_id).sort()).toEqual([...eventIds].sort());
    const stats = await dbs.customer
      .selectFrom('customer.order_stats')
      .selectAll()
      .where('customer_id', '=', customer!.id)
      .executeTakeFirstOrThrow();
    expect(stats).toMatchObject({ order_count: 100, total_spent_minor: 100 * line.unitPriceMinor });
    const unpublished = await dbs.order
      .selectFrom('orders.outbox_event')
      .select('id')
      .where('published_at', 'is', null)
      .execute();
    expect(unpublished).toEqual([]);
  });

  it('redelivers an event whose consumer died after its commit but before its ack, and applies it once', async () => {
    const exchange = uniqueExchange('kill');
    later(() => deleteTopology(exchange, CONSUMERS, MAX_ATTEMPTS));
    const proxy = await brokerProxy();
    later(() => proxy.close());
    const deliveries: { eventId: string; redelivered: boolean }[] = [];
    let killed = false;
    await startConsumers(exchange, {
      url: proxy.urlFor(TEST_AMQP_URL),
      wrap: (consumer) =>
        consumer.name !== NOTIFICATIONS_CONSUMER
          ? consumer
          : {
              ...consumer,
              async handle(event, delivery) {
                deliveries.push({ eventId: event.id, redelivered: delivery.redelivered });
                await consumer.handle(event, delivery); // committed
                if (!killed) {
                  killed = true;
                  // The consumer's connection dies before the ack goes out.
                  await proxy.cut();
                  await proxy.restore();
                }
              },
            },
    });
    await startRelay(exchange);

    const [customer] = await insertCustomers(dbs.customer, 1, 'kill');
    const { event } = await placeOrderWithEvent(dbs.order, neighbours, customer!.id, [line]);
    await waitFor('the event to be delivered again', () => deliveries.length >= 2);
    expect(deliveries).toEqual([
      { eventId: event.id, redelivered: false },
      { eventId: event.id, redelivered: true },
    ]);
    // Its effect happened once.
    expect(await notificationsFor([event.id])).toHaveLength(1);
    expect(await count(NOTIFICATIONS_CONSUMER, [event.id])).toBe(1);
    // And it was acked the second time: nothing is left in the queue.
    await waitFor('the queue to be empty', async () => {
      const connection = await connect(TEST_AMQP_URL);
      try {
        const channel = await connection.createChannel();
        const q = await channel.checkQueue(consumerQueues(exchange, NOTIFICATIONS_CONSUMER, MAX_ATTEMPTS).main);
        return q.messageCount === 0;
      } finally {
        await connection.close();
      }
    });
  });

  it('dead-letters poison and repeatedly failing messages after N attempts while the others keep flowing', async () => {
    const exchange = uniqueExchange('poison');
    later(() => deleteTopology(exchange, CONSUMERS, MAX_ATTEMPTS));
    const failingId = randomUUID();
    const attempts: number[] = [];
    // Retries after 300 ms and 1.2 s: time enough for the good events to pass first.
    await startConsumers(exchange, {
      retryBaseDelayMs: 300,
      wrap: (consumer) =>
        consumer.name !== NOTIFICATIONS_CONSUMER
          ? consumer
          : {
              ...consumer,
              async handle(event, delivery) {
                if (event.id === failingId) {
                  attempts.push(delivery.attempt);
                  throw new Error('mail provider down');
                }
                await consumer.handle(event, delivery);
              },
            },
    });
    await startRelay(exchange);
    const [customer] = await insertCustomers(dbs.customer, 1, 'poison');

    // Straight onto the exchange: not JSON, an unknown envelope version, and
    // a valid event that one consumer keeps failing on.
    const connection = await connect(TEST_AMQP_URL);
    later(() => connection.close());
    const channel = await connection.createConfirmChannel();
    const valid: OrderEvent = {
      schemaVersion: 1,
      id: failingId,
      type: 'order.created',
      occurredAt: new Date().toISOString(),
      aggregateId: randomUUID(),
      aggregateVersion: 1,
      data: {
        orderId: randomUUID(),
        customerId: customer!.id,
        status: 'PENDING',
        total: { amountMinor: 500, currency: 'USD' },
        lines: [{ productId: line.productId, quantity: 1, unitPriceMinor: 500 }],
        placedAt: new Date().toISOString(),
      },
    };
    valid.data.orderId = valid.aggregateId;
    const garbageId = randomUUID();
    const futureId = randomUUID();
    channel.publish(exchange, 'order.created', Buffer.from('{not json'), { messageId: garbageId, persistent: true });
    channel.publish(
      exchange,
      'order.created',
      Buffer.from(JSON.stringify({ ...valid, id: futureId, schemaVersion: 2 })),
      {
        messageId: futureId,
        persistent: true,
      },
    );
    channel.publish(exchange, 'order.created', encodeEnvelope(valid), { messageId: failingId, persistent: true });
    await channel.waitForConfirms();

    // Orders placed after the poison flow through.
    const placed = await Promise.all(
      [1, 2, 3].map(() => placeOrderWithEvent(dbs.order, neighbours, customer!.id, [line])),
    );
    const goodIds = placed.map((p) => p.event.id);
    await waitFor('the good events to be applied', async () => (await count(NOTIFICATIONS_CONSUMER, goodIds)) === 3);
    expect(attempts.length).toBeLessThan(MAX_ATTEMPTS); // still retrying while the others went through

    const dlq = consumerQueues(exchange, NOTIFICATIONS_CONSUMER, MAX_ATTEMPTS).dlq;
    const parked = await waitFor('three dead letters', async () => {
      const connection2 = await connect(TEST_AMQP_URL);
      try {
        const ch = await connection2.createChannel();
        return (await ch.checkQueue(dlq)).messageCount === 3;
      } finally {
        await connection2.close();
      }
    }).then(() => drainQueue(dlq));
    const byId = new Map(parked.map((m) => [m.properties.messageId as string, m]));
    expect(String(byId.get(garbageId)?.properties.headers?.[DEAD_LETTER_REASON_HEADER])).toMatch(
      /^poison: body is not JSON/,
    );
    expect(String(byId.get(futureId)?.properties.headers?.[DEAD_LETTER_REASON_HEADER])).toMatch(
      /^poison: unknown envelope schemaVersion 2/,
    );
    const failed = byId.get(failingId)!;
    expect(String(failed.properties.headers?.[DEAD_LETTER_REASON_HEADER])).toMatch(
      /^failed 3 times: mail provider down/,
    );
    expect(failed.properties.headers?.[ATTEMPT_HEADER]).toBe(MAX_ATTEMPTS);
    expect(attempts).toEqual([1, 2, 3]);
    expect(JSON.parse(failed.content.toString()).id).toBe(failingId);

    // The other consumer dead-lettered only the two poison messages and applied the valid event.
    const statsDlq = await drainQueue(consumerQueues(exchange, ORDER_STATS_CONSUMER, MAX_ATTEMPTS).dlq);
    expect(statsDlq.map((m) => m.properties.messageId).sort()).toEqual([garbageId, futureId].sort());
    expect(await count(ORDER_STATS_CONSUMER, [failingId, ...goodIds])).toBe(4);
  });

  it('detects an unroutable publish, leaves the row unpublished, and publishes it once a queue is bound', async () => {
    const exchange = uniqueExchange('unroutable');
    later(() => deleteTopology(exchange, [], MAX_ATTEMPTS));
    // No consumer is bound to this exchange.
    const { transport } = await startRelay(exchange);
    await waitFor('the relay to connect', () => transport.isConnected());
    const [customer] = await insertCustomers(dbs.customer, 1, 'unroutable');
    const { event } = await placeOrderWithEvent(dbs.order, neighbours, customer!.id, [line]);

    const refused = await waitFor('the broker to return the event', async () => {
      const row = await dbs.order
        .selectFrom('orders.outbox_event')
        .selectAll()
        .where('id', '=', event.id)
        .executeTakeFirstOrThrow();
      return row.attempts > 0 ? row : undefined;
    });
    expect(refused.published_at).toBeNull();
    expect(refused.last_error).toMatch(/unroutable/);

    const tap = await tapExchange(exchange, 'order.*');
    later(() => tap.close());
    await waitFor('the event to be published', () => tap.messages.length === 1);
    expect(tap.messages[0]!.properties.messageId).toBe(event.id);
    const row = await waitFor('the row to be marked', async () => {
      const r = await dbs.order
        .selectFrom('orders.outbox_event')
        .selectAll()
        .where('id', '=', event.id)
        .executeTakeFirstOrThrow();
      return r.published_at ? r : undefined;
    });
    expect(row.attempts).toBeGreaterThanOrEqual(1);
  });

  it('runs one active relay at a time: no event published twice and per-order order kept with two relays', async () => {
    const exchange = uniqueExchange('tworelays');
    later(() => deleteTopology(exchange, [], MAX_ATTEMPTS));
    const tap = await tapExchange(exchange);
    later(() => tap.close());
    const first = await startRelay(exchange);
    const second = await startRelay(exchange);
    await waitFor('both relays to connect', () => first.transport.isConnected() && second.transport.isConnected());

    const customers = await insertCustomers(dbs.customer, 5, 'two');
    const expected = new Map<string, number[]>();
    // 20 orders, each created then moved through three statuses, interleaved across orders.
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const { orderId } = await placeOrderWithEvent(dbs.order, neighbours, customers[i % 5]!.id, [line]);
        return orderId;
      }),
    );
    for (const status of ['PAID', 'SHIPPED', 'DELIVERED'] as const) {
      await Promise.all(ids.map((id) => changeOrderStatusWithEvent(dbs.order, neighbours, id, status)));
    }
    for (const id of ids) expected.set(id, [1, 2, 3, 4]);

    await waitFor('all 80 events on the exchange', () => tap.messages.length >= 80);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more arrives
    expect(tap.messages).toHaveLength(80);
    const events = tap.messages.map((m) => decodeOrderEvent(m.content));
    expect(new Set(events.map((e) => e.id)).size).toBe(80);
    const seen = new Map<string, number[]>();
    for (const e of events) seen.set(e.aggregateId, [...(seen.get(e.aggregateId) ?? []), e.aggregateVersion]);
    expect(seen).toEqual(expected);
    expect(first.relay.stats.published + second.relay.stats.published).toBe(80);
  });

  it('forgets inbox entries past the retention, and only those', async () => {
    const entry = (processedAt: Date) => ({
      consumer: 'test.prune',
      event_id: randomUUID(),
      event_type: 'order.created',
      aggregate_id: randomUUID(),
      aggregate_version: 1,
      processed_at: processedAt,
    });
    const old = entry(new Date(Date.now() - 31 * 86_400_000));
    const recent = entry(new Date(Date.now() - 86_400_000));
    await dbs.customer.insertInto('customer.event_inbox').values([old, recent]).execute();
    expect(await pruneInbox(customerDb, new Date(Date.now() - 30 * 86_400_000))).toBe(1);
    const left = await dbs.customer
      .selectFrom('customer.event_inbox')
      .select('event_id')
      .where('consumer', '=', 'test.prune')
      .execute();
    expect(left).toEqual([{ event_id: recent.event_id }]);
  });

  it('prunes published outbox rows past the retention, never unpublished ones', async () => {
    const [customer] = await insertCustomers(dbs.customer, 1, 'prune');
    const events = await Promise.all(
      [1, 2, 3].map(() => placeOrderWithEvent(dbs.order, neighbours, customer!.id, [line])),
    );
    const [oldPublished, recentPublished, oldUnpublished] = events.map((e) => e.event.id) as [string, string, string];
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    await dbs.order
      .updateTable('orders.outbox_event')
      .set({ published_at: daysAgo(8) })
      .where('id', '=', oldPublished)
      .execute();
    await dbs.order
      .updateTable('orders.outbox_event')
      .set({ published_at: daysAgo(1) })
      .where('id', '=', recentPublished)
      .execute();
    await dbs.order
      .updateTable('orders.outbox_event')
      .set({ occurred_at: daysAgo(30) })
      .where('id', '=', oldUnpublished)
      .execute();

    expect(await orderOutboxStore(dbs.order).prune(7 * 86_400_000)).toBe(1);
    const left = await dbs.order.selectFrom('orders.outbox_event').select('id').execute();
    expect(left.map((r) => r.id).sort()).toEqual([recentPublished, oldUnpublished].sort());
  });

  it('resumes consuming when the broker cancels a consumer (its queue was deleted)', async () => {
    const exchange = uniqueExchange('cancel');
    later(() => deleteTopology(exchange, CONSUMERS, MAX_ATTEMPTS));
    await startConsumers(exchange);
    await startRelay(exchange);
    const [customer] = await insertCustomers(dbs.customer, 1, 'cancel');
    const first = await placeOrderWithEvent(dbs.order, neighbours, customer!.id, [line]);
    await waitFor('the first event', async () => (await count(NOTIFICATIONS_CONSUMER, [first.event.id])) === 1);

    const connection = await connect(TEST_AMQP_URL);
    await (
      await connection.createChannel()
    ).deleteQueue(consumerQueues(exchange, NOTIFICATIONS_CONSUMER, MAX_ATTEMPTS).main);
    await connection.close();

    // The consumer declares its queue again; an event published after that arrives.
    await waitFor('the queue to be declared again', async () => {
      const c = await connect(TEST_AMQP_URL);
      try {
        const ch = await c.createChannel();
        ch.on('error', () => undefined);
        return (
          (await ch.checkQueue(consumerQueues(exchange, NOTIFICATIONS_CONSUMER, MAX_ATTEMPTS).main)).consumerCount === 1
        );
      } catch {
        return false;
      } finally {
        await c.close().catch(() => undefined);
      }
    });
    const second = await placeOrderWithEvent(dbs.order, neighbours, customer!.id, [line]);
    await waitFor('the second event', async () => (await count(NOTIFICATIONS_CONSUMER, [second.event.id])) === 1);
  });
});
