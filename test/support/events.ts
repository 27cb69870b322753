import { randomBytes, randomUUID } from 'node:crypto';
import { startInventory, type InventoryDatabase } from '@shopgraph/inventory';
import {
  consumerQueues,
  createAuthenticator,
  createDatabase,
  staticKeys,
  type RunningService,
  type Viewer,
} from '@shopgraph/lib';
import {
  changeOrderStatus,
  connectNeighbours,
  placeOrder,
  toEnvelope,
  type Neighbours,
  type OrderDatabase,
  type OrderEvent,
  type OrderStatus,
  type StatusChangeRequest,
} from '@shopgraph/order';
import { connect, type ConsumeMessage, type GetMessage } from 'amqplib';
import type { Kysely } from 'kysely';
import { TcpProxy } from './tcp-proxy.js';

/** The RabbitMQ the event tests run against; every test uses its own exchange and queues. */
export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** An exchange name no other run uses. */
export const uniqueExchange = (label: string) => `test.${label}.${Date.now()}.${randomBytes(4).toString('hex')}`;

/**
 * Deletes an exchange and the queues of its consumers (main, retries, DLQ)
 * plus any `extraQueues`. Other runs share the broker.
 */
export async function deleteTopology(
  exchange: string,
  consumers: readonly string[],
  maxAttempts: number,
  extraQueues: readonly string[] = [],
): Promise<void> {
  const connection = await connect(TEST_AMQP_URL);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    for (const name of consumers) {
      const q = consumerQueues(exchange, name, maxAttempts);
      for (const queue of [q.main, ...q.retries, q.dlq]) await channel.deleteQueue(queue);
    }
    for (const queue of extraQueues) await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

/** Reads (and acks) everything in a queue right now, e.g. a dead-letter queue. */
export async function drainQueue(queue: string): Promise<GetMessage[]> {
  const connection = await connect(TEST_AMQP_URL);
  try {
    const channel = await connection.createChannel();
    const messages: GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (!message) return messages;
      messages.push(message);
    }
  } finally {
    await connection.close();
  }
}

/**
 * A queue of the test's own bound to an exchange (server-named, exclusive:
 * the broker deletes it with the connection), collecting what arrives.
 */
export async function tapExchange(exchange: string, pattern = '#') {
  const connection = await connect(TEST_AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, pattern);
  const messages: ConsumeMessage[] = [];
  await channel.consume(queue, (message) => message && messages.push(message), { noAck: true });
  return { queue, messages, close: () => connection.close() };
}

/** A {@link TcpProxy} in front of the test broker; `proxy.urlFor(TEST_AMQP_URL)` goes through it. */
export const brokerProxy = (): Promise<TcpProxy> => TcpProxy.start(Number(new URL(TEST_AMQP_URL).port || 5672));

/** Polls `probe` until it returns a value (not undefined/false) or the time is up; the failure names what was awaited. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const openOrderDb = (url: string, poolSize = 4): Kysely<OrderDatabase> =>
  createDatabase<OrderDatabase>({ databaseUrl: url, poolSize });

export interface TestLine {
  productId: string;
  quantity: number;
  /** The price the product has; the order service snapshots it itself. */
  unitPriceMinor?: number;
}

const TEST_ADDRESS = { name: 'Test', line1: '1 Test St', city: 'Leeds', postalCode: 'LS1 1AA', countryCode: 'GB' };
/** An admin actor for status changes made by tests. */
const TEST_ADMIN: Viewer = { customerId: '00000000-0000-4000-8000-00000000ad01', role: 'ADMIN' };

/** The outbox row of one order event, as the relay will publish it. */
async function outboxEvent(db: Kysely<OrderDatabase>, orderId: string, version: number): Promise<OrderEvent> {
  const row = await db
    .selectFrom('orders.outbox_event')
    .selectAll()
    .where('aggregate_id', '=', orderId)
    .where('aggregate_version', '=', version)
    .executeTakeFirstOrThrow();
  return toEnvelope(row);
}

/**
 * The inventory service alone, on a free port over its own database, and the
 * order service's proxies to it: enough to place orders through the order
 * service without a gateway (orders must name their shipping address; the
 * customer service is not running).
 */
export async function startInventoryForOrders(
  inventoryUrl: string,
  options: { ttlMs?: number; sweepIntervalMs?: number } = {},
): Promise<{
  neighbours: Neighbours;
  inventory: RunningService;
  /** The service secrets it accepts, to sign calls of one's own. */
  secrets: string[];
  stop(): Promise<void>;
}> {
  const secrets = [randomBytes(32).toString('hex')];
  const db = createDatabase<InventoryDatabase>({ databaseUrl: inventoryUrl, poolSize: 5, slowQueryMs: 60_000 });
  const inventory = await startInventory({
    db,
    port: 0,
    host: '127.0.0.1',
    sandbox: false,
    auth: createAuthenticator({
      settings: { issuer: 'unused', audience: 'unused', clockToleranceSeconds: 0 },
      keys: staticKeys([]),
    }),
    serviceAuth: { service: 'inventory', secrets },
    reservations: { ttlMs: options.ttlMs ?? 600_000, sweepIntervalMs: options.sweepIntervalMs ?? 60_000 },
  });
  const neighbours = connectNeighbours({
    inventoryUrl: inventory.url,
    // Not running: orders placed here name their address.
    customerUrl: 'http://127.0.0.1:9',
    serviceAuth: { service: 'order', secrets },
    // These tests share two cores with others: a call may queue far longer than in production.
    timeoutMs: 10_000,
  });
  return {
    neighbours,
    inventory,
    secrets,
    stop: async () => {
      await inventory.stop();
      await neighbours.close();
      await db.destroy();
    },
  };
}

/** Places an order through the order service (stock reserved, then order, lines and `order.created` in one transaction). */
export async function placeOrderWithEvent(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  customerId: string,
  lines: TestLine[],
): Promise<{ orderId: string; event: OrderEvent }> {
  const result = await placeOrder(
    db,
    neighbours,
    { customerId, role: 'CUSTOMER' },
    {
      lines: lines.map(({ productId, quantity }) => ({ productId, quantity })),
      shippingAddress: TEST_ADDRESS,
      idempotencyKey: randomUUID(),
    },
  );
  if (!result.ok) throw new Error(`test order refused: ${JSON.stringify(result.userErrors)}`);
  return { orderId: result.order.id, event: await outboxEvent(db, result.order.id, result.order.version) };
}

/** Moves an order on through the order service, as an admin (or the customer for a cancellation). */
export async function changeOrderStatusWithEvent(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  orderId: string,
  status: Exclude<OrderStatus, 'PENDING'>,
  extra: { tracking?: { carrier: string; trackingNumber: string }; reason?: string } = {},
): Promise<OrderEvent> {
  const request: StatusChangeRequest =
    status === 'SHIPPED'
      ? { to: status, ...(extra.tracking ?? { carrier: 'DHL', trackingNumber: `T-${orderId.slice(0, 8)}` }) }
      : status === 'CANCELLED'
        ? { to: status, reason: extra.reason }
        : { to: status };
  const result = await changeOrderStatus(db, neighbours, TEST_ADMIN, orderId, request);
  if (!result.ok) throw new Error(`test status change refused: ${JSON.stringify(result.userErrors)}`);
  return outboxEvent(db, orderId, result.order.version);
}
