import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { testAuth } from './support/auth.js';
import { insertProducts } from './support/fixtures.js';
import { gql } from './support/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** Debian's chromium; CI installs it (see .ci/run). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const page = readFileSync(new URL('./support/storefront.html', import.meta.url), 'utf8');

/** Serves the storefront page on its own origin (127.0.0.1 and a free port). */
async function serveStorefront(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const auth = testAuth();
let stack: TestStack;
let browser: Browser;
let allowed: Awaited<ReturnType<typeof serveStorefront>>;
let other: Awaited<ReturnType<typeof serveStorefront>>;
let productNames: string[];

beforeAll(async () => {
  [allowed, other] = await Promise.all([serveStorefront(), serveStorefront()]);
  stack = await startTestStack({ auth, gateway: { cors: { origins: [allowed.origin], allowCredentials: false } } });
  productNames = (await insertProducts(stack.dbs.inventory, 3, 'Browser', 20)).map((p) => p.name);
  for (const email of ['shopper@example.test', 'blocked@example.test']) {
    const res = await gql(
      stack.supergraph.gateway.graphqlUrl,
      `mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }`,
      { input: { email, password: 'browser-password', name: 'Shopper' } },
    );
    expect(res.data.register.accessToken).toEqual(expect.any(String));
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await Promise.all([allowed?.close(), other?.close()]);
});

async function openStorefront(origin: string, email: string) {
  const tab = await browser.newPage();
  const query = new URLSearchParams({
    gateway: stack.supergraph.gateway.graphqlUrl.replace('localhost', '127.0.0.1'),
    email,
    password: 'browser-password',
  });
  await tab.goto(`${origin}/?${query}`);
  // The page sets #status to done or failed when it is finished.
  await tab.waitForSelector('#status:text-matches("^(done|failed)$")', { timeout: 20_000 });
  const text = async (id: string) => (await tab.textContent(`#${id}`)) ?? '';
  const shown = {
    status: await text('status'),
    products: await tab.$$eval('#products li', (items) => items.map((li) => li.textContent)),
    result: await text('result'),
    error: await text('error'),
  };
  await tab.close();
  return shown;
}

describe('a storefront in a real browser on another origin', () => {
  it('logs in, lists products and places an order through the gateway', async () => {
    const shown = await openStorefront(allowed.origin, 'shopper@example.test');
    expect(shown.error).toBe('');
    expect(shown.status).toBe('done');
    expect(shown.products).toHaveLength(3);
    for (const name of productNames) expect(shown.products.join('\n')).toContain(name);
    expect(shown.result).toMatch(/^Order [0-9a-f-]{36} PENDING: \d+\.\d{2} USD$/);
    const orderId = /^Order (\S+)/.exec(shown.result)![1]!;
    const order = await stack.dbs.order
      .selectFrom('orders.order')
      .select(['id', 'status'])
      .where('id', '=', orderId)
      .execute();
    expect(order).toEqual([{ id: orderId, status: 'PENDING' }]);
  });

  it('is blocked by the browser when served from an origin the gateway does not allow', async () => {
    const ordersBefore = await stack.dbs.order.selectFrom('orders.order').select('id').execute();
    const shown = await openStorefront(other.origin, 'blocked@example.test');
    expect(shown.status).toBe('failed');
    expect(shown.error).toBe('TypeError: Failed to fetch');
    expect(shown.result).toBe('');
    // The preflight failed, so the login itself was never sent.
    const accountKey = `account:${createHash('sha256').update('blocked@example.test').digest('hex')}`;
    const attempts = await stack.dbs.customer.selectFrom('customer.login_throttle').select('key').execute();
    expect(attempts.map((a) => a.key)).not.toContain(accountKey);
    expect(await stack.dbs.order.selectFrom('orders.order').select('id').execute()).toHaveLength(ordersBefore.length);
  });
});
