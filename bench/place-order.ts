/**
 * placeOrder throughput: 16 concurrent clients place two-line orders for
 * DURATION_S seconds each way, and the figures are printed side by side:
 *
 *   1. through the gateway (HTTP, token checks, query planning, the order
 *      subgraph, its transaction, with the outbox relay and consumers running);
 *      all of it in this one Node process, which a CPU-bound run saturates
 *      (in production each service is its own process);
 *   2. the same transaction as plain SQL on 16 pg connections, no Node service
 *      code at all: the floor the database sets.
 *
 *   pnpm bench:place-order                (DURATION_S=10, CLIENTS=16)
 *
 * Uses a fresh database on the Postgres of TEST_DATABASE_URL, dropped after.
 */
import { randomUUID } from 'node:crypto';
import { generateSigningKey, signAccessToken, defaultTokenSettings } from '@shopgraph/lib';
import pg from 'pg';
import { startSupergraph } from '../scripts/supergraph.js';
import { createTestDatabase } from '../test/support/database.js';
import { fmt, log, percentile } from './support/timing.js';

const CLIENTS = Number(process.env.CLIENTS ?? 16);
const DURATION_MS = Number(process.env.DURATION_S ?? 10) * 1000;
const PRODUCTS = 200;

interface Run {
  orders: number;
  failures: number;
  latencies: number[];
  seconds: number;
}

