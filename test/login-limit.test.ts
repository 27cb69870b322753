import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createPasswordHasher,
  startCustomer,
  type CustomerDatabase,
  type LoginLimitSettings,
} from '@shopgraph/customer';
import {
  createAuthenticator,
  createDatabase,
  defaultTokenSettings,
  staticKeys,
  type RunningService,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { TEST_PASSWORD_COST, testAuth } from './support/auth.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { gql } from './support/graphql.js';
import { startTestGateway } from './support/stack.js';

const auth = testAuth();
const limits: LoginLimitSettings = {
  maxFailuresPerAccount: 3,
  maxFailuresPerAddress: 6,
  backoffBaseSeconds: 2,
  backoffMaxSeconds: 60,
  windowSeconds: 3600,
};
const PASSWORD = 'the-right-password';
let database: TestDatabase;
const dbs: Kysely<CustomerDatabase>[] = [];
/** Two replicas of the customer subgraph on one database, as behind a load balancer. */
let replicas: RunningService[];
let gateway: RunningService;

beforeAll(async () => {
  database = await createTestDatabase();
  replicas = await Promise.all(
    [0, 1].map(() => {
      const db = createDatabase<CustomerDatabase>({ databaseUrl: database.url, poolSize: 4 });
      dbs.push(db);
      return startCustomer({
        db,
        port: 0,
        host: '127.0.0.1',
        sandbox: false,
        auth: createAuthenticator({ settings: defaultTokenSettings, keys: staticKeys([auth.signingKey]) }),
        publishedKeys: [auth.signingKey],
        serviceAuth: { service: 'customer', secrets: [randomBytes(32).toString('hex')] },
        accounts: {
          hasher: createPasswordHasher(TEST_PASSWORD_COST),
          signingKey: auth.signingKey,
          tokenSettings: defaultTokenSettings,
          tokenTtlSeconds: 300,
          loginLimits: limits,
        },
      });
    }),
  );
  // Only the customer subgraph is called below; the others need no server.
  gateway = await startTestGateway(auth, {
    customer: replicas[0]!.graphqlUrl,
    inventory: 'http://127.0.0.1:9/graphql',
    order: 'http://127.0.0.1:9/graphql',
  });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all((replicas ?? []).map((r) => r.stop()));
  await Promise.all(dbs.map((db) => db.destroy()));
  await database?.drop();
});

const LOGIN = `mutation ($input: LoginInput!) {
  login(input: $input) { accessToken userErrors { code field message retryAfterSeconds } }
}`;
let addressCounter = 0;
/** A fresh client address (TEST-NET-3), so only the per-account limit can apply. */
const freshAddress = () => `203.0.113.${++addressCounter}`;

async function login(url: string, email: string, password: string, address = freshAddress()) {
  const res = await gql(url, LOGIN, { input: { email, password } }, { 'x-forwarded-for': address });
  expect(res.errors).toBeUndefined();
  return res.data.login as {
    accessToken: string | null;
    userErrors: { code: string; field: string[]; message: string; retryAfterSeconds: number | null }[];
  };
}

const codeOf = (result: Awaited<ReturnType<typeof login>>) => result.userErrors[0]?.code ?? 'OK';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function register(email: string) {
  const res = await gql(
    replicas[0]!.graphqlUrl,
    `mutation ($input: RegisterInput!) { register(input: $input) { accessToken userErrors { code } } }`,
    { input: { email, password: PASSWORD, name: 'Limited' } },
  );
  expect(res.data.register.accessToken).toEqual(expect.any(String));
}

describe('login attempts per account, shared by every replica', () => {
  it('refuse after the limit on either replica, with a code and a retry-after, even for the right password', async () => {
    const email = 'limited@example.test';
    await register(email);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push(codeOf(await login(replicas[i % 2]!.graphqlUrl, email, `wrong-${i}`)));
    expect(codes).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS']);

    for (const replica of replicas) {
      const refused = await login(replica.graphqlUrl, email, PASSWORD);
      expect(refused.accessToken).toBeNull();
      expect(refused.userErrors).toEqual([
        {
          code: 'TOO_MANY_ATTEMPTS',
          field: ['input'],
          message: expect.stringMatching(/Too many login attempts; try again in [12] seconds/),
          retryAfterSeconds: expect.any(Number),
        },
      ]);
      expect(refused.userErrors[0]!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused.userErrors[0]!.retryAfterSeconds).toBeLessThanOrEqual(2);
    }
  });

  it('grow the wait after each further failure, and start afresh after a success', async () => {
    const email = 'backoff@example.test';
    await register(email);
    for (let i = 0; i < 3; i++) await login(replicas[0]!.graphqlUrl, email, `wrong-${i}`);
    await sleep(2100);
    // The wait (2 s) is over: one more failure doubles it.
    expect(codeOf(await login(replicas[1]!.graphqlUrl, email, 'wrong-again'))).toBe('INVALID_CREDENTIALS');
    const longer = await login(replicas[0]!.graphqlUrl, email, PASSWORD);
    expect(longer.userErrors[0]).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    expect(longer.userErrors[0]!.retryAfterSeconds).toBeGreaterThanOrEqual(3);
    expect(longer.userErrors[0]!.retryAfterSeconds).toBeLessThanOrEqual(4);
    await sleep(4100);
    const success = await login(replicas[1]!.graphqlUrl, email, PASSWORD);
    expect(success.accessToken).toEqual(expect.any(String));
    // Counting starts again from zero.
    expect(codeOf(await login(replicas[0]!.graphqlUrl, email, 'wrong'))).toBe('INVALID_CREDENTIALS');
  });

  it('treat an email without an account exactly like one with an account', async () => {
    const known = 'known@example.test';
    await register(known);
    const unknown = 'nobody-here@example.test';
    const sequence = async (email: string) => {
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const result = await login(replicas[i % 2]!.graphqlUrl, email, `wrong-${i}`);
        codes.push(codeOf(result), typeof result.userErrors[0]?.retryAfterSeconds);
      }
      return codes;
    };
    const knownCodes = await sequence(known);
    expect(knownCodes).toEqual(await sequence(unknown));
    expect(knownCodes).toContain('TOO_MANY_ATTEMPTS');
  });
});

describe('login attempts per client address', () => {
  it('refuse one address that tries many accounts, through the gateway and on the other replica, not others', async () => {
    const attacker = '198.51.100.7';
    for (let i = 0; i < 6; i++) {
      const result = await login(gateway.graphqlUrl, `victim-${i}@example.test`, 'guess', attacker);
      expect(codeOf(result)).toBe('INVALID_CREDENTIALS');
    }
    // The gateway forwarded the client's address, not its own: the limit
    // holds for that address on the replica the gateway does not use.
    const blocked = await login(replicas[1]!.graphqlUrl, 'fresh-account@example.test', 'guess', attacker);
    expect(blocked.userErrors[0]).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: expect.any(Number) });
    const viaGateway = await login(gateway.graphqlUrl, 'fresh-account@example.test', 'guess', attacker);
    expect(codeOf(viaGateway)).toBe('TOO_MANY_ATTEMPTS');
    // Another client through the same gateway is not affected.
    const other = await login(gateway.graphqlUrl, 'fresh-account@example.test', 'guess', '198.51.100.8');
    expect(codeOf(other)).toBe('INVALID_CREDENTIALS');
  });
});
