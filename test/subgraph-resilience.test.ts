import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunningService } from '@shopgraph/lib';
import { bearer, testAuth, tokenFor } from './support/auth.js';
import { FaultProxy } from './support/fault-proxy.js';
import { insertCustomers, insertOrder, insertProducts } from './support/fixtures.js';
import { gql } from './support/graphql.js';
import { startTestGateway, startTestStack, subgraphUrlsOf, type TestStack } from './support/stack.js';

const auth = testAuth();
const ORDER_TIMEOUT_MS = 600;
const COOLDOWN_MS = 800;
let stack: TestStack;
let proxy: FaultProxy;
let gateway: RunningService;
let headers: Record<string, string>;
let orderId: string;
let productId: string;

beforeAll(async () => {
  stack = await startTestStack({ auth });
  const urls = subgraphUrlsOf(stack);
  // The order subgraph is reached through a proxy that can hang or reset.
  proxy = await FaultProxy.start(urls.order);
  gateway = await startTestGateway(
    auth,
    { ...urls, order: proxy.url(urls.order) },
    {
      subgraphCalls: { breakerFailures: 2, breakerCooldownMs: COOLDOWN_MS },
      subgraphTimeouts: { order: ORDER_TIMEOUT_MS },
    },
  );
  const [shopper] = await insertCustomers(stack.dbs.customer, 1, 'resilience');
  const [product] = await insertProducts(stack.dbs.inventory, 1, 'R', 50);
  productId = product!.id;
  orderId = (await insertOrder(stack.dbs.order, shopper!.id, [{ productId, quantity: 1, unitPriceMinor: 100 }])).id;
  headers = bearer(tokenFor(auth, { customerId: shopper!.id, role: 'CUSTOMER' }));
});

afterAll(async () => {
  await gateway?.stop();
  await proxy?.close();
  await stack?.stop();
});

// Products come from inventory, the order from the order subgraph: two root fetches in parallel.
const mixed = `query ($id: ID!) { products(first: 1) { edges { node { id } } } order(id: $id) { id status } }`;
const ask = () => gql(gateway.graphqlUrl, mixed, { id: orderId }, headers);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

describe('a subgraph that never answers', () => {
  it('costs the client one timeout: the other data, and a coded error for the missing part', async () => {
    proxy.setMode('hang');
    const [res, ms] = await timed(ask);
    expect(ms).toBeGreaterThanOrEqual(ORDER_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(ORDER_TIMEOUT_MS + 1500);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ products: { edges: [{ node: { id: productId } }] }, order: null });
    expect(res.errors).toEqual([
      {
        message: expect.stringMatching(/did not answer in time/),
        path: ['order'],
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      },
    ]);
    // Neither the subgraph's name nor its address reaches the client.
    expect(JSON.stringify(res.errors)).not.toMatch(/order subgraph|127\.0\.0\.1|localhost|serviceName/);
  });

  it('opens the circuit breaker: further calls fail at once, then recover after the cooldown', async () => {
    // The second consecutive timeout opens the breaker.
    await ask();
    const [open, fastMs] = await timed(ask);
    expect(fastMs).toBeLessThan(ORDER_TIMEOUT_MS / 2);
    expect(open.data?.products.edges).toHaveLength(1);
    expect(open.errors).toEqual([
      expect.objectContaining({ path: ['order'], extensions: { code: 'SERVICE_UNAVAILABLE' } }),
    ]);
    expect(open.errors?.[0]?.message).toMatch(/Retry later/);

    proxy.setMode('forward');
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    const recovered = await ask();
    expect(recovered.errors).toBeUndefined();
    expect(recovered.data?.order).toEqual({ id: orderId, status: 'PENDING' });
  });
});

describe('connection errors', () => {
  it('retries a query whose connection was reset', async () => {
    const before = proxy.connections;
    proxy.resetNext(1);
    const res = await ask();
    expect(res.errors).toBeUndefined();
    expect(res.data?.order).toEqual({ id: orderId, status: 'PENDING' });
    // The reset connection and the retry's.
    expect(proxy.connections - before).toBe(2);
  });

  it('never retries a mutation: it fails with a code and nothing is placed', async () => {
    const before = proxy.connections;
    proxy.resetNext(1);
    const res = await gql(
      gateway.graphqlUrl,
      `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }`,
      { input: { lines: [{ productId, quantity: 1 }], idempotencyKey: 'resilience-no-retry' } },
      headers,
    );
    expect(res.data).toBeNull();
    expect(res.errors).toEqual([
      expect.objectContaining({ path: ['placeOrder'], extensions: { code: 'SERVICE_UNAVAILABLE' } }),
    ]);
    expect(proxy.connections - before).toBe(1);
    const placed = await stack.dbs.order
      .selectFrom('orders.idempotency_key')
      .select('key')
      .where('key', '=', 'resilience-no-retry')
      .execute();
    expect(placed).toEqual([]);
  });
});
