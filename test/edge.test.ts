import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import { parseManifest } from '@shopgraph/gateway';
import type { RunningService } from '@shopgraph/lib';
import type { SubgraphName } from '../scripts/supergraph.js';
import { bearer, testAuth, tokenFor } from './support/auth.js';
import { insertCustomers, insertProducts } from './support/fixtures.js';
import { gql } from './support/graphql.js';
import { startTestGateway, startTestStack, subgraphUrlsOf, type TestStack } from './support/stack.js';

const auth = testAuth();
const allowedOrigin = 'http://127.0.0.1:5999';
let stack: TestStack;
let production: RunningService;
const statements: { subgraph: SubgraphName; sql: string }[] = [];
const savedNodeEnv = process.env.NODE_ENV;

beforeAll(async () => {
  // Express renders its own error pages with stack traces outside
  // production: run in development to show that none ever reaches a client.
  process.env.NODE_ENV = 'development';
  stack = await startTestStack({
    auth,
    onQuery: (subgraph, sql) => statements.push({ subgraph, sql }),
    gateway: { introspection: true, cors: { origins: [allowedOrigin], allowCredentials: false } },
  });
  // The same supergraph as production runs it: introspection off.
  production = await startTestGateway(auth, subgraphUrlsOf(stack));
});

afterAll(async () => {
  await production?.stop();
  await stack?.stop();
  process.env.NODE_ENV = savedNodeEnv;
});

const gateway = () => stack.supergraph.gateway.graphqlUrl;
const services = () => [stack.supergraph.gateway, ...Object.values(stack.supergraph.subgraphs)];

/** A raw HTTP exchange, for requests no GraphQL client would send. */
async function raw(url: string, init: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** What no error response may contain: HTML, a stack frame or a file path. */
function expectNoInternals(text: string) {
  expect(text).not.toMatch(/<html|<!DOCTYPE|<pre>/i);
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d+/);
}

