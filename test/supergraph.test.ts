import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunningSupergraph, SubgraphName } from '../scripts/supergraph.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { insertCustomers, insertOrder, insertProducts, type FixtureDbs } from './support/fixtures.js';
import { bearer, testAuth, tokenFor } from './support/auth.js';
import { gql, type GraphQLResponse } from './support/graphql.js';

const auth = testAuth();
let stack: TestStack;
// Reads below go through an admin: authorization has its own tests.
let admin: Record<string, string>;
let supergraph: RunningSupergraph;
let dbs: FixtureDbs;
const statements: { subgraph: SubgraphName; sql: string }[] = [];

let customers: Awaited<ReturnType<typeof insertCustomers>>;
let products: Awaited<ReturnType<typeof insertProducts>>;
const orderIds: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ auth, onQuery: (subgraph, sql) => statements.push({ subgraph, sql }) });
  ({ dbs, supergraph } = stack);
  customers = await insertCustomers(dbs.customer, 10);
  admin = bearer(tokenFor(auth, { customerId: customers[9]!.id, role: 'ADMIN' }));
  products = await insertProducts(dbs.inventory, 20);
  // 50 orders, two lines each, spread over 10 customers and 20 products,
  // one millisecond apart so "newest first" has a known order.
  const base = Date.now() - 60_000;
  for (let i = 0; i < 50; i++) {
    const a = products[i % 20]!;
    const b = products[(i + 7) % 20]!;
    const order = await insertOrder(
      dbs.order,
      customers[i % 10]!.id,
      [
        { productId: a.id, quantity: 1 + (i % 3), unitPriceMinor: a.price_minor },
        { productId: b.id, quantity: 1, unitPriceMinor: b.price_minor },
      ],
      new Date(base + i),
    );
    orderIds.push(order.id);
  }
});

afterAll(() => stack?.stop());

const gateway = () => supergraph.gateway.graphqlUrl;
const asAdmin = (url: string, query: string, variables: Record<string, unknown> = {}) =>
  gql(url, query, variables, admin);

