import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { internalApi, ServiceClient, type ServiceAuth } from '@shopgraph/lib';
import { DefaultShippingAddressResult, defaultShippingAddressPath } from '@shopgraph/schema';
import express from 'express';
import type { Kysely } from 'kysely';
import { createTestDatabases, type TestDatabases } from '../../../test/support/database.js';
import { closeFixtureDbs, insertCustomers, openFixtureDbs, type FixtureDbs } from '../../../test/support/fixtures.js';
import { addressRoutes } from '../src/customer/address.routes.js';
import { addAddress } from '../src/customer/address.service.js';
import type { CustomerDatabase } from '../src/database.js';

// The customer service's internal address API on a real HTTP server over its own database, no gateway.

const secret = randomBytes(32).toString('hex');
const as = (service: ServiceAuth['service']): ServiceAuth => ({ service, secrets: [secret] });
let databases: TestDatabases;
let dbs: FixtureDbs;
let db: Kysely<CustomerDatabase>;
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  databases = await createTestDatabases();
  dbs = openFixtureDbs(databases.urls);
  db = dbs.customer;
  const app = express();
  app.use('/internal/v1', internalApi({ auth: as('customer'), callers: ['order'], routes: addressRoutes(db) }));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await closeFixtureDbs(dbs);
  await databases?.drop();
});

const ask = (customerId: string, caller: ServiceAuth['service'] = 'order') =>
  new ServiceClient({ baseUrl, service: 'customer', auth: as(caller), timeoutMs: 2000 }).call(
    'GET',
    defaultShippingAddressPath(customerId),
    undefined,
    DefaultShippingAddressResult,
  );

it('answers the default shipping address as orders snapshot it, or null', async () => {
  const [customer] = await insertCustomers(db, 1, 'addr');
  const viewer = { customerId: customer!.id, role: 'CUSTOMER' as const };
  expect(await ask(customer!.id)).toEqual({ ok: true, address: null });
  await addAddress(db, viewer, {
    name: 'Home',
    line1: '1 High St',
    city: 'Bath',
    postalCode: 'BA1',
    countryCode: 'gb',
  });
  await addAddress(db, viewer, {
    name: 'Work',
    line1: '2 Low Rd',
    city: 'York',
    postalCode: 'YO1',
    countryCode: 'GB',
    makeDefaultShipping: true,
  });
  expect(await ask(customer!.id)).toEqual({
    ok: true,
    address: {
      name: 'Work',
      line1: '2 Low Rd',
      line2: null,
      city: 'York',
      region: null,
      postalCode: 'YO1',
      countryCode: 'GB',
    },
  });
  expect(await ask(randomUUID())).toEqual({ ok: true, address: null });
});

it('serves the order service only', async () => {
  await expect(ask(randomUUID(), 'inventory')).rejects.toMatchObject({ status: 403 });
  const anonymous = await fetch(`${baseUrl}${defaultShippingAddressPath(randomUUID())}`);
  expect(anonymous.status).toBe(401);
  await expect(ask('not-an-id')).rejects.toMatchObject({ status: 400 });
});