describe('HTTP-level failures are GraphQL-over-HTTP JSON with a code, on the gateway and every subgraph', () => {
  const cases: {
    what: string;
    status: number;
    code: string;
    request: (url: string) => Promise<Awaited<ReturnType<typeof raw>>>;
  }[] = [
    {
      what: 'a 10 MB body',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      request: (url) =>
        raw(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } }),
        }),
    },
    {
      what: 'malformed JSON',
      status: 400,
      code: 'BAD_REQUEST',
      request: (url) =>
        raw(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' }),
    },
    {
      what: 'an unsupported media type',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      request: (url) =>
        raw(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' }),
    },
    {
      what: 'a method other than GET and POST',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      request: (url) =>
        raw(url, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ __typename }"}',
        }),
    },
    {
      what: 'an unknown route under /graphql',
      status: 404,
      code: 'NOT_FOUND',
      request: (url) =>
        raw(`${url}/nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    },
  ];

  it.each(cases)('answers $what with $status $code', async ({ status, code, request }) => {
    for (const service of services()) {
      const res = await request(service.graphqlUrl);
      expect({ service: service.name, status: res.status }).toEqual({ service: service.name, status });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
      expectNoInternals(res.text);
    }
  });

  it('still answers a normal request on the same services afterwards', async () => {
    for (const service of services()) {
      const res = await gql(service.graphqlUrl, '{ __typename }');
      expect(res.data).toEqual({ __typename: 'Query' });
    }
  });
});

describe('strings Postgres cannot store', () => {
  const customerToken = () => tokenFor(auth, { customerId: '00000000-0000-4000-8000-000000000001', role: 'CUSTOMER' });
  const register = `mutation ($input: RegisterInput!) { register(input: $input) { accessToken userErrors { code } } }`;
  const search = (s: string) => `{ products(filter: { search: ${JSON.stringify(s)} }) { edges { cursor } } }`;
  const place = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code } } }`;

  it('are refused through the gateway as BAD_USER_INPUT naming the field, before any SQL, in every subgraph', async () => {
    const [product] = await insertProducts(stack.dbs.inventory, 1, 'NUL');
    statements.length = 0;
    const name = await gql(gateway(), register, {
      input: { email: 'nul@example.test', password: 'long-enough-password', name: 'Ada\u0000' },
    });
    expect(name.status).toBe(400);
    expect(name.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.name' } }),
    ]);

    const literal = await gql(gateway(), search('mug\u0000'));
    expect(literal.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'filter.search' } }),
    ]);

    const key = await gql(
      gateway(),
      place,
      { input: { lines: [{ productId: product!.id, quantity: 1 }], idempotencyKey: 'key-\u0000' } },
      bearer(customerToken()),
    );
    expect(key.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' } }),
    ]);
    // A lone surrogate would be stored as U+FFFD: refused too.
    const surrogate = await gql(
      gateway(),
      'query ($s: String) { products(filter: { search: $s }) { edges { cursor } } }',
      { s: 'mug\ud800' },
    );
    expect(surrogate.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 's' });
    expect(statements).toEqual([]);
    const stored = await stack.dbs.customer
      .selectFrom('customer.customer')
      .select('id')
      .where('email', '=', 'nul@example.test')
      .execute();
    expect(stored).toEqual([]);
  });

  it('are refused by each subgraph called directly (HTTP 400 with the code, which a gateway relays)', async () => {
    const { customer, inventory, order } = stack.supergraph.subgraphs;
    const direct = await gql(customer.graphqlUrl, register, {
      input: { email: 'nul2@example.test', password: 'long-enough-password', name: 'x\u0000' },
    });
    expect(direct.status).toBe(400);
    expect(direct.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const products = await gql(inventory.graphqlUrl, search('\u0000'));
    expect(products.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.search' });
    const orders = await gql(
      order.graphqlUrl,
      place,
      { input: { lines: [], idempotencyKey: '\u0000' } },
      bearer(customerToken()),
    );
    expect(orders.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
  });
});

describe('subscriptions', () => {
  it('get a client error saying they are not supported, on the gateway and a subgraph', async () => {
    for (const url of [gateway(), stack.supergraph.subgraphs.order.graphqlUrl]) {
      const res = await gql(url, 'subscription { orderPlaced { id } }');
      expect(res.status).toBe(400);
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: 'Subscriptions are not supported: this API answers queries and mutations only',
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      ]);
    }
  });
});

describe('schema tools', () => {
  it("answer graphql-js's standard introspection query in development", async () => {
    const res = await gql(gateway(), getIntrospectionQuery());
    expect(res.errors).toBeUndefined();
    const types = (res.data.__schema.types as { name: string }[]).map((t) => t.name);
    expect(types).toEqual(expect.arrayContaining(['Query', 'Mutation', 'Product', 'Order', 'Customer']));
  });

  it('answer the introspection query Apollo Sandbox sends (deprecated input values, specifiedBy, repeatable)', async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      inputValueDeprecation: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
    });
    const res = await gql(gateway(), query, {}, { 'apollo-require-preflight': 'true' });
    expect(res.errors).toBeUndefined();
    const mutation = (res.data.__schema.types as { name: string; description: string | null }[]).find(
      (t) => t.name === 'Mutation',
    );
    // The composed description tells the truth: not every mutation needs ADMIN.
    expect(mutation?.description).toMatch(/Each field says who may\s+call it/);
  });

  it('still bound introspection that recurses through types', async () => {
    const res = await gql(
      gateway(),
      `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`,
    );
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.message).toMatch(/Maximum introspection depth exceeded/);
  });

  it('in production: introspection is off and field suggestions do not leak the schema', async () => {
    const introspection = await gql(production.graphqlUrl, getIntrospectionQuery());
    expect(introspection.status).toBe(400);
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await gql(production.graphqlUrl, '{ prodcts { totalCount } }');
    expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "prodcts"/);
    expect(JSON.stringify(typo)).not.toMatch(/Did you mean|"products"/);
    // Development keeps the suggestion: it is the production setting that hides it.
    const dev = await gql(gateway(), '{ prodcts { totalCount } }');
    expect(dev.errors?.[0]?.message).toMatch(/Did you mean "products"/);
  });
});