describe('the supergraph through the gateway', () => {
  it('answers one query that touches all three subgraphs', async () => {
    const customer = customers[0]!;
    const res = await asAdmin(
      gateway(),
      `query ($id: ID!) {
        customer(id: $id) {
          name
          orders(first: 2) {
            edges { node { status total { amount currencyCode } lines { quantity unitPrice { amount } product { sku name } } } }
          }
        }
      }`,
      { id: customer.id },
    );
    expect(res.errors).toBeUndefined();
    const node = res.data.customer.orders.edges[0].node;
    expect(res.data.customer.name).toBe(customer.name);
    expect(res.data.customer.orders.edges).toHaveLength(2);
    // The newest order of customer 0 is order 40: product 0 ×(1 + 40 % 3) and product 7 ×1.
    const p0 = products[0]!;
    const p7 = products[7]!;
    expect(node.lines).toEqual([
      {
        quantity: 2,
        unitPrice: { amount: (p0.price_minor / 100).toFixed(2) },
        product: { sku: p0.sku, name: p0.name },
      },
      {
        quantity: 1,
        unitPrice: { amount: (p7.price_minor / 100).toFixed(2) },
        product: { sku: p7.sku, name: p7.name },
      },
    ]);
    expect(node.total).toEqual({
      amount: ((2 * p0.price_minor + p7.price_minor) / 100).toFixed(2),
      currencyCode: 'USD',
    });
  });

  it('resolves 50 orders with customers and products in one SQL statement per entity type', async () => {
    statements.length = 0;
    const res = await asAdmin(
      gateway(),
      `{ orders(first: 50) { edges { node { id customer { id name } lines { quantity product { id name sku } } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const edges = res.data.orders.edges as {
      node: { id: string; customer: { name: string }; lines: { product: { name: string } }[] };
    }[];
    expect(edges).toHaveLength(50);
    expect(edges.map((e) => e.node.id)).toEqual([...orderIds].reverse());
    expect(edges.every((e) => e.node.customer.name.startsWith('Customer') && e.node.lines.length === 2)).toBe(true);

    const count = (name: SubgraphName) => statements.filter((s) => s.subgraph === name).length;
    // order: the page of orders, then all their lines in one query.
    expect(count('order')).toBe(2);
    expect(count('customer')).toBe(1);
    expect(count('inventory')).toBe(1);
    expect(statements.find((s) => s.subgraph === 'customer')!.sql).toMatch(/"id" in \(/);
  });

  it('batches Customer.orders for a list of customers into one SQL statement, with cursors for the next pages', async () => {
    statements.length = 0;
    const res = await asAdmin(
      gateway(),
      `{ customers(first: 100) { edges { node { id orders(first: 3) { edges { node { id } } pageInfo { hasNextPage endCursor } } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const orderStatements = statements.filter((s) => s.subgraph === 'order');
    expect(orderStatements).toHaveLength(1);
    expect(orderStatements[0]!.sql).toMatch(/cross join lateral/);
    const pages = new Map<string, any>(res.data.customers.edges.map((e: any) => [e.node.id, e.node.orders]));
    for (let c = 0; c < 10; c++) {
      // Customer c placed orders c, c+10, …, c+40; newest first.
      const page = pages.get(customers[c]!.id);
      expect(page.edges.map((e: any) => e.node.id)).toEqual([40, 30, 20].map((i) => orderIds[i + c]));
      expect(page.pageInfo.hasNextPage).toBe(true);
    }
    const next = await asAdmin(
      gateway(),
      `query ($id: ID!, $after: String) { customer(id: $id) { orders(first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage } } } }`,
      { id: customers[4]!.id, after: pages.get(customers[4]!.id).pageInfo.endCursor },
    );
    expect(next.data.customer.orders.edges.map((e: any) => e.node.id)).toEqual([14, 4].map((i) => orderIds[i]));
    expect(next.data.customer.orders.pageInfo.hasNextPage).toBe(false);
  });

  it('walks every order exactly once with keyset cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: GraphQLResponse<any> = await asAdmin(
        gateway(),
        `query ($after: String) { orders(first: 7, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      expect(res.errors).toBeUndefined();
      const { edges, pageInfo } = res.data.orders;
      seen.push(...edges.map((e: { node: { id: string } }) => e.node.id));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual([...orderIds].reverse());
  });

  it('returns null for an unknown id and BAD_USER_INPUT for a malformed one', async () => {
    const unknown = await asAdmin(
      gateway(),
      `{ order(id: "00000000-0000-4000-8000-000000000000") { id } product(id: "00000000-0000-4000-8000-000000000000") { id } customer(id: "00000000-0000-4000-8000-000000000000") { id } }`,
    );
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data).toEqual({ order: null, product: null, customer: null });

    const malformed = await asAdmin(gateway(), `{ order(id: "not-an-id") { id } }`);
    expect(malformed.data?.order).toBeNull();
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('rejects bad page sizes and forged cursors with BAD_USER_INPUT naming the argument', async () => {
    const tooBig = await asAdmin(gateway(), `{ orders(first: 101) { edges { cursor } } }`);
    expect(tooBig.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const zero = await asAdmin(gateway(), `{ products(first: 0) { edges { cursor } } }`);
    expect(zero.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const forged = await asAdmin(gateway(), `{ orders(after: "bm9wZQ") { edges { cursor } } }`);
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('answers a malformed request with a coded error and no stack trace', async () => {
    const res = await asAdmin(gateway(), `{ orders(first: `);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(JSON.stringify(res)).not.toMatch(/stacktrace|at .*\.ts:/);

    const invalid = await asAdmin(gateway(), `{ orders { nope } }`);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('serves /health and /ready on the gateway and every subgraph', async () => {
    for (const service of [supergraph.gateway, ...Object.values(supergraph.subgraphs)]) {
      const health = await fetch(`${service.url}/health`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${service.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', service: service.name });
    }
  });
});

describe('entity resolution (_entities) on each subgraph', () => {
  const entities = (url: string, representations: unknown[], selection: string) =>
    asAdmin(url, `query ($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: representations });

  it('resolves Customer by id in the customer subgraph, null when unknown', async () => {
    const c = customers[3]!;
    const res = await entities(
      supergraph.subgraphs.customer.graphqlUrl,
      [
        { __typename: 'Customer', id: c.id },
        { __typename: 'Customer', id: '00000000-0000-4000-8000-000000000000' },
        { __typename: 'Customer', id: 'garbage' },
      ],
      '... on Customer { id name email }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([{ id: c.id, name: c.name, email: c.email }, null, null]);
  });

  it('resolves Product by id in the inventory subgraph', async () => {
    const p = products[5]!;
    const res = await entities(
      supergraph.subgraphs.inventory.graphqlUrl,
      [
        { __typename: 'Product', id: p.id },
        { __typename: 'Product', id: '00000000-0000-4000-8000-000000000000' },
      ],
      '... on Product { id sku price { amount currencyCode } available inStock }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([
      {
        id: p.id,
        sku: p.sku,
        price: { amount: (p.price_minor / 100).toFixed(2), currencyCode: 'USD' },
        available: p.stock,
        inStock: true,
      },
      null,
    ]);
  });

  it('resolves Order by id in the order subgraph', async () => {
    const id = orderIds[0]!;
    const res = await entities(
      supergraph.subgraphs.order.graphqlUrl,
      [{ __typename: 'Order', id }],
      '... on Order { id status customer { id } lines { quantity } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([
      { id, status: 'PENDING', customer: { id: customers[0]!.id }, lines: [{ quantity: 1 }, { quantity: 1 }] },
    ]);
  });

  it('contributes Customer.orders from the order subgraph', async () => {
    const c = customers[1]!;
    const res = await entities(
      supergraph.subgraphs.order.graphqlUrl,
      [{ __typename: 'Customer', id: c.id }],
      '... on Customer { orders(first: 100) { edges { node { id } } } }',
    );
    expect(res.errors).toBeUndefined();
    // Customer 1 placed orders 1, 11, 21, 31, 41 (newest first).
    expect(res.data._entities[0].orders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(
      [41, 31, 21, 11, 1].map((i) => orderIds[i]),
    );
  });
});

describe('query limits', () => {
  it('rejects a query whose pages multiply past the cost limit before planning', async () => {
    const wide = `{ orders(first: 100) { edges { node { customer { orders(first: 100) { edges { node { id status } } } } } } } }`;
    statements.length = 0;
    const res = await asAdmin(gateway(), wide);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/too expensive: estimated cost \d+ exceeds the limit of 10000/);
    expect(statements).toHaveLength(0);
    // Variables count as a full page; a modest query passes.
    const narrow = await asAdmin(
      gateway(),
      `query ($n: Int) { orders(first: $n) { edges { node { customer { orders(first: 5) { edges { node { id } } } } } } } }`,
      { n: 10 },
    );
    expect(narrow.errors).toBeUndefined();
  });

  it('rejects a query nested deeper than the limit before planning', async () => {
    // customer → orders → edges → node → customer → orders → … 13 levels.
    const deep = `query ($id: ID!) { customer(id: $id) { orders { edges { node { customer { orders { edges { node { customer { orders { edges { node { id } } } } } } } } } } } } }`;
    statements.length = 0;
    const res = await asAdmin(gateway(), deep, { id: customers[0]!.id });
    expect(res.status).toBe(400);
    // Apollo reports every validation rule's failure under one code.
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/nested too deeply: depth 13 exceeds the limit of 12/);
    expect(statements).toHaveLength(0);
    // The same shape within the limit is answered.
    const shallow = await asAdmin(
      gateway(),
      `query ($id: ID!) { customer(id: $id) { orders(first: 1) { edges { node { customer { name } } } } } }`,
      { id: customers[0]!.id },
    );
    expect(shallow.errors).toBeUndefined();
  });
});

describe('errors relayed by the gateway', () => {
  it('tells an anonymous caller to authenticate without leaking subgraph details', async () => {
    const res = await gql(gateway(), `{ customers(first: 1) { edges { cursor } } }`);
    expect(res.status).toBe(200);
    expect(res.errors).toEqual([
      expect.objectContaining({ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } }),
    ]);
    expect(JSON.stringify(res)).not.toMatch(/http:|localhost|127\.0\.0\.1|serviceName/);
  });

  it('refuses a malformed custom scalar as a client error, not an internal one', async () => {
    statements.length = 0;
    const literal = await gql(gateway(), `{ products(filter: { minPrice: "1.234" }) { edges { cursor } } }`);
    expect(literal.status).toBe(400);
    expect(literal.errors).toEqual([
      expect.objectContaining({
        message: 'Decimal must be a string with at most 2 decimal places, e.g. "12.34"',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
    expect(statements).toHaveLength(0);
    const variable = await gql(
      gateway(),
      `query ($p: Decimal) { products(filter: { minPrice: $p }) { edges { cursor } } }`,
      {
        p: '1.234',
      },
    );
    expect(variable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const valid = await gql(gateway(), `{ products(filter: { minPrice: "1.23" }) { edges { cursor } } }`);
    expect(valid.errors).toBeUndefined();
  });

  it('names the argument of an unknown enum value, also inside an input object', async () => {
    const res = await asAdmin(gateway(), `{ orders(filter: { status: SOLD }) { edges { cursor } } }`);
    expect(res.status).toBe(400);
    expect(res.errors).toEqual([
      expect.objectContaining({
        message: '"filter.status" has no value SOLD; expected one of PENDING, PAID, SHIPPED, DELIVERED, CANCELLED',
        extensions: { code: 'BAD_USER_INPUT', field: 'filter.status' },
      }),
    ]);
    const valid = await asAdmin(gateway(), `{ orders(first: 1, filter: { status: PAID }) { edges { cursor } } }`);
    expect(valid.errors).toBeUndefined();
  });

  it('refuses a forged order cursor as BAD_USER_INPUT', async () => {
    // Tagged for the unfiltered order list, so only the id check can refuse it.
    const forged = Buffer.from(JSON.stringify(['placed||||', 1, "x' or 1=1"])).toString('base64url');
    const res = await asAdmin(gateway(), `query ($after: String) { orders(after: $after) { edges { cursor } } }`, {
      after: forged,
    });
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('query limits with fragments', () => {
  it('counts a fragment spread twice in one selection once, as GraphQL merges its fields', async () => {
    // Alone, A costs 7,601; counted twice it would pass the 10,000 limit.
    const A = `fragment A on Query { orders(first: 100) { edges { node { customer { orders(first: 24) { edges { node { id } } } } } } } }`;
    const once = await asAdmin(gateway(), `{ ...A ...A }\n${A}`);
    expect(once.errors).toBeUndefined();
    const B = `fragment B on Query { orders(first: 100) { edges { node { customer { orders(first: 24) { edges { node { status } } } } } } } }`;
    const twoFragments = await asAdmin(gateway(), `{ ...A ...B }\n${A}\n${B}`);
    expect(twoFragments.errors?.[0]?.message).toMatch(/too expensive: estimated cost 15202 exceeds the limit of 10000/);
  });
});
