import { createSecretKey, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { SignJWT } from 'jose';
import { z } from 'zod';
import {
  internalApi,
  internalRoute,
  callerOf,
  ServiceCallError,
  ServiceClient,
  ServiceUnavailableError,
} from './internal-api.js';
import { defaultTokenSettings, generateSigningKey, signAccessToken } from './jwt.js';
import { refuse, succeed } from './result.js';
import { SERVICE_TOKEN_ISSUER, serviceTokenSigner, type ServiceAuth } from './service-auth.js';

// The internal API seam on real HTTP servers: who gets in, what comes back.
const secret = randomBytes(32).toString('base64url');
const inventory: ServiceAuth = { service: 'inventory', secrets: [secret] };
const order: ServiceAuth = { service: 'order', secrets: [secret] };
const customer: ServiceAuth = { service: 'customer', secrets: [secret] };

let server: http.Server;
let baseUrl: string;

const Echo = z.object({ word: z.string().min(1).max(10) });

beforeAll(async () => {
  const app = express();
  app.use(
    '/internal/v1',
    internalApi({
      auth: inventory,
      callers: ['order'],
      routes: (router) => {
        router.post(
          '/echo',
          internalRoute(Echo, async ({ word }, res) =>
            word === 'no'
              ? refuse({ field: ['word'], code: 'REFUSED', message: 'said no' })
              : succeed({ word, caller: callerOf(res) }),
          ),
        );
        router.post('/boom', () => {
          throw new Error('secret detail');
        });
        router.post('/unavailable', (_req, res) => {
          res.status(503).json({ error: { code: 'UNAVAILABLE' } });
        });
      },
    }),
  );
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, body: unknown, authorization?: string) =>
  fetch(`${baseUrl}/internal/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const tokenAs = async (auth: ServiceAuth, audience: 'inventory' | 'order' = 'inventory') =>
  `Bearer ${await serviceTokenSigner(auth, audience)()}`;

describe('who may call an internal API', () => {
  it('lets an allowed service in and tells the handler who called', async () => {
    const res = await post('/echo', { word: 'hi' }, await tokenAs(order));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, word: 'hi', caller: 'order' });
  });

  it('refuses a customer access token, however valid', async () => {
    const key = generateSigningKey();
    const { token } = signAccessToken(
      { customerId: '6f1c2f1e-4a57-4a8e-9d7a-0b1b6a0c9a11', role: 'ADMIN' },
      key,
      defaultTokenSettings,
      300,
    );
    const res = await post('/echo', { word: 'hi' }, `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'Invalid or expired service token' },
    });
  });

  it('refuses no token, another secret, another audience, an expired token and a forged issuer', async () => {
    const key = createSecretKey(Buffer.from(secret));
    const forged = (claims: { iss?: string; aud?: string; exp?: number }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(claims.iss ?? SERVICE_TOKEN_ISSUER)
        .setSubject('order')
        .setAudience(claims.aud ?? 'inventory')
        .setIssuedAt()
        .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 60)
        .sign(key);
    const other: ServiceAuth = { service: 'order', secrets: [randomBytes(32).toString('hex')] };
    const attempts = [
      undefined,
      'Bearer not-a-token',
      await tokenAs(other),
      await tokenAs(order, 'order'),
      `Bearer ${await forged({ exp: Math.floor(Date.now() / 1000) - 60 })}`,
      `Bearer ${await forged({ iss: defaultTokenSettings.issuer })}`,
    ];
    for (const authorization of attempts) {
      const res = await post('/echo', { word: 'hi' }, authorization);
      expect(res.status).toBe(401);
    }
  });

  it('refuses a valid token of a service the API does not serve with 403', async () => {
    const res = await post('/echo', { word: 'hi' }, await tokenAs(customer));
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('FORBIDDEN');
  });
});

describe('what an internal API answers', () => {
  it('answers a refusal with 409 and userErrors, bad input with 400 naming the field', async () => {
    const auth = await tokenAs(order);
    const refused = await post('/echo', { word: 'no' }, auth);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      ok: false,
      userErrors: [{ field: ['word'], code: 'REFUSED', message: 'said no' }],
    });
    const invalid = await post('/echo', { word: 'much too long a word' }, auth);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).error).toMatchObject({ code: 'BAD_REQUEST', field: 'word' });
    const notJson = await post('/echo', '{"word": ', auth);
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).error.code).toBe('BAD_REQUEST');
  });

  it('hides a failure behind 500 and answers an unknown path with 404', async () => {
    const auth = await tokenAs(order);
    const boom = await post('/boom', {}, auth);
    expect(boom.status).toBe(500);
    expect(JSON.stringify(await boom.json())).not.toContain('secret detail');
    expect((await post('/nowhere', {}, auth)).status).toBe(404);
  });
});

describe('ServiceClient', () => {
  const Answer = z.union([
    z.object({ ok: z.literal(true), word: z.string(), caller: z.string() }),
    z.object({ ok: z.literal(false), userErrors: z.array(z.object({ code: z.string() })) }),
  ]);
  const client = (url = baseUrl, timeoutMs = 2000) =>
    new ServiceClient({ baseUrl: url, service: 'inventory', auth: order, timeoutMs });

  it('returns results and refusals alike', async () => {
    expect(await client().call('POST', '/internal/v1/echo', { word: 'hi' }, Answer)).toEqual({
      ok: true,
      word: 'hi',
      caller: 'order',
    });
    expect(await client().call('POST', '/internal/v1/echo', { word: 'no' }, Answer)).toMatchObject({ ok: false });
  });

  it('reports a 5xx and a refused connection as unavailable, a 400 as a call error', async () => {
    await expect(client().call('POST', '/internal/v1/unavailable', {}, Answer)).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    await expect(client().call('POST', '/internal/v1/echo', { word: '' }, Answer)).rejects.toBeInstanceOf(
      ServiceCallError,
    );
    // A port nobody listens on: take one and close it.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const started = Date.now();
    await expect(
      client(`http://127.0.0.1:${closedPort}`).call('POST', '/internal/v1/echo', { word: 'hi' }, Answer),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives up on a service that accepts but never answers within its deadline', async () => {
    const sockets = new Set<net.Socket>();
    const blackHole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const error = await client(`http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`, 300)
        .call('POST', '/internal/v1/echo', { word: 'hi' }, Answer)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as Error).message).toMatch(/no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });
});