describe('operation limits refuse before planning, in milliseconds, with a code', () => {
  const many = (n: number, selection: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => selection(i)).join(' ');

  async function refused(query: string, message: RegExp, code = 'GRAPHQL_VALIDATION_FAILED') {
    statements.length = 0;
    const started = performance.now();
    const res = await gql(gateway(), query);
    const ms = performance.now() - started;
    expect(res.status).toBe(400);
    expect(res.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code } });
    expect(statements).toEqual([]);
    return ms;
  }

  it('caps aliases (graphql-armor)', async () => {
    await refused(
      `{ ${many(16, (i) => `a${i}: products(first: 1) { totalCount }`)} }`,
      /Aliases limit of 15 exceeded, found 16/,
    );
    const ok = await gql(gateway(), `{ ${many(15, (i) => `a${i}: products(first: 1) { totalCount }`)} }`);
    expect(ok.errors).toBeUndefined();
  });

  it('caps tokens while parsing: 5,000 aliased product lists never reach validation', async () => {
    const ms = await refused(
      `{ ${many(5000, (i) => `a${i}: products(first: 1) { totalCount }`)} }`,
      /Document contains more that 1000 tokens/,
      'GRAPHQL_PARSE_FAILED',
    );
    expect(ms).toBeLessThan(1000);
  });

  it('caps directives (graphql-armor)', async () => {
    await refused(
      `{ ${many(51, () => '... @include(if: true) { __typename }')} }`,
      /Directives limit of 50 exceeded, found 51/,
    );
  });

  it('caps root mutation fields, so one request cannot multiply login', async () => {
    const logins = many(
      6,
      (i) => `l${i}: login(input: { email: "a${i}@example.test", password: "guess-${i}" }) { accessToken }`,
    );
    await refused(`mutation { ${logins} }`, /Mutation has 6 root fields; at most 5/);
  });

  it('keep the page-size-aware cost model', async () => {
    await refused(
      `{ orders(first: 100) { edges { node { customer { orders(first: 100) { edges { node { id } } } } } } } }`,
      /too expensive: estimated cost \d+ exceeds the limit of 10000/,
    );
  });
});

