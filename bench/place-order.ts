/**
 * placeOrder throughput on the path of docs/adr/0014: 16 concurrent clients
 * place two-line orders for DURATION_S seconds each way, and the figures are
 * printed side by side:
 *
 *   1. through the gateway (HTTP, token checks, query planning, the order
 *      subgraph claiming the idempotency key, the customer service's default
 *      address, the inventory service's reserve, the order transaction, the
 *      confirm), with the outbox relay, consumers, sweeper and call dispatcher
 *      running; all of it in this one Node process, which a CPU-bound run
 *      saturates (in production each service is its own process);
 *   2. the same statements as plain SQL on pg pools of the same size against
 *      the same three databases, no Node service code and no HTTP: the floor
 *      the databases set.
 *
 *   pnpm bench:place-order                (DURATION_S=10, CLIENTS=16)
 *
 * Uses three fresh databases (one per subgraph, each with its own role) on
 * the Postgres of TEST_DATABASE_URL, dropped after.
 */
import { createHash, randomUUID } from 'node:crypto';
import { generateSigningKey, signAccessToken, defaultTokenSettings } from '@shopgraph/lib';
import pg from 'pg';
import { startSupergraph } from '../scripts/supergraph.js';
import { createTestDatabases } from '../test/support/database.js';
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

const databases = await createTestDatabases({ prefix: 'sgbench' });
const pool = (url: string) => {
  const p = new pg.Pool({ connectionString: url, max: CLIENTS + 2 });
  // Dropping the databases at the end terminates idle connections; that is expected.
  p.on('error', () => undefined);
  return p;
};
const pools = {
  customer: pool(databases.urls.customer),
  inventory: pool(databases.urls.inventory),
  order: pool(databases.urls.order),
};
const signingKey = generateSigningKey('bench');
const supergraph = await startSupergraph({
  databaseUrls: databases.urls,
  port: 0,
  host: '127.0.0.1',
  sandbox: false,
  // As many connections per database as the plain SQL run gets.
  poolSize: CLIENTS,
  auth: { signingKey, passwordCost: { memoryKiB: 1024, iterations: 1, parallelism: 1 } },
});

/** One transaction on a pooled connection; resolves to what `work` returns, rolls back if it throws. */
async function inTransaction<T>(p: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await p.connect();
  try {
    await c.query('begin');
    const result = await work(c);
    await c.query('commit');
    return result;
  } catch (error) {
    await c.query('rollback');
    throw error;
  } finally {
    c.release();
  }
}

