/**
 * Order event relay benchmark against the real Postgres and RabbitMQ
 * (`pnpm bench:relay`):
 *
 * 1. backlog: BENCH_EVENTS order events waiting in the outbox, then the relay
 *    starts; events/second until the relay has every row confirmed and marked,
 *    and until the notifications consumer has acked the last one;
 * 2. steady rate: orders placed (one transaction each, as placeOrder does) at
 *    BENCH_RATE per second for BENCH_SECONDS; lag from the event's occurredAt
 *    to the consumer's ack, as percentiles;
 * 3. baselines in the same run: a plain amqplib publish-with-confirms loop,
 *    batched (waitForConfirms per batch) and one message at a time.
 *
 * Uses its own database and a unique exchange, removed afterwards.
 */
import { performance } from 'node:perf_hooks';
import {
  customerConsumers,
  decodeOrderEvent,
  NOTIFICATIONS_CONSUMER,
  type CustomerDatabase,
} from '@shopgraph/customer';
import { AmqpTransport, createDatabase, encodeEnvelope, startConsumer, type OutboxRelay } from '@shopgraph/lib';
import { appendOutboxEvent, startOrderRelay, type OrderDatabase } from '@shopgraph/order';
import { connect } from 'amqplib';
import { createTestDatabases } from '../test/support/database.js';
import {
  deleteTopology,
  placeOrderWithEvent,
  startInventoryForOrders,
  TEST_AMQP_URL,
  uniqueExchange,
  waitFor,
} from '../test/support/events.js';
import { closeFixtureDbs, insertCustomers, insertProducts, openFixtureDbs } from '../test/support/fixtures.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 200);
const out = (line = '') => process.stdout.write(`${line}\n`);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const databases = await createTestDatabases({ prefix: 'sgbench' });
const exchange = uniqueExchange('bench');
const fixtures = openFixtureDbs(databases.urls);
const orders = createDatabase<OrderDatabase>({ databaseUrl: databases.urls.order, poolSize: 10 });
const customerDb = createDatabase<CustomerDatabase>({ databaseUrl: databases.urls.customer, poolSize: 4 });
// Orders placed at the steady rate reserve their stock from the inventory service.
const inventory = await startInventoryForOrders(databases.urls.inventory);
const delivery = { exchange, prefetch: 50, maxAttempts: 3, retryBaseDelayMs: 1000 };
const consumerTransport = await AmqpTransport.open({ ...delivery, url: TEST_AMQP_URL });
const relayTransport = await AmqpTransport.open({ ...delivery, url: TEST_AMQP_URL });
let relay: OutboxRelay | undefined;

