import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NOTIFICATIONS_CONSUMER, ORDER_STATS_CONSUMER } from '@shopgraph/customer';
import { generateSigningKey, toJwks } from '@shopgraph/lib';
import { connect } from 'amqplib';
import { bearer, TEST_PASSWORD_COST } from './support/auth.js';
import { createTestDatabases, type TestDatabases } from './support/database.js';
import { deleteTopology, TEST_AMQP_URL, uniqueExchange, waitFor } from './support/events.js';
import { gql } from './support/graphql.js';
import { OtlpReceiver, SpanKinds, type ReceivedSpan } from './support/otlp-receiver.js';
import { databaseEnv, testServiceSecret } from './support/process-stack.js';
import { startServiceProcess, type LogLine, type ServiceProcess } from './support/processes.js';
import { sampleSum, scrape, type MetricFamily } from './support/prometheus.js';
import { Shop } from './support/shop.js';

// Every service as its own process, started as the container image starts it
// (OpenTelemetry preloaded with --import), on real Postgres and RabbitMQ,
// exporting spans over OTLP to a receiver this test runs.
const MAX_ATTEMPTS = 2;
const exchange = uniqueExchange('obs');
const key = generateSigningKey('obs-key-1');
const auth = { signingKey: key };
let databases: TestDatabases;
let receiver: OtlpReceiver;
let services: Record<'customer' | 'inventory' | 'order' | 'relay' | 'gateway', ServiceProcess>;
/** Every process started, also when the start failed halfway: all of them are stopped afterwards. */
const started: ServiceProcess[] = [];
let graphqlUrl: string;
let shop: Shop;
let buyer: { id: string; headers: Record<string, string> };
let productId: string;

const start = async (...args: Parameters<typeof startServiceProcess>) => {
  const service = await startServiceProcess(...args);
  started.push(service);
  return service;
};