try {
  // Catalog and buyers, straight into their databases: the set-up is not measured.
  const products = await pools.inventory.query<{ id: string }>(
    `insert into inventory.product (sku, name, price_minor, stock)
     select 'BENCH-' || i, 'Bench product ' || i, 100 + i, 100000000 from generate_series(1, $1::int) i returning id`,
    [PRODUCTS],
  );
  await pools.inventory.query(
    `insert into inventory.stock_ledger (product_id, delta, reason, actor, stock_after)
     select id, stock, 'INITIAL', 'bench', stock from inventory.product`,
  );
  const productIds = products.rows.map((r) => r.id);
  const customers = await pools.customer.query<{ id: string }>(
    `insert into customer.customer (email, name) select 'bench' || i || '@example.test', 'Bench ' || i
     from generate_series(1, $1::int) i returning id`,
    [CLIENTS],
  );
  const customerIds = customers.rows.map((r) => r.id);
  await pools.customer.query(
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

  // The gateway run's request connections go idle now; pg closes them after
  // 10 s. Both runs' pools together would pass the server's connection limit.
  await new Promise((resolve) => setTimeout(resolve, 11_000));

  // The statements the path above runs, in the same order and databases, as plain SQL.
  const direct = await drive(async (client) => {
    const [a, b] = pickTwo(productIds).sort() as [string, string];
    const customerId = customerIds[client]!;
    const orderId = randomUUID();
    const key = randomUUID();
    const hash = createHash('sha256').update(`${a}${b}`).digest('hex');
    try {
      // 1. Claim the idempotency key (its own statement, a lease).
      await pools.order.query(
        `insert into orders.idempotency_key (caller_id, key, request_hash, lease_id, locked_until)
         values ($1, $2, $3, $4, now() + interval '30 seconds') on conflict (caller_id, key) do nothing returning key`,
        [customerId, key, hash, orderId],
      );
      // 2. The customer service's default address.
      const address = await pools.customer.query(
        `select * from customer.address where customer_id = $1 and is_default_shipping`,
        [customerId],
      );
      // 3. The inventory service's reserve.
      const locked = await inTransaction(pools.inventory, async (c) => {
        await c.query(
          `insert into inventory.reservation (order_id, status, actor, caller, request_hash, expires_at)
           values ($1, 'RESERVED', $2, 'order', $3, now() + interval '15 minutes')
           on conflict (order_id) do nothing returning *`,
          [orderId, customerId, hash],
        );
        const rows = await c.query<{ id: string; stock: number; price_minor: string; currency: string }>(
          `select id, sku, name, description, price_minor, currency, image_url, active, stock, created_at, updated_at
           from inventory.product where id in ($1, $2) order by id for update`,
          [a, b],
        );
        const [p, q] = rows.rows as [(typeof rows.rows)[0], (typeof rows.rows)[0]];
        await c.query(
          `update inventory.product as p set stock = v.stock from (values ($1::uuid, $2::int), ($3::uuid, $4::int)) as v (id, stock)
           where p.id = v.id returning p.*`,
          [p.id, p.stock - 1, q.id, q.stock - 1],
        );
        await c.query(
          `insert into inventory.stock_ledger (product_id, delta, reason, reference, actor, stock_after)
           values ($1, -1, 'ORDER_RESERVED', $3, $4, $5), ($2, -1, 'ORDER_RESERVED', $3, $4, $6) returning *`,
          [p.id, q.id, orderId, customerId, p.stock - 1, q.stock - 1],
        );
        await c.query(
          `insert into inventory.reservation_line (order_id, line_no, product_id, quantity, unit_price_minor, currency)
           values ($1, 0, $2, 1, $3, $4), ($1, 1, $5, 1, $6, $7)`,
          [orderId, p.id, p.price_minor, p.currency, q.id, q.price_minor, q.currency],
        );
        return rows.rows;
      });
      // 4. The order transaction.
      const total = locked.reduce((s, p) => s + Number(p.price_minor), 0);
      await inTransaction(pools.order, async (c) => {
        await c.query(
          `insert into orders."order" (id, customer_id, status, currency, total_minor, shipping_address)
           values ($1, $2, 'PENDING', 'USD', $3, $4) returning *`,
          [orderId, customerId, total, JSON.stringify(address.rows[0])],
        );
        await c.query(
          `insert into orders.order_line (order_id, line_no, product_id, quantity, unit_price_minor)
           values ($1, 1, $2, 1, $3), ($1, 2, $4, 1, $5)`,
          [orderId, locked[0]!.id, locked[0]!.price_minor, locked[1]!.id, locked[1]!.price_minor],
        );
        await c.query(
          `insert into orders.order_status_history (order_id, status, actor_id) values ($1, 'PENDING', $2)`,
          [orderId, customerId],
        );
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
              lines: locked.map((p) => ({ productId: p.id, quantity: 1, unitPriceMinor: Number(p.price_minor) })),
              placedAt: new Date().toISOString(),
            }),
          ],
        );
        await c.query(`select pg_notify('orders_outbox', '')`);
        await c.query(
          `insert into orders.reservation_call (order_id, action, actor, next_attempt_at)
           values ($1, 'CONFIRM', $2, now() + interval '30 seconds') on conflict do nothing`,
          [orderId, customerId],
        );
        await c.query(
          `update orders.idempotency_key set order_id = $1, lease_id = null, locked_until = null
           where caller_id = $2 and key = $3 and lease_id = $1 and order_id is null`,
          [orderId, customerId, key],
        );
      });
      // 5. The inventory service's confirm, then the call row goes.
      await inTransaction(pools.inventory, async (c) => {
        await c.query(`select * from inventory.reservation where order_id = $1 for update`, [orderId]);
        await c.query(`select * from inventory.reservation_line where order_id = $1 order by line_no`, [orderId]);
        await c.query(
          `insert into inventory.stock_ledger (product_id, delta, reason, reference, actor, stock_after)
           select id, 0, 'ORDER_CONFIRMED', $3, $4, stock from inventory.product where id in ($1, $2) order by id`,
          [a, b, orderId, customerId],
        );
        await c.query(
          `update inventory.reservation set status = 'CONFIRMED', expires_at = null, updated_at = now()
           where order_id = $1 returning *`,
          [orderId],
        );
      });
      await pools.order.query(`delete from orders.reservation_call where order_id = $1 and action = 'CONFIRM'`, [
        orderId,
      ]);
      return true;
    } catch {
      return false;
    }
  });

  log('');
  log('path                         | orders | failed | orders/s | p50 ms | p95 ms | p99 ms');
  for (const [name, run] of [
    ['gateway → order → services', gateway],
    ['plain SQL, same statements', direct],
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
  await Promise.all(Object.values(pools).map((p) => p.end()));
  await databases.drop();
}
