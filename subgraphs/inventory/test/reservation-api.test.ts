import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { serviceTokenSigner } from '@shopgraph/lib';
import { reservationPath, RESERVATIONS_PATH } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { startInventoryForOrders } from '../../../test/support/events.js';
import type { InventoryDatabase } from '../src/database.js';
import { makeProduct, openInventoryDb, stockOf } from './support.js';

// The reservation API over real HTTP, as the order service calls it.

let database: TestDatabase;
let db: Kysely<InventoryDatabase>;
let service: Awaited<ReturnType<typeof startInventoryForOrders>>;
let token: () => Promise<string>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = openInventoryDb(database.url);
  service = await startInventoryForOrders(database.url);
  token = serviceTokenSigner({ service: 'order', secrets: service.secrets }, 'inventory');
});

afterAll(async () => {
  await service?.stop();
  await db?.destroy();
  await database?.drop();
});

const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
  const res = await fetch(`${service.inventory.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

it('reserves, reads, confirms and releases through HTTP, answering refusals with 409', async () => {
  const product = await makeProduct(db, { initialStock: 4, price: '2.50' });
  const orderId = randomUUID();
  const lines = [{ productId: product.id, quantity: 3 }];

  const reserved = await call('POST', RESERVATIONS_PATH, { orderId, actor: 'buyer', lines });
  expect(reserved.status).toBe(200);
  expect(reserved.body).toMatchObject({
    ok: true,
    reservation: { orderId, status: 'RESERVED', lines: [{ productId: product.id, quantity: 3, unitPriceMinor: 250 }] },
  });
  expect((await call('GET', reservationPath(orderId))).body.reservation.status).toBe('RESERVED');

  const short = await call('POST', RESERVATIONS_PATH, { orderId: randomUUID(), actor: 'buyer', lines });
  expect(short).toEqual({
    status: 409,
    body: {
      ok: false,
      userErrors: [
        { field: ['lines', '0', 'quantity'], code: 'INSUFFICIENT_STOCK', message: 'Only 1 in stock', available: 1 },
      ],
    },
  });

  expect((await call('POST', reservationPath(orderId, 'confirm'), { actor: 'buyer' })).body.reservation.status).toBe(
    'CONFIRMED',
  );
  expect((await call('POST', reservationPath(orderId, 'release'), { actor: 'buyer' })).body.reservation.status).toBe(
    'RELEASED',
  );
  expect(await stockOf(db, product.id)).toBe(4);
  expect((await call('POST', reservationPath(randomUUID(), 'confirm'), { actor: 'x' })).body.userErrors[0].code).toBe(
    'RESERVATION_NOT_FOUND',
  );
});

it.each([
  ['no lines', { orderId: randomUUID(), actor: 'a', lines: [] }, 'lines'],
  [
    'an order id that is not an id',
    { orderId: 'nope', actor: 'a', lines: [{ productId: 'x', quantity: 1 }] },
    'orderId',
  ],
  ['a blank actor', { orderId: randomUUID(), actor: ' ', lines: [{ productId: 'x', quantity: 1 }] }, 'actor'],
  [
    'a NUL in the actor',
    { orderId: randomUUID(), actor: 'a\u0000b', lines: [{ productId: 'x', quantity: 1 }] },
    'actor',
  ],
])('refuses a reserve request with %s as 400 naming the field, changing nothing', async (_label, body, field) => {
  const res = await call('POST', RESERVATIONS_PATH, body);
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ code: 'BAD_REQUEST', field });
  const count = await db
    .selectFrom('inventory.reservation')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('actor', '=', 'a')
    .executeTakeFirstOrThrow();
  expect(Number(count.n)).toBe(0);
});
