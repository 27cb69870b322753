import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { NOTIFICATIONS_CONSUMER, ORDER_STATS_CONSUMER } from '@shopgraph/customer';
import { AmqpTransport, IDEMPOTENCY_KEY_HEADER, type OutboxRelay } from '@shopgraph/lib';
import { startOrderRelay, type OrderDatabase } from '@shopgraph/order';
import type { Kysely } from 'kysely';
import { createTestDatabases, type TestDatabases } from './support/database.js';
import {
  deleteTopology,
  openOrderDb,
  placeOrderWithEvent,
  startInventoryForOrders,
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
import { ENTRY, issuerEnv } from './support/process-stack.js';
import { spawnService, type ServiceProcess } from './support/spawn-service.js';

// The hand-off of notifications to a sender (a mail service behind a
// webhook) survives the customer process being killed (kill -9) in the
// middle of it: every notification reaches the sender, some twice, and the
// sender's deduplication by id leaves each exactly once.
const ORDERS = 60;
const CRASH_AT = 20;

let databases: TestDatabases;
let db: FixtureDbs;
let orders: Kysely<OrderDatabase>;
let inventory: Awaited<ReturnType<typeof startInventoryForOrders>>;
let exchange: string;
let relay: OutboxRelay;
let transport: AmqpTransport;
let relayDb: Kysely<OrderDatabase>;
let webhook: http.Server;
let webhookUrl: string;
let customer: ServiceProcess | undefined;
const received: string[] = [];
let onReceive: (count: number) => void = () => undefined;

beforeAll(async () => {
  databases = await createTestDatabases();
  db = openFixtureDbs(databases.urls);
  orders = openOrderDb(databases.urls.order);
  // Orders are placed through the order service, which reserves their stock at inventory.
  inventory = await startInventoryForOrders(databases.urls.inventory);
  exchange = uniqueExchange('notify');
  webhook = http.createServer((req, res) => {
    const id = req.headers[IDEMPOTENCY_KEY_HEADER];
    req.resume();
    req.on('end', () => {
      if (typeof id === 'string') received.push(id);
      onReceive(received.length);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', () => resolve()));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/notifications`;
  transport = await AmqpTransport.open({
    url: TEST_AMQP_URL,
    exchange,
    prefetch: 10,
    maxAttempts: 3,
    retryBaseDelayMs: 100,
  });
  relayDb = openOrderDb(databases.urls.order, 2);
  relay = await startOrderRelay({
    db: relayDb,
    transport,
    listen: { databaseUrl: databases.urls.order },
    relay: { batchSize: 50, pollIntervalMs: 200, retentionMs: 3_600_000 },
  });
});

afterAll(async () => {
  await customer?.kill();
  await relay?.stop();
  await transport?.close();
  await relayDb?.destroy();
  await new Promise((resolve) => webhook?.close(resolve));
  await deleteTopology(exchange, [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER], 3).catch(() => undefined);
  await inventory?.stop();
  await orders?.destroy();
  await closeFixtureDbs(db);
  await databases?.drop();
});

const startCustomer = () =>
  spawnService('customer', ENTRY.customer, {
    env: {
      ...issuerEnv(),
      CUSTOMER_DATABASE_URL: databases.urls.customer,
      SERVICE_AUTH_SECRET: inventory.secrets.join(','),
      AMQP_URL: TEST_AMQP_URL,
      EVENTS_EXCHANGE: exchange,
      EVENTS_MAX_ATTEMPTS: '3',
      EVENTS_RETRY_BASE_DELAY_MS: '100',
      OUTBOX_POLL_INTERVAL_MS: '200',
      NOTIFICATION_WEBHOOK_URL: webhookUrl,
    },
  });

it('hands every notification to the sender at least once through a kill -9, exactly once after dedupe by id', async () => {
  customer = await startCustomer();
  await customer.waitFor('/ready');
  // The broker shows up once every consumer queue is declared and bound; an
  // event published before that would miss the queues not yet there.
  await waitFor('the consumers to declare their queues', async () => {
    const res = await fetch(`${customer!.url}/ready`);
    return ((await res.json()) as { checks: { broker: string } }).checks.broker === 'up';
  });
  const crashed = new Promise<void>((resolve) => {
    onReceive = (count) => {
      // The sender has the notification, the dispatcher has not recorded it: the worst moment to die.
      if (count === CRASH_AT) {
        customer!.child.kill('SIGKILL');
        resolve();
      }
    };
  });

  const [buyer] = await insertCustomers(db.customer, 1, 'notify');
  const [product] = await insertProducts(db.inventory, 1, 'N', 1000);
  for (let i = 0; i < ORDERS; i++) {
    await placeOrderWithEvent(orders, inventory.neighbours, buyer!.id, [{ productId: product!.id, quantity: 1 }]);
  }
  await crashed;
  const killed = await customer.exit;
  expect(killed.signal).toBe('SIGKILL');
  onReceive = () => undefined;

  customer = await startCustomer();
  await waitFor(
    'every notification to be created and handed over',
    async () => {
      const [made, pending] = await Promise.all([
        db.customer.selectFrom('customer.notification').select('id').where('customer_id', '=', buyer!.id).execute(),
        db.customer.selectFrom('customer.notification_dispatch').select('notification_id').execute(),
      ]);
      return made.length === ORDERS && pending.length === 0 ? made : undefined;
    },
    60_000,
    200,
  );
  const made = await db.customer
    .selectFrom('customer.notification')
    .select('id')
    .where('customer_id', '=', buyer!.id)
    .execute();
  const unique = new Set(received);
  // Nothing lost: every notification reached the sender; nothing invented.
  expect([...unique].sort()).toEqual(made.map((n) => n.id).sort());
  // The crash cost repeats, not losses: the receiver's dedupe by id absorbs them.
  expect(received.length).toBeGreaterThan(unique.size);
  expect(customer.exited).toBeUndefined();
}, 120_000);