describe('after a batch of hostile requests', () => {
  it('{ __typename } still answers promptly', async () => {
    const [customer] = await insertCustomers(stack.dbs.customer, 1, 'hostile');
    const aliases = `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: products(first: 1) { totalCount }`).join(' ')} }`;
    const logins = `mutation { ${Array.from({ length: 200 }, (_, i) => `l${i}: login(input: { email: "${customer!.email}", password: "p${i}" }) { accessToken }`).join(' ')} }`;
    const deep = `{ ${'orders(first: 1) { edges { node { customer { '.repeat(5)}id${' } } } }'.repeat(5)} }`;
    const hostile = [
      ...Array.from({ length: 10 }, () => gql(gateway(), aliases)),
      ...Array.from({ length: 10 }, () => gql(gateway(), logins)),
      ...Array.from({ length: 10 }, () => gql(gateway(), deep)),
      ...Array.from({ length: 5 }, () =>
        raw(gateway(), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: 'x'.repeat(5 * 1024 * 1024),
        }),
      ),
    ];
    const answers = await Promise.all(hostile);
    expect(answers.every((a) => a.status >= 400 && a.status < 500)).toBe(true);

    const started = performance.now();
    const res = await gql(gateway(), '{ __typename }');
    const ms = performance.now() - started;
    expect(res.data).toEqual({ __typename: 'Query' });
    expect(ms).toBeLessThan(500);
  });
});

describe('browsers on other origins (CORS) and compression', () => {
  const preflight = (origin: string) =>
    raw(gateway(), {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });

  it('answers a preflight from an allowed origin, without allowing credentials', async () => {
    const res = await preflight(allowedOrigin);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const post = await raw(gateway(), {
      method: 'POST',
      headers: { origin: allowedOrigin, 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(post.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
  });

  it('sends no CORS header at all to another origin', async () => {
    for (const res of [
      await preflight('http://evil.example'),
      await raw(gateway(), {
        method: 'POST',
        headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      }),
    ]) {
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('keeps CSRF prevention on: a GET query without a preflight header is refused', async () => {
    const res = await raw(`${gateway()}?query=${encodeURIComponent('{ __typename }')}`, { method: 'GET' });
    expect(res.status).toBe(400);
    expect(res.json().errors[0]).toMatchObject({
      message: expect.stringMatching(/Cross-Site Request Forgery/),
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('compresses responses for clients that accept it', async () => {
    await insertProducts(stack.dbs.inventory, 20, 'GZ');
    const body = JSON.stringify({ query: '{ products(first: 20) { edges { node { id name description sku } } } }' });
    const headers = { 'content-type': 'application/json' };
    const gzip = await raw(gateway(), { method: 'POST', headers: { ...headers, 'accept-encoding': 'gzip' }, body });
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
    expect(gzip.json().data.products.edges.length).toBe(20);
    const plain = await raw(gateway(), {
      method: 'POST',
      headers: { ...headers, 'accept-encoding': 'identity' },
      body,
    });
    expect(plain.headers.get('content-encoding')).toBeNull();
  });
});

describe('persisted operations from an Apollo persisted query manifest', () => {
  const catalog = 'query Catalog { products(first: 2) { edges { node { id } } } }';
  const manifest = {
    format: 'apollo-persisted-query-manifest' as const,
    version: 1 as const,
    operations: [
      {
        id: createHash('sha256').update(catalog).digest('hex'),
        name: 'Catalog',
        type: 'query' as const,
        body: catalog,
      },
    ],
  };
  const byId = (url: string, id: string) =>
    raw(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
    });
  const gateways: RunningService[] = [];

  const start = (safelist: boolean) =>
    startTestGateway(auth, subgraphUrlsOf(stack), {
      persistedOperations: { manifest: parseManifest(JSON.parse(JSON.stringify(manifest))), safelist },
    });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
  });

  it('in safelist mode serves listed operations by id and refuses everything else with a code', async () => {
    const safelisted = await start(true);
    gateways.push(safelisted);
    const listed = await byId(safelisted.graphqlUrl, manifest.operations[0]!.id);
    expect(listed.status).toBe(200);
    expect(listed.json().data.products.edges).toHaveLength(2);

    const unknown = await byId(safelisted.graphqlUrl, 'f'.repeat(64));
    expect(unknown.status).toBe(400);
    expect(unknown.json().errors[0].extensions).toEqual({ code: 'PERSISTED_QUERY_NOT_IN_LIST' });

    statements.length = 0;
    const freeform = await gql(safelisted.graphqlUrl, '{ products(first: 50) { edges { node { id name } } } }');
    expect(freeform.status).toBe(400);
    expect(freeform.errors?.[0]?.extensions).toEqual({ code: 'QUERY_NOT_IN_SAFELIST' });
    expect(statements).toEqual([]);
    // The exact text of a listed operation is the same operation: accepted.
    const sameText = await gql(safelisted.graphqlUrl, catalog);
    expect(sameText.errors).toBeUndefined();
  });

  it('without safelist serves listed ids and still accepts other operations', async () => {
    const open = await start(false);
    gateways.push(open);
    const listed = await byId(open.graphqlUrl, manifest.operations[0]!.id);
    expect(listed.json().data.products.edges).toHaveLength(2);
    const unknown = await byId(open.graphqlUrl, 'e'.repeat(64));
    expect(unknown.json().errors[0].extensions).toEqual({ code: 'PERSISTED_QUERY_NOT_FOUND' });
    const freeform = await gql(open.graphqlUrl, '{ products(first: 1) { edges { node { id } } } }');
    expect(freeform.errors).toBeUndefined();
  });

  it('refuses a file that is not a manifest, naming the problem', () => {
    expect(() => parseManifest({ format: 'something-else', version: 1, operations: [] })).toThrow(
      /not an Apollo persisted query manifest: format/,
    );
  });
});