/** Runs `once` on CLIENTS concurrent loops for DURATION_MS. */
async function drive(once: (client: number) => Promise<boolean>): Promise<Run> {
  const latencies: number[] = [];
  let orders = 0;
  let failures = 0;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (Date.now() - start < DURATION_MS) {
        const t = process.hrtime.bigint();
        if (await once(client)) orders++;
        else failures++;
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  return { orders, failures, latencies, seconds: (Date.now() - start) / 1000 };
}

const pickTwo = (productIds: string[]) => {
  const a = Math.floor(Math.random() * productIds.length);
  const b = (a + 1 + Math.floor(Math.random() * (productIds.length - 1))) % productIds.length;
  return [productIds[a]!, productIds[b]!];
};

const database = await createTestDatabase('shopgraph_bench');
const pool = new pg.Pool({ connectionString: database.url, max: CLIENTS + 2 });
// Dropping the database at the end terminates idle connections; that is expected.
pool.on('error', () => undefined);
const signingKey = generateSigningKey('bench');
const supergraph = await startSupergraph({
  databaseUrl: database.url,
  port: 0,
  host: '127.0.0.1',
  sandbox: false,
  // As many connections as the plain SQL run gets.
  poolSize: CLIENTS,
  auth: { signingKey, passwordCost: { memoryKiB: 1024, iterations: 1, parallelism: 1 } },
});
try {
  // Catalog and buyers, straight into the tables: the set-up is not measured.
  const products = await pool.query<{ id: string }>(
    `insert into inventory.product (sku, name, price_minor, stock)
     select 'BENCH-' || i, 'Bench product ' || i, 100 + i, 100000000 from generate_series(1, $1::int) i returning id`,
    [PRODUCTS],
  );
  await pool.query(
    `insert into inventory.stock_ledger (product_id, delta, reason, actor, stock_after)
     select id, stock, 'INITIAL', 'bench', stock from inventory.product`,
  );
  const productIds = products.rows.map((r) => r.id);
  const customers = await pool.query<{ id: string }>(
    `insert into customer.customer (email, name) select 'bench' || i || '@example.test', 'Bench ' || i
     from generate_series(1, $1::int) i returning id`,
    [CLIENTS],
  );
  const customerIds = customers.rows.map((r) => r.id);
  await pool.query(
    `insert into customer.address (customer_id, name, line1, city, postal_code, country_code, is_default_shipping)
     select id, 'Bench', '1 Bench St', 'Leeds', 'LS1', 'GB', true from customer.customer`,
  );
  const tokens = customerIds.map(
    (id) => signAccessToken({ customerId: id, role: 'CUSTOMER' }, signingKey, defaultTokenSettings, 3600).token,
  );

  log(`${CLIENTS} clients, ${DURATION_MS / 1000} s each way, two-line orders over ${PRODUCTS} products`);

  const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code } } }`;
  const gateway = await drive(async (client) => {
    const [a, b] = pickTwo(productIds);
    const res = await fetch(supergraph.gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[client]}` },
      body: JSON.stringify({
        query: PLACE,
        variables: {
          input: {
            lines: [
              { productId: a, quantity: 1 },
              { productId: b, quantity: 1 },
            ],
            idempotencyKey: randomUUID(),
          },
        },
      }),
    });
    const body = (await res.json()) as { data?: { placeOrder?: { order?: { id: string } | null } } };
    return Boolean(body.data?.placeOrder?.order?.id);
  });

  // The statements placeOrder runs, in the same order, as one plain SQL transaction.
  const direct = await drive(async (client) => {
    const [a, b] = pickTwo(productIds).sort();
    const customerId = customerIds[client]!;
    const orderId = randomUUID();
    const key = randomUUID();
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query(
        `insert into orders.idempotency_key (caller_id, key, request_hash) values ($1, $2, $3)
         on conflict (caller_id, key) do nothing returning key`,
        [customerId, key, 'x'.repeat(64)],
      );
      const address = await c.query(
        `select name, line1, line2, city, region, postal_code, country_code from customer.address
         where customer_id = $1 and is_default_shipping`,
        [customerId],
      );
      const locked = await c.query<{ id: string; stock: number; price_minor: string }>(
        `select id, stock, price_minor, currency, active from inventory.product where id in ($1, $2) order by id for update`,
        [a, b],
      );
      await c.query(
        `update inventory.product as p set stock = v.stock from (values ($1::uuid, $2::int), ($3::uuid, $4::int)) as v (id, stock)
         where p.id = v.id returning p.*`,
        [locked.rows[0]!.id, locked.rows[0]!.stock - 1, locked.rows[1]!.id, locked.rows[1]!.stock - 1],
      );
      await c.query(
        `insert into inventory.stock_ledger (product_id, delta, reason, reference, actor, stock_after)
         values ($1, -1, 'ORDER_RESERVED', $3, $4, $5), ($2, -1, 'ORDER_RESERVED', $3, $4, $6)`,
        [
          locked.rows[0]!.id,
          locked.rows[1]!.id,
          orderId,
          customerId,
          locked.rows[0]!.stock - 1,
          locked.rows[1]!.stock - 1,
        ],
      );
      const total = locked.rows.reduce((s, p) => s + Number(p.price_minor), 0);
      await c.query(
        `insert into orders."order" (id, customer_id, status, currency, total_minor, shipping_address)
         values ($1, $2, 'PENDING', 'USD', $3, $4) returning *`,
        [orderId, customerId, total, JSON.stringify(address.rows[0])],
      );
      await c.query(
        `insert into orders.order_line (order_id, line_no, product_id, quantity, unit_price_minor)
         values ($1, 1, $2, 1, $3), ($1, 2, $4, 1, $5)`,
        [orderId, locked.rows[0]!.id, locked.rows[0]!.price_minor, locked.rows[1]!.id, locked.rows[1]!.price_minor],
      );
      await c.query(`insert into orders.order_status_history (order_id, status, actor_id) values ($1, 'PENDING', $2)`, [
        orderId,
        customerId,
      ]);
      await c.query(
        `insert into orders.outbox_event (id, type, aggregate_id, aggregate_version, occurred_at, data)
         values ($1, 'order.created', $2, 1, now(), $3)`,
        [
          randomUUID(),
          orderId,
          // A valid order.created payload, so the consumers running beside the gateway accept it.
          JSON.stringify({
            orderId,
            customerId,
            status: 'PENDING',
            total: { amountMinor: total, currency: 'USD' },
            lines: locked.rows.map((p) => ({ productId: p.id, quantity: 1, unitPriceMinor: Number(p.price_minor) })),
            placedAt: new Date().toISOString(),
          }),
        ],
      );
      await c.query(`select pg_notify('orders_outbox', '')`);
      await c.query(`update orders.idempotency_key set order_id = $1 where caller_id = $2 and key = $3`, [
        orderId,
        customerId,
        key,
      ]);
      await c.query('commit');
      return true;
    } catch {
      await c.query('rollback');
      return false;
    } finally {
      c.release();
    }
  });

  log('');
  log('path                         | orders | failed | orders/s | p50 ms | p95 ms | p99 ms');
  for (const [name, run] of [
    ['gateway → order subgraph', gateway],
    ['plain SQL transaction (pg)', direct],
  ] as const) {
    log(
      `${name.padEnd(28)} | ${String(run.orders).padStart(6)} | ${String(run.failures).padStart(6)} | ${fmt(run.orders / run.seconds, 1).padStart(8)} | ${fmt(percentile(run.latencies, 50)).padStart(6)} | ${fmt(percentile(run.latencies, 95)).padStart(6)} | ${fmt(percentile(run.latencies, 99)).padStart(6)}`,
    );
  }
  log(
    `gateway throughput / plain SQL throughput: ${fmt(gateway.orders / gateway.seconds / (direct.orders / direct.seconds))}`,
  );
} finally {
  await supergraph.stop();
  await pool.end();
  await database.drop();
}
