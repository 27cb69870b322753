import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  defaultTokenSettings,
  generateSigningKey,
  remoteJwks,
  signAccessToken,
  verifyAccessToken,
} from '@shopgraph/lib';
import jwt from 'jsonwebtoken';
import { startSupergraph, type RunningSupergraph } from '../scripts/supergraph.js';
import { bearer, testAuth, tokenFor } from './support/auth.js';
import type { TestDatabases } from './support/database.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { insertOrder, insertProducts, type FixtureDbs } from './support/fixtures.js';
import { gql } from './support/graphql.js';

const auth = testAuth();
let stack: TestStack;
let databases: TestDatabases;
let supergraph: RunningSupergraph;
let dbs: FixtureDbs;
let statements = 0;

beforeAll(async () => {
  stack = await startTestStack({ auth, onQuery: () => statements++ });
  ({ databases, dbs, supergraph } = stack);
});

afterAll(() => stack?.stop());

const gateway = () => supergraph.gateway.graphqlUrl;
const REGISTER = `mutation ($input: RegisterInput!) {
  register(input: $input) { accessToken expiresAt customer { id email name role } userErrors { field message code } }
}`;
const LOGIN = `mutation ($input: LoginInput!) {
  login(input: $input) { accessToken customer { id email } userErrors { field message code } }
}`;

let serial = 0;
async function registerCustomer(name = 'Test Customer') {
  const email = `user${++serial}-${Date.now()}@example.test`;
  const password = 'a long enough password';
  const res = await gql(gateway(), REGISTER, { input: { email, password, name } });
  expect(res.data.register.userErrors).toEqual([]);
  return {
    email,
    password,
    id: res.data.register.customer.id as string,
    token: res.data.register.accessToken as string,
  };
}