beforeAll(async () => {
  // Each subgraph on its own database as its own role, as deployed.
  databases = await createTestDatabases();
  receiver = await OtlpReceiver.start();
  const common = {
    DATABASE_POOL_SIZE: '4',
    AMQP_URL: TEST_AMQP_URL,
    EVENTS_EXCHANGE: exchange,
    EVENTS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    EVENTS_RETRY_BASE_DELAY_MS: '100',
    OUTBOX_POLL_INTERVAL_MS: '200',
    JWT_PUBLIC_KEYS: JSON.stringify(toJwks([key])),
    SERVICE_AUTH_SECRET: testServiceSecret(),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const orderDb = databaseEnv(databases.urls, 'order');
  const [customer, inventory] = await Promise.all([
    start('customer', 'subgraphs/customer/src/main.ts', {
      ...common,
      ...databaseEnv(databases.urls, 'customer'),
      JWT_PRIVATE_KEY: pem,
      JWT_KEY_ID: key.kid,
      PASSWORD_HASH_MEMORY_KIB: String(TEST_PASSWORD_COST.memoryKiB),
      PASSWORD_HASH_ITERATIONS: String(TEST_PASSWORD_COST.iterations),
    }),
    start('inventory', 'subgraphs/inventory/src/main.ts', { ...common, ...databaseEnv(databases.urls, 'inventory') }),
  ]);
  const [order, relay] = await Promise.all([
    start('order', 'subgraphs/order/src/main.ts', {
      ...common,
      ...orderDb,
      OUTBOX_RELAY: 'false',
      INVENTORY_SERVICE_URL: inventory.url,
      CUSTOMER_SERVICE_URL: customer.url,
    }),
    start(
      'relay',
      'subgraphs/order/src/relay.main.ts',
      { ...common, ...orderDb },
      {
        listening: /^order-relay probes listening$/,
      },
    ),
  ]);
  const gateway = await start('gateway', 'gateway/src/main.ts', {
    ...common,
    CUSTOMER_URL: `${customer.url}/graphql`,
    INVENTORY_URL: `${inventory.url}/graphql`,
    ORDER_URL: `${order.url}/graphql`,
  });
  services = { customer, inventory, order, relay, gateway };
  graphqlUrl = `${gateway.url}/graphql`;
  // The consumers declare their queues once connected; the relay publishes mandatory messages.
  await waitFor('the customer consumers to be ready', async () => (await fetch(`${customer.url}/ready`)).ok, 30_000);
  shop = new Shop(graphqlUrl, auth);
  productId = await shop.product({ stock: 1000, price: '12.50' });
  buyer = await shop.customer();
}, 180_000);

afterAll(async () => {
  const exits = await Promise.all(started.map((s) => s.stop()));
  await receiver?.close();
  await deleteTopology(exchange, [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER], MAX_ATTEMPTS);
  await databases?.drop();
  // SIGTERM ends every service cleanly (spans flushed, connections closed).
  expect(exits).toEqual(exits.map(() => 0));
}, 60_000);

const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id status } userErrors { code message } }
}`;

async function placeOrder(headers: Record<string, string> = {}) {
  const res = await gql(
    graphqlUrl,
    PLACE_ORDER,
    { input: { lines: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } },
    { ...buyer.headers, ...headers },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data.placeOrder.userErrors).toEqual([]);
  return res.data.placeOrder.order.id as string;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('one placeOrder is one trace', () => {
  it('runs from the gateway through the order subgraph, its calls to customer and inventory, the relay and RabbitMQ to the consumers', async () => {
    // The browser starts the trace: a sampled W3C traceparent.
    const traceId = hex(16);
    const clientSpanId = hex(8);
    await placeOrder({ traceparent: `00-${traceId}-${clientSpanId}-01` });

    // Each process exports on its own schedule: the trace is checked until
    // it is complete (the last failed expectation is reported on timeout).
    await waitFor('the complete trace', () => checkTrace(receiver.trace(traceId), clientSpanId), 30_000, 200);
  });
});

/** The expectations on one placeOrder's trace; throws until every hop has arrived. */
function checkTrace(spans: ReceivedSpan[], clientSpanId: string): true {
  const ofService = (service: string) => spans.filter((s) => s.service === service);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const sqlOf = (service: string) =>
    ofService(service)
      .filter((s) => s.attributes['db.system.name'] === 'postgresql' || s.attributes['db.system'] === 'postgresql')
      .map((s) => String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? ''));
  const urlOf = (s: ReceivedSpan) => String(s.attributes['url.full'] ?? s.attributes['url.path'] ?? '');
  // 1. The gateway: the request, the plan, the fetch from the order subgraph.
  expect(ofService('gateway').map((s) => s.name)).toEqual(
    expect.arrayContaining(['gateway.request', 'gateway.plan', 'gateway.fetch']),
  );
  // 2. The order subgraph: its HTTP request and the placeOrder resolver.
  const order = ofService('order');
  expect(order.some((s) => s.kind === SpanKinds.SERVER)).toBe(true);
  expect(order.some((s) => s.name === 'graphql.resolve placeOrder')).toBe(true);
  // 3. Its own SQL: the order, its outbox event and its confirmation call.
  expect(sqlOf('order').some((text) => /insert into\s+"?orders"?\."?outbox_event"?/i.test(text))).toBe(true);
  expect(sqlOf('order').some((text) => /insert into\s+"?orders"?\."?reservation_call"?/i.test(text))).toBe(true);
  expect(sqlOf('order').some((text) => /"?inventory"?\./i.test(text))).toBe(false);
  // 4. The internal calls, each a client span of the order subgraph and a
  // server span of the neighbour under it: the default address from the
  // customer subgraph, then reserve and confirm at the inventory subgraph.
  const calls = order.filter((s) => s.kind === SpanKinds.CLIENT && urlOf(s).includes('/internal/v1/'));
  const served = (service: string, path: RegExp) =>
    ofService(service).filter(
      (s) =>
        s.kind === SpanKinds.SERVER &&
        path.test(String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? '')) &&
        calls.some((c) => c.spanId === s.parentSpanId),
    );
  expect(served('customer', /^\/internal\/v1\/customers\/[^/]+\/default-shipping-address$/)).toHaveLength(1);
  expect(served('inventory', /^\/internal\/v1\/reservations$/)).toHaveLength(1);
  expect(served('inventory', /^\/internal\/v1\/reservations\/[^/]+\/confirm$/)).toHaveLength(1);
  // 5. The stock update is inventory's SQL now, in the same trace.
  expect(sqlOf('inventory').some((text) => /update\s+"?inventory"?\."?product"?/i.test(text))).toBe(true);
  // 6. The relay's publish, in the trace through the outbox row.
  const publish = ofService('relay').filter((s) => s.kind === SpanKinds.PRODUCER);
  expect(publish.map((s) => s.name)).toEqual([`publish ${exchange}`]);
  // 7. The consumers' handling, children of that publish, with their own SQL.
  const consumed = ofService('customer').filter((s) => s.kind === SpanKinds.CONSUMER);
  expect(consumed.map((s) => s.name).sort()).toEqual(
    [`${exchange}.${NOTIFICATIONS_CONSUMER} process`, `${exchange}.${ORDER_STATS_CONSUMER} process`].sort(),
  );
  for (const span of consumed) expect(span.parentSpanId).toBe(publish[0]!.spanId);
  expect(ofService('customer').some((s) => /inbox/i.test(String(s.attributes['db.query.text'] ?? '')))).toBe(true);

  // One tree: every span's parent is in the trace, except the browser's span.
  const ids = new Set(spans.map((s) => s.spanId));
  const orphans = spans.filter((s) => s.parentSpanId !== clientSpanId && !ids.has(s.parentSpanId!));
  expect(orphans.map((s) => `${s.service}: ${s.name}`)).toEqual([]);
  const ancestors = (span: ReceivedSpan) => {
    const chain: ReceivedSpan[] = [];
    for (let p = byId.get(span.parentSpanId!); p; p = byId.get(p.parentSpanId!)) chain.push(p);
    return chain;
  };
  // The publish descends from the order subgraph's request (the outbox row carried it)...
  expect(ancestors(publish[0]!).map((s) => s.service)).toEqual(expect.arrayContaining(['order', 'gateway']));
  // ...and inventory's stock update from it too, through the internal call.
  const stockUpdate = ofService('inventory').find((s) =>
    /update\s+"?inventory"?\."?product"?/i.test(String(s.attributes['db.query.text'] ?? s.attributes['db.statement'])),
  )!;
  expect(ancestors(stockUpdate).map((s) => s.service)).toEqual(
    expect.arrayContaining(['inventory', 'order', 'gateway']),
  );
  return true;
}

describe('request ids', () => {
  const lines = (service: ServiceProcess, requestId: string) => service.logs.filter((l) => l.requestId === requestId);

  it('round-trip, reach the subgraph, and are on every line it logs for that request, with the trace id', async () => {
    const requestId = `obs-${hex(6)}`;
    const traceId = hex(16);
    const res = await fetch(graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': requestId,
        traceparent: `00-${traceId}-${hex(8)}-01`,
      },
      body: JSON.stringify({ query: 'query Catalog { products(first: 2) { edges { node { id name } } } }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);

    const access = (service: ServiceProcess) =>
      waitFor(`${service.name}'s access log line`, () => lines(service, requestId).find((l) => l.msg === 'request'));
    const gatewayLine = await access(services.gateway);
    const inventoryLine = await access(services.inventory);
    for (const line of [gatewayLine, inventoryLine]) {
      expect(line).toMatchObject({
        requestId,
        traceId,
        operation: 'query.products',
        outcome: 'success',
        errorCodes: [],
      });
      expect(line.durationMs).toEqual(expect.any(Number));
    }
    expect(gatewayLine).toMatchObject({ service: 'gateway', operationName: 'Catalog', status: 200 });
    expect(inventoryLine.service).toBe('inventory');
    // No variables, query text or headers in an access log line.
    expect(Object.keys(inventoryLine).sort()).toEqual(
      [
        'durationMs',
        'errorCodes',
        'level',
        'method',
        'module',
        'msg',
        'operation',
        'operationName',
        'outcome',
        'path',
        'requestId',
        'service',
        'spanId',
        'status',
        'time',
        'traceId',
      ].sort(),
    );
    expect(lines(services.order, requestId)).toEqual([]);
  });

  it('travel with the internal calls a request makes: the neighbours log them under the same id and trace', async () => {
    const requestId = `obs-${hex(6)}`;
    const traceId = hex(16);
    await placeOrder({ 'x-request-id': requestId, traceparent: `00-${traceId}-${hex(8)}-01` });
    const internal = (service: ServiceProcess) =>
      waitFor(`${service.name}'s internal call lines`, () => {
        const found = lines(service, requestId).filter((l) => l.msg === 'request');
        return found.length > 0 ? found : undefined;
      });
    expect((await internal(services.customer)).map((l) => [l.path, l.status, l.traceId])).toEqual([
      [expect.stringMatching(/^\/internal\/v1\/customers\/[^/]+\/default-shipping-address$/), 200, traceId],
    ]);
    const inventoryLines = await waitFor('both inventory calls', async () => {
      const found = await internal(services.inventory);
      return found.length === 2 ? found : undefined;
    });
    expect(inventoryLines.map((l) => [l.path, l.status, l.traceId, l.service])).toEqual([
      ['/internal/v1/reservations', 200, traceId, 'inventory'],
      [expect.stringMatching(/^\/internal\/v1\/reservations\/[^/]+\/confirm$/), 200, traceId, 'inventory'],
    ]);
  });

  it('are on lines written while serving, not only the access line', async () => {
    // A subgraph called directly with a bad token logs the rejection while serving.
    const requestId = `obs-${hex(6)}`;
    const res = await fetch(`${services.order.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId, authorization: 'Bearer not.a.jwt' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    await waitFor('the access line', () => lines(services.order, requestId).some((l) => l.msg === 'request'));
    const logged = lines(services.order, requestId);
    expect(logged.map((l) => l.msg).sort()).toEqual(['request', 'token rejected']);
    const rejected = logged.find((l) => l.msg === 'token rejected')!;
    expect(rejected).toMatchObject({ service: 'order', reason: 'malformed' });
    expect(rejected.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(logged.find((l) => l.msg === 'request')).toMatchObject({ status: 401, errorCodes: ['UNAUTHENTICATED'] });
  });

  it('every process logs under its own service name', () => {
    for (const [name, service] of Object.entries(services)) {
      const names = new Set(service.logs.map((line) => line.service));
      expect([name, [...names]]).toEqual([name, [name]]);
    }
  });

  it('replaces an unusable client id with a generated one', async () => {
    for (const sent of ['has spaces in it', 'x'.repeat(129), 'semi;colon']) {
      const res = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': sent },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await waitFor('the access line', () => lines(services.gateway, id!).some((l) => l.msg === 'request'));
      expect(services.gateway.logs.some((l: LogLine) => JSON.stringify(l).includes(sent))).toBe(false);
    }
  });
});

describe('/metrics', () => {
  const scrapeAll = async () => {
    const entries = await Promise.all(
      Object.entries(services).map(async ([name, service]) => [name, await scrape(service.url)] as const),
    );
    return Object.fromEntries(entries) as Record<keyof typeof services, Map<string, MetricFamily>>;
  };

  it('on every service parses as Prometheus text, with process and pool metrics', async () => {
    const all = await scrapeAll();
    for (const [name, families] of Object.entries(all)) {
      expect([name, families.get('process_cpu_user_seconds_total')?.type]).toEqual([name, 'counter']);
      expect([name, families.has('nodejs_eventloop_lag_seconds')]).toEqual([name, true]);
      expect([name, families.get('shopgraph_db_pool_connections_idle')?.type]).toEqual([name, 'gauge']);
    }
    for (const pool of ['customer', 'inventory', 'order', 'relay'] as const) {
      const families = all[pool];
      const open =
        sampleSum(families, 'shopgraph_db_pool_connections_idle', { pool }) +
        sampleSum(families, 'shopgraph_db_pool_connections_in_use', { pool });
      expect([pool, open > 0]).toEqual([pool, true]);
    }
    for (const name of ['relay', 'customer', 'order'] as const) {
      expect([name, sampleSum(all[name], 'shopgraph_events_broker_connected', { transport: 'amqp' })]).toEqual([
        name,
        1,
      ]);
    }
    for (const name of ['gateway', 'inventory'] as const) {
      expect([name, all[name].get('shopgraph_events_broker_connected')?.samples]).toEqual([name, []]);
    }
  });

  it('count exactly the traffic sent: N orders, one refused token, one dead-lettered message', async () => {
    const N = 3;
    const before = await scrapeAll();
    const delta = (service: keyof typeof services, name: string, labels: Record<string, string> = {}) =>
      sampleSum(after[service], name, labels) - sampleSum(before[service], name, labels);

    for (let i = 0; i < N; i++) await placeOrder();
    const refused = await gql(graphqlUrl, '{ __typename }', {}, bearer('eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl'));
    expect(refused.status).toBe(401);
    // A message no consumer can parse: both consumers dead-letter it at once.
    const connection = await connect(TEST_AMQP_URL);
    const channel = await connection.createConfirmChannel();
    channel.publish(exchange, 'order.created', Buffer.from('not json'), { messageId: randomUUID(), persistent: true });
    await channel.waitForConfirms();
    await connection.close();

    let after = before;
    await waitFor(
      'the events to be published and settled',
      async () => {
        after = await scrapeAll();
        return (
          delta('relay', 'shopgraph_outbox_relay_published_total') === N &&
          delta('customer', 'shopgraph_events_consumed_total') === 2 * (N + 1)
        );
      },
      30_000,
      200,
    );
    // A moment more: nothing else arrives.
    await new Promise((resolve) => setTimeout(resolve, 500));
    after = await scrapeAll();

    const requests = 'shopgraph_graphql_request_duration_seconds_count';
    const placeOrders = { operation: 'mutation.placeOrder' };
    expect(delta('gateway', requests, { service: 'gateway', ...placeOrders, outcome: 'success' })).toBe(N);
    expect(delta('gateway', requests, { service: 'gateway' })).toBe(N + 1);
    expect(delta('gateway', requests, { service: 'gateway', operation: '(none)', outcome: 'client_error' })).toBe(1);
    expect(delta('gateway', 'shopgraph_graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
    expect(delta('gateway', 'shopgraph_auth_token_rejections_total')).toBe(1);
    expect(
      delta('gateway', 'shopgraph_auth_token_rejections_total', { service: 'gateway', reason: 'unknown_kid' }),
    ).toBe(1);
    expect(
      delta('gateway', 'shopgraph_gateway_subgraph_fetch_duration_seconds_count', {
        subgraph: 'order',
        outcome: 'success',
      }),
    ).toBe(N);
    expect(delta('gateway', 'shopgraph_gateway_subgraph_fetch_duration_seconds_count')).toBe(N);

    expect(delta('order', requests, { service: 'order', ...placeOrders, outcome: 'success' })).toBe(N);
    expect(delta('order', requests)).toBe(N);
    expect(delta('order', 'shopgraph_auth_token_rejections_total')).toBe(0);
    expect(delta('inventory', requests)).toBe(0);

    expect(delta('relay', 'shopgraph_outbox_relay_published_total')).toBe(N);
    expect(delta('relay', 'shopgraph_outbox_relay_failed_total')).toBe(0);
    expect(sampleSum(after.relay, 'shopgraph_outbox_backlog_events', { outbox: 'orders' })).toBe(0);
    expect(sampleSum(after.relay, 'shopgraph_outbox_oldest_unpublished_age_seconds', { outbox: 'orders' })).toBe(0);

    const consumed = 'shopgraph_events_consumed_total';
    for (const consumer of [ORDER_STATS_CONSUMER, NOTIFICATIONS_CONSUMER]) {
      expect(delta('customer', consumed, { consumer, outcome: 'handled' })).toBe(N);
      expect(delta('customer', consumed, { consumer, outcome: 'dead_lettered' })).toBe(1);
      expect(delta('customer', consumed, { consumer, outcome: 'retried' })).toBe(0);
      expect(delta('customer', 'shopgraph_events_queue_messages', { consumer, kind: 'dlq' })).toBe(1);
      expect(sampleSum(after.customer, 'shopgraph_events_queue_messages', { consumer, kind: 'main' })).toBe(0);
    }
    expect(delta('customer', 'shopgraph_events_inbox_duplicates_total')).toBe(0);

    // The order subgraph's calls to its neighbours: per order one address, one reservation, one confirmation.
    const calls = 'shopgraph_service_call_duration_seconds_count';
    expect(delta('order', calls, { service: 'customer', call: 'default-shipping-address', outcome: 'success' })).toBe(
      N,
    );
    expect(delta('order', calls, { service: 'inventory', call: 'reserve', outcome: 'success' })).toBe(N);
    expect(delta('order', calls, { service: 'inventory', call: 'confirm', outcome: 'success' })).toBe(N);
    expect(delta('order', calls)).toBe(3 * N);
    // Nothing left to deliver or parked in the outbox of calls.
    expect(after.order.get('shopgraph_reservation_calls')?.samples.map((x) => [x.labels.state, x.value])).toEqual([
      ['pending', 0],
      ['parked', 0],
    ]);
  });
});
