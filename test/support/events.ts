import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { consumerQueues, createDatabase } from '@shopgraph/lib';
import { appendOutboxEvent, type OrderDatabase, type OrderEvent, type OrderStatus } from '@shopgraph/order';
import { connect, type ConsumeMessage, type GetMessage } from 'amqplib';
import type { Kysely } from 'kysely';

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

/**
 * A TCP proxy on 127.0.0.1 in front of the broker, so a test can take the
 * broker away from one client (cut: drop every connection and refuse new
 * ones) and give it back (restore), while the broker itself stays up for
 * everyone else.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private constructor(
    private readonly targetPort: number,
    public port: number,
  ) {}

  static async start(targetPort = 5672): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, 0);
    await proxy.restore();
    return proxy;
  }

  /** The AMQP URL that goes through this proxy. */
  get amqpUrl(): string {
    const url = new URL(TEST_AMQP_URL);
    url.port = String(this.port);
    return url.toString();
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Drops every connection and refuses new ones until {@link restore}. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.cut();
  }
}

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
  unitPriceMinor: number;
}

/**
 * Places an order the way `placeOrder` will: order, lines and its
 * `order.created` event in one transaction, through the outbox API.
 */
export async function placeOrderWithEvent(
  db: Kysely<OrderDatabase>,
  customerId: string,
  lines: TestLine[],
  currency = 'USD',
): Promise<{ orderId: string; event: OrderEvent }> {
  return db.transaction().execute(async (trx) => {
    const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0);
    const order = await trx
      .insertInto('orders.order')
      .values({ customer_id: customerId, status: 'PENDING', currency, total_minor: total })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('orders.order_line')
      .values(
        lines.map((l, i) => ({
          order_id: order.id,
          line_no: i + 1,
          product_id: l.productId,
          quantity: l.quantity,
          unit_price_minor: l.unitPriceMinor,
        })),
      )
      .execute();
    const event = await appendOutboxEvent(trx, {
      type: 'order.created',
      aggregateId: order.id,
      aggregateVersion: order.version,
      data: {
        orderId: order.id,
        customerId,
        status: order.status,
        total: { amountMinor: total, currency },
        lines,
        placedAt: order.placed_at.toISOString(),
      },
    });
    return { orderId: order.id, event };
  });
}

/**
 * Changes an order's status the way issue 5's mutations will: lock the row,
 * bump its version, write `order.updated` with that version, one transaction.
 */
export async function changeOrderStatusWithEvent(
  db: Kysely<OrderDatabase>,
  orderId: string,
  status: OrderStatus,
  extra: { tracking?: { carrier: string; trackingNumber: string }; reason?: string } = {},
): Promise<OrderEvent> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('orders.order')
      .selectAll()
      .where('id', '=', orderId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const after = await trx
      .updateTable('orders.order')
      .set((eb) => ({ status, version: eb('version', '+', 1), updated_at: new Date() }))
      .where('id', '=', orderId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return appendOutboxEvent(trx, {
      type: 'order.updated',
      aggregateId: orderId,
      aggregateVersion: after.version,
      data: {
        orderId,
        customerId: after.customer_id,
        previousStatus: before.status,
        status,
        total: { amountMinor: after.total_minor, currency: after.currency.trim() },
        placedAt: after.placed_at.toISOString(),
        changed: extra.tracking ? ['status', 'tracking'] : ['status'],
        ...(extra.tracking ? { tracking: extra.tracking } : {}),
        ...(extra.reason ? { reason: extra.reason } : {}),
      },
    });
  });
}