const customerCount = async () =>
  Number(
    (
      await dbs.customer
        .selectFrom('customer.customer')
        .select(dbs.customer.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('accounts', () => {
  it('registers, logs in and answers me', async () => {
    const email = `  Grace.${Date.now()}@Example.TEST `;
    const registered = await gql(gateway(), REGISTER, {
      input: { email, password: 'correct horse battery', name: ' Grace ' },
    });
    expect(registered.data.register.userErrors).toEqual([]);
    expect(registered.data.register.customer).toMatchObject({
      email: email.trim().toLowerCase(),
      name: 'Grace',
      role: 'CUSTOMER',
    });
    expect(JSON.stringify(registered)).not.toMatch(/argon2|correct horse/);

    const login = await gql(gateway(), LOGIN, {
      input: { email: email.toUpperCase(), password: 'correct horse battery' },
    });
    expect(login.data.login.userErrors).toEqual([]);
    const token = login.data.login.accessToken as string;
    const claims = jwt.decode(token, { complete: true })!;
    expect(claims.header).toMatchObject({ alg: 'ES256', kid: auth.signingKey.kid });
    expect(claims.payload).toMatchObject({
      sub: registered.data.register.customer.id,
      role: 'CUSTOMER',
      iss: defaultTokenSettings.issuer,
      aud: defaultTokenSettings.audience,
    });
    expect(typeof (claims.payload as jwt.JwtPayload).exp).toBe('number');
    expect(typeof (claims.payload as jwt.JwtPayload).iat).toBe('number');

    const me = await gql(gateway(), `{ me { id email name role } }`, {}, bearer(token));
    expect(me.data.me).toEqual(registered.data.register.customer);

    const stored = await dbs.customer
      .selectFrom('customer.customer')
      .select('password_hash')
      .where('id', '=', me.data.me.id)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });

  it('refuses a taken email, whatever its case, without creating an account', async () => {
    const { email } = await registerCustomer();
    const before = await customerCount();
    const res = await gql(gateway(), REGISTER, {
      input: { email: email.toUpperCase(), password: 'another password', name: 'Copycat' },
    });
    expect(res.data.register).toEqual({
      accessToken: null,
      expiresAt: null,
      customer: null,
      userErrors: [
        {
          field: ['input', 'email'],
          code: 'EMAIL_UNAVAILABLE',
          message: 'This email address cannot be used to register',
        },
      ],
    });
    expect(await customerCount()).toBe(before);
  });

  it('gives a wrong password and an unknown email the same answer', async () => {
    const { email } = await registerCustomer();
    const wrong = await gql(gateway(), LOGIN, { input: { email, password: 'not the password' } });
    const unknown = await gql(gateway(), LOGIN, {
      input: { email: `nobody-${Date.now()}@example.test`, password: 'x' },
    });
    expect(wrong.data.login).toEqual(unknown.data.login);
    expect(wrong.data.login.accessToken).toBeNull();
    expect(wrong.data.login.userErrors).toEqual([
      { field: ['input'], code: 'INVALID_CREDENTIALS', message: 'The email and password do not match an account' },
    ]);
  });

  it.each([
    [
      'a malformed email',
      { email: 'not-an-email', password: 'long enough pw', name: 'A' },
      ['input', 'email'],
      'INVALID_EMAIL',
    ],
    [
      'a short password',
      { email: 'short@example.test', password: 'short', name: 'A' },
      ['input', 'password'],
      'PASSWORD_TOO_SHORT',
    ],
    [
      'an over-long name',
      { email: 'long@example.test', password: 'long enough pw', name: 'x'.repeat(101) },
      ['input', 'name'],
      'TOO_LONG',
    ],
    [
      'an over-long email',
      { email: `${'x'.repeat(250)}@example.test`, password: 'long enough pw', name: 'A' },
      ['input', 'email'],
      'TOO_LONG',
    ],
    [
      'an empty name',
      { email: 'empty@example.test', password: 'long enough pw', name: '   ' },
      ['input', 'name'],
      'REQUIRED',
    ],
  ])('rejects %s with a userError naming the field and writes nothing', async (_label, input, field, code) => {
    const before = await customerCount();
    const res = await gql(gateway(), REGISTER, { input });
    expect(res.data.register.accessToken).toBeNull();
    expect(res.data.register.userErrors).toEqual([expect.objectContaining({ field, code })]);
    expect(await customerCount()).toBe(before);
  });

  it('updates the profile and manages addresses with one default shipping address', async () => {
    const { token } = await registerCustomer();
    const headers = bearer(token);
    const profile = await gql(
      gateway(),
      `mutation { updateProfile(input: { name: "Renamed" }) { customer { name } userErrors { code } } }`,
      {},
      headers,
    );
    expect(profile.data.updateProfile).toEqual({ customer: { name: 'Renamed' }, userErrors: [] });

    const ADD = `mutation ($input: AddressInput!) { addAddress(input: $input) {
      address { id city countryCode isDefaultShipping } userErrors { field code } } }`;
    const base = { name: 'Home', line1: '1 Main St', city: 'Leeds', postalCode: 'LS1 1AA', countryCode: 'gb' };
    const first = await gql(gateway(), ADD, { input: base }, headers);
    expect(first.data.addAddress.address).toMatchObject({ city: 'Leeds', countryCode: 'GB', isDefaultShipping: true });
    const second = await gql(gateway(), ADD, { input: { ...base, city: 'York', makeDefaultShipping: true } }, headers);
    expect(second.data.addAddress.address.isDefaultShipping).toBe(true);

    const bad = await gql(gateway(), ADD, { input: { ...base, countryCode: 'GBR', line1: '' } }, headers);
    expect(bad.data.addAddress.userErrors).toEqual([
      { field: ['input', 'line1'], code: 'REQUIRED' },
      { field: ['input', 'countryCode'], code: 'INVALID_COUNTRY' },
    ]);

    const removed = await gql(
      gateway(),
      `mutation ($id: ID!) { removeAddress(id: $id) { customer { addresses { city isDefaultShipping } defaultShippingAddress { city } } userErrors { code } } }`,
      { id: second.data.addAddress.address.id },
      headers,
    );
    expect(removed.data.removeAddress.customer).toEqual({
      addresses: [{ city: 'Leeds', isDefaultShipping: true }],
      defaultShippingAddress: { city: 'Leeds' },
    });

    // Another customer cannot touch this address.
    const other = await registerCustomer();
    const stolen = await gql(
      gateway(),
      `mutation ($id: ID!, $input: AddressInput!) { updateAddress(id: $id, input: $input) { address { id } userErrors { code } } }`,
      { id: first.data.addAddress.address.id, input: { ...base, city: 'Hijacked' } },
      bearer(other.token),
    );
    expect(stolen.data.updateAddress).toEqual({ address: null, userErrors: [{ code: 'ADDRESS_NOT_FOUND' }] });
    const row = await dbs.customer
      .selectFrom('customer.address')
      .select('city')
      .where('id', '=', first.data.addAddress.address.id)
      .executeTakeFirstOrThrow();
    expect(row.city).toBe('Leeds');
  });

  it('lets only admins list customers', async () => {
    const { token, id } = await registerCustomer();
    const LIST = `{ customers(first: 100) { edges { node { id } } } }`;
    const anonymous = await gql(gateway(), LIST);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const customer = await gql(gateway(), LIST, {}, bearer(token));
    expect(customer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await gql(gateway(), LIST, {}, bearer(tokenFor(auth, { customerId: id, role: 'ADMIN' })));
    expect(admin.errors).toBeUndefined();
    expect(admin.data.customers.edges.map((e: any) => e.node.id)).toContain(id);
  });
});

describe('token verification at the gateway', () => {
  const ME_AND_CATALOG = `{ me { id } products(first: 1) { edges { cursor } } }`;
  let customerId: string;
  beforeAll(async () => {
    customerId = (await registerCustomer()).id;
  });

  const forge = (payload: object, header: object, sign: (input: string) => string) => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${enc(header)}.${enc(payload)}`;
    return `${input}.${sign(input)}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({
    sub: customerId,
    role: 'ADMIN',
    iss: defaultTokenSettings.issuer,
    aud: defaultTokenSettings.audience,
    iat: now(),
    exp: now() + 300,
  });
  const es256 = (payload: object, key = auth.signingKey) =>
    jwt.sign(payload, key.privateKey, { algorithm: 'ES256', keyid: key.kid });

  const attacks: [string, () => string][] = [
    ['expired', () => es256({ ...claims(), iat: now() - 600, exp: now() - 60 })],
    ['wrong issuer', () => es256({ ...claims(), iss: 'someone-else' })],
    ['wrong audience', () => es256({ ...claims(), aud: 'another-api' })],
    [
      'tampered payload',
      () => {
        const [h, , s] = tokenFor(auth, { customerId, role: 'CUSTOMER' }).split('.');
        return `${h}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.${s}`;
      },
    ],
    ['alg none', () => forge(claims(), { alg: 'none', typ: 'JWT', kid: auth.signingKey.kid }, () => '')],
    [
      'HS256 signed with the public key (key confusion)',
      () => {
        const pem = auth.signingKey.publicKey.export({ format: 'pem', type: 'spki' }).toString();
        return forge(claims(), { alg: 'HS256', typ: 'JWT', kid: auth.signingKey.kid }, (input) =>
          createHmac('sha256', pem).update(input).digest('base64url'),
        );
      },
    ],
    ['unknown kid', () => es256(claims(), generateSigningKey('unknown-kid'))],
    ['known kid, wrong key', () => es256(claims(), { ...generateSigningKey(), kid: auth.signingKey.kid })],
    ['not a JWT', () => 'garbage'],
  ];

  it.each(attacks)(
    'rejects a token that is %s with 401 UNAUTHENTICATED before any subgraph runs',
    async (_label, make) => {
      statements = 0;
      const res = await gql(gateway(), ME_AND_CATALOG, {}, bearer(make()));
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.data ?? null).toBeNull();
      expect(statements).toBe(0);
    },
  );

  it('rejects a malformed Authorization header', async () => {
    const res = await gql(gateway(), ME_AND_CATALOG, {}, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('treats a request without a token as anonymous and ignores identity headers', async () => {
    const res = await gql(
      gateway(),
      ME_AND_CATALOG,
      {},
      { 'x-customer-id': customerId, 'x-user-id': customerId, 'x-role': 'ADMIN' },
    );
    expect(res.status).toBe(200);
    expect(res.data.me).toBeNull();
    expect(Array.isArray(res.data.products.edges)).toBe(true);
  });

  it('also rejects a bad token sent straight to a subgraph', async () => {
    for (const subgraph of Object.values(supergraph.subgraphs)) {
      const res = await gql(subgraph.graphqlUrl, `{ __typename }`, {}, bearer(attacks[4]![1]()));
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe("a customer cannot read another customer's data", () => {
  let alice: Awaited<ReturnType<typeof registerCustomer>>;
  let bob: Awaited<ReturnType<typeof registerCustomer>>;
  let bobsOrderId: string;

  beforeAll(async () => {
    alice = await registerCustomer('Alice');
    bob = await registerCustomer('Bob');
    const [product] = await insertProducts(dbs.inventory, 1, 'AUTH');
    bobsOrderId = (
      await insertOrder(dbs.order, bob.id, [
        { productId: product!.id, quantity: 1, unitPriceMinor: product!.price_minor },
      ])
    ).id;
  });

  it('by id through the gateway', async () => {
    const res = await gql(
      gateway(),
      `query ($id: ID!) { customer(id: $id) { email } }`,
      { id: bob.id },
      bearer(alice.token),
    );
    expect(res.data?.customer ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = await gql(
      gateway(),
      `query ($id: ID!) { customer(id: $id) { email } }`,
      { id: alice.id },
      bearer(alice.token),
    );
    expect(own.data.customer.email).toBe(alice.email);
  });

  it('via an order, through the gateway', async () => {
    const direct = await gql(
      gateway(),
      `query ($id: ID!) { order(id: $id) { id customer { email } } }`,
      { id: bobsOrderId },
      bearer(alice.token),
    );
    expect(direct.errors).toBeUndefined();
    expect(direct.data.order).toBeNull();
    const list = await gql(gateway(), `{ orders(first: 100) { edges { node { id } } } }`, {}, bearer(alice.token));
    expect(list.data.orders.edges).toEqual([]);
    const bobs = await gql(
      gateway(),
      `{ orders(first: 100) { edges { node { id customer { email } } } } }`,
      {},
      bearer(bob.token),
    );
    expect(bobs.data.orders.edges).toEqual([{ node: { id: bobsOrderId, customer: { email: bob.email } } }]);
  });

  it('by _entities on each subgraph directly', async () => {
    const entities = (url: string, representations: unknown[], selection: string) =>
      gql(
        url,
        `query ($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`,
        { r: representations },
        bearer(alice.token),
      );

    const customer = await entities(
      supergraph.subgraphs.customer.graphqlUrl,
      [{ __typename: 'Customer', id: bob.id }],
      '... on Customer { email addresses { city } }',
    );
    expect(customer.data._entities).toEqual([null]);

    const order = await entities(
      supergraph.subgraphs.order.graphqlUrl,
      [{ __typename: 'Order', id: bobsOrderId }],
      '... on Order { id total { amount } }',
    );
    expect(order.data._entities).toEqual([null]);

    const orders = await entities(
      supergraph.subgraphs.order.graphqlUrl,
      [{ __typename: 'Customer', id: bob.id }],
      '... on Customer { orders { edges { node { id } } } }',
    );
    expect(orders.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(orders.data)).not.toContain(bobsOrderId);
  });
});

describe('key rotation', () => {
  it('accepts tokens from the new and the previous key, and rejects a removed key', async () => {
    const oldKey = auth.signingKey;
    const newKey = generateSigningKey('test-key-2');
    const oldToken = tokenFor(auth, { customerId: (await registerCustomer()).id, role: 'CUSTOMER' });

    const rotating = await startSupergraph({
      databaseUrls: databases.urls,
      port: 0,
      host: '127.0.0.1',
      sandbox: false,
      auth: { ...auth, signingKey: newKey, previousKeys: [oldKey] },
    });
    try {
      const newToken = signAccessToken(
        { customerId: (await registerCustomer()).id, role: 'CUSTOMER' },
        newKey,
        defaultTokenSettings,
        300,
      ).token;
      for (const token of [oldToken, newToken]) {
        const res = await gql(rotating.gateway.graphqlUrl, `{ me { id } }`, {}, bearer(token));
        expect(res.status).toBe(200);
        expect(res.data.me.id).toBeTruthy();
      }
      // The JWKS publishes both keys, and a verifier reading it accepts both.
      const jwks = (await (await fetch(`${rotating.subgraphs.customer.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual(['test-key-1', 'test-key-2']);
      expect(JSON.stringify(jwks)).not.toMatch(/"d":/);
      const remote = remoteJwks(`${rotating.subgraphs.customer.url}/.well-known/jwks.json`);
      await expect(verifyAccessToken(newToken, remote, defaultTokenSettings)).resolves.toMatchObject({
        role: 'CUSTOMER',
      });
    } finally {
      await rotating.stop();
    }

    const rotated = await startSupergraph({
      databaseUrls: databases.urls,
      port: 0,
      host: '127.0.0.1',
      sandbox: false,
      auth: { ...auth, signingKey: newKey },
    });
    try {
      const res = await gql(rotated.gateway.graphqlUrl, `{ me { id } }`, {}, bearer(oldToken));
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await rotated.stop();
    }
  });
});