try {
  const [customer] = await insertCustomers(fixtures.customer, 1, 'bench');
  const [product] = await insertProducts(fixtures.inventory, 1, 'BENCH', 100_000_000);
  const line = { productId: product!.id, quantity: 1, unitPriceMinor: product!.price_minor };

  // The real notifications consumer; the ack follows right after handle() resolves.
  const acked = new Map<string, number>();
  const notifications = customerConsumers(customerDb).find((c) => c.name === NOTIFICATIONS_CONSUMER)!;
  await startConsumer(consumerTransport, decodeOrderEvent, {
    ...notifications,
    async handle(event, message) {
      await notifications.handle(event, message);
      acked.set(event.id, Date.now());
    },
  });
  await waitFor('the consumer to connect', () => consumerTransport.isConnected());
  await waitFor('the relay transport to connect', () => relayTransport.isConnected());

  // 1. Backlog: the outbox fills while no relay runs (the API, 500 events per transaction).
  for (let written = 0; written < EVENTS; written += 500) {
    await orders.transaction().execute(async (trx) => {
      const n = Math.min(500, EVENTS - written);
      const rows = await trx
        .insertInto('orders.order')
        .values(
          Array.from({ length: n }, () => ({
            customer_id: customer!.id,
            status: 'PENDING' as const,
            currency: 'USD',
            total_minor: line.unitPriceMinor,
          })),
        )
        .returningAll()
        .execute();
      for (const row of rows) {
        await appendOutboxEvent(trx, {
          type: 'order.created',
          aggregateId: row.id,
          aggregateVersion: 1,
          data: {
            orderId: row.id,
            customerId: row.customer_id,
            status: 'PENDING',
            total: { amountMinor: row.total_minor, currency: 'USD' },
            lines: [line],
            placedAt: row.placed_at.toISOString(),
          },
        });
      }
    });
  }
  const relayDb = createDatabase<OrderDatabase>({ databaseUrl: databases.urls.order, poolSize: 2 });
  const started = performance.now();
  relay = await startOrderRelay({
    db: relayDb,
    transport: relayTransport,
    listen: { databaseUrl: databases.urls.order },
    relay: { batchSize: BATCH, pollIntervalMs: 1000, retentionMs: 3_600_000 },
  });
  const startedAt = Date.now();
  await waitFor('the relay to publish the backlog', () => relay!.stats.published >= EVENTS, 300_000, 5);
  const relayMs = performance.now() - started;
  await waitFor('the consumer to ack the backlog', () => acked.size >= EVENTS, 600_000, 5);
  const lastAck = Math.max(...acked.values());
  const endToEndMs = lastAck - startedAt;

  // 2. Steady rate: orders placed one transaction each; lag from occurredAt to the consumer's ack.
  acked.clear();
  const placed: { id: string; occurredAt: number }[] = [];
  const total = RATE * SECONDS;
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      placeOrderWithEvent(orders, inventory.neighbours, customer!.id, [line]).then(({ event }) => {
        placed.push({ id: event.id, occurredAt: Date.parse(event.occurredAt) });
      }),
    );
  }
  await Promise.all(inFlight);
  const placedRate = total / ((performance.now() - t0) / 1000);
  await waitFor('the consumer to ack every steady-rate event', () => acked.size >= total, 120_000, 5);
  const lags = placed.map((p) => acked.get(p.id)! - p.occurredAt).sort((a, b) => a - b);

  // 3. Baselines: plain amqplib publish with confirms, same broker, same run.
  const connection = await connect(TEST_AMQP_URL);
  const channel = await connection.createConfirmChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  // A body the size of a real order.created event.
  const body = encodeEnvelope({
    schemaVersion: 1,
    id: '00000000-0000-4000-8000-000000000000',
    type: 'order.created',
    occurredAt: new Date().toISOString(),
    aggregateId: '00000000-0000-4000-8000-000000000001',
    aggregateVersion: 1,
    data: {
      orderId: '00000000-0000-4000-8000-000000000001',
      customerId: customer!.id,
      status: 'PENDING',
      total: { amountMinor: line.unitPriceMinor, currency: 'USD' },
      lines: [line],
      placedAt: new Date().toISOString(),
    },
  });
  const batched = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
      channel.publish('', queue, body, { persistent: true, mandatory: true, messageId: String(j) });
    }
    await channel.waitForConfirms();
  }
  const batchedMs = performance.now() - batched;
  await channel.purgeQueue(queue);
  const single = Math.min(EVENTS, 1000);
  const oneByOne = performance.now();
  for (let j = 0; j < single; j++) {
    channel.publish('', queue, body, { persistent: true, mandatory: true, messageId: String(j) });
    await channel.waitForConfirms();
  }
  const oneByOneMs = performance.now() - oneByOne;
  await connection.close();

  const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')} events/s`;
  out();
  out(`Order event relay benchmark (${EVENTS} events, batch ${BATCH}; Postgres + RabbitMQ on this machine)`);
  out();
  out(
    `  relay, backlog → published and marked        ${rate(EVENTS, relayMs).padStart(16)}   (${Math.round(relayMs)} ms)`,
  );
  out(
    `  relay, backlog → notifications consumer ack  ${rate(EVENTS, endToEndMs).padStart(16)}   (${Math.round(endToEndMs)} ms)`,
  );
  out(
    `  amqplib publish + confirms, batches of ${String(BATCH).padEnd(5)} ${rate(EVENTS, batchedMs).padStart(16)}   (${Math.round(batchedMs)} ms)`,
  );
  out(
    `  amqplib publish + confirm, one at a time     ${rate(single, oneByOneMs).padStart(16)}   (${single} messages, ${Math.round(oneByOneMs)} ms)`,
  );
  out();
  out(
    `  steady rate: ${total} orders at ${RATE}/s target (${placedRate.toFixed(0)}/s achieved), occurredAt → consumer ack:`,
  );
  out(
    `    p50 ${percentile(lags, 50)} ms   p95 ${percentile(lags, 95)} ms   p99 ${percentile(lags, 99)} ms   max ${lags.at(-1)} ms`,
  );
  out();
  await relay.stop();
  relay = undefined;
  await relayDb.destroy();
} finally {
  await relay?.stop();
  await relayTransport.close();
  await consumerTransport.close();
  await deleteTopology(exchange, [NOTIFICATIONS_CONSUMER], delivery.maxAttempts);
  await inventory.stop();
  await Promise.all([orders.destroy(), customerDb.destroy(), closeFixtureDbs(fixtures)]);
  await databases.drop();
}
