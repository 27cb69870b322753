import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  authenticate,
  createAuthenticator,
  defaultTokenSettings,
  generateSigningKey,
  remoteJwks,
  signAccessToken,
  toJwks,
  type RemoteJwksOptions,
  type SigningKey,
  type VerificationKey,
} from '@shopgraph/lib';
import { GraphQLError } from 'graphql';
import { randomUUID } from 'node:crypto';
import { TcpProxy } from './support/tcp-proxy.js';

// Verifiers in JWKS-URL mode against a real HTTP issuer the test controls:
// what keys it publishes, how slowly, and whether it answers at all.

type Key = SigningKey & VerificationKey;

class JwksServer {
  keys: Key[] = [];
  fetches = 0;
  delayMs = 0;
  private constructor(
    private readonly server: http.Server,
    private readonly proxy: TcpProxy,
    /** The JWKS URL, through a proxy the test can cut. */
    readonly url: string,
  ) {}

  /** The issuer becomes unreachable: connections are refused. */
  down = () => this.proxy.cut();
  up = () => this.proxy.restore();

  static async start(keys: Key[]): Promise<JwksServer> {
    const ref: { s?: JwksServer } = {};
    const server = http.createServer((_req, res) => {
      const self = ref.s!;
      self.fetches++;
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(toJwks(self.keys)));
      }, self.delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const proxy = await TcpProxy.start((server.address() as AddressInfo).port);
    ref.s = new JwksServer(server, proxy, `http://127.0.0.1:${proxy.port}/.well-known/jwks.json`);
    ref.s.keys = keys;
    return ref.s;
  }

  async stop(): Promise<void> {
    await this.proxy.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const servers: JwksServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
});

async function issuer(keys: Key[]): Promise<JwksServer> {
  const server = await JwksServer.start(keys);
  servers.push(server);
  return server;
}

const customerId = '7d3f8a52-4f0e-4d7c-9a35-1f1d2b3c4d5e';
const tokenWith = (key: Key, sub = customerId) =>
  signAccessToken({ customerId: sub, role: 'CUSTOMER' }, key, defaultTokenSettings, 300).token;
const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function verifier(url: string, options: Partial<RemoteJwksOptions> = {}) {
  return createAuthenticator({ settings: defaultTokenSettings, keys: remoteJwks(url, options) });
}

/** What a request with this token gets: the viewer, or the error code and HTTP status. */
async function outcome(auth: ReturnType<typeof verifier>, token: string) {
  try {
    return { ok: (await authenticate(request(token), auth))?.customerId };
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { code: error.extensions.code, status: (error.extensions.http as { status: number }).status };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('JWKS verification', () => {
  it('accepts 50 concurrent valid tokens on a fresh verifier while one slow JWKS fetch runs', async () => {
    const key = generateSigningKey('k-fresh');
    const server = await issuer([key]);
    server.delayMs = 300;
    const auth = verifier(server.url);
    const subjects = Array.from({ length: 50 }, () => randomUUID());
    const results = await Promise.all(subjects.map((sub) => outcome(auth, tokenWith(key, sub))));
    expect(results).toEqual(subjects.map((sub) => ({ ok: sub })));
    expect(server.fetches).toBe(1);
  });

  it('stops accepting a key within the refresh bound once the JWKS drops it, cached tokens included', async () => {
    const [current, retired] = [generateSigningKey('k-current'), generateSigningKey('k-retired')];
    const server = await issuer([current, retired]);
    const REFRESH_MS = 300;
    const auth = verifier(server.url, { refreshMs: REFRESH_MS, cooldownMs: 60_000 });
    const oldToken = tokenWith(retired);
    // Verified, and now in the token cache.
    expect(await outcome(auth, oldToken)).toEqual({ ok: customerId });
    expect(await outcome(auth, oldToken)).toEqual({ ok: customerId });

    server.keys = [current];
    const removedAt = Date.now();
    await sleep(REFRESH_MS + 300);
    expect(await outcome(auth, oldToken)).toEqual({ code: 'UNAUTHENTICATED', status: 401 });
    expect(await outcome(auth, tokenWith(current))).toEqual({ ok: customerId });
    expect(Date.now() - removedAt).toBeLessThan(REFRESH_MS + 1000);
  });

  it('gives a temporary error, not 401, for an unknown kid while the issuer is unreachable, and keeps known keys', async () => {
    const key = generateSigningKey('k-known');
    const server = await issuer([key]);
    const auth = verifier(server.url, { cooldownMs: 0, timeoutMs: 500 });
    expect(await outcome(auth, tokenWith(key))).toEqual({ ok: customerId });

    await server.down();
    // A token signed with a key rotated in while the issuer is down.
    expect(await outcome(auth, tokenWith(generateSigningKey('k-new')))).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
    });
    // Keys fetched before the outage keep working through it (up to maxStaleMs).
    expect(await outcome(auth, tokenWith(key))).toEqual({ ok: customerId });
  });

  it('gives a temporary error when the issuer is down from the start, and verifies once it is up', async () => {
    const key = generateSigningKey('k-late');
    const server = await issuer([key]);
    await server.down();
    const auth = verifier(server.url, { cooldownMs: 0, timeoutMs: 500 });
    expect(await outcome(auth, tokenWith(key))).toEqual({ code: 'SERVICE_UNAVAILABLE', status: 503 });

    await server.up();
    expect(await outcome(auth, tokenWith(key))).toEqual({ ok: customerId });
  });

  it('refuses tokens after maxStaleMs without a successful refresh', async () => {
    const key = generateSigningKey('k-stale');
    const server = await issuer([key]);
    const auth = verifier(server.url, { refreshMs: 100, cooldownMs: 100, timeoutMs: 200, maxStaleMs: 600 });
    expect(await outcome(auth, tokenWith(key))).toEqual({ ok: customerId });
    await server.down();
    await sleep(900);
    expect(await outcome(auth, tokenWith(key))).toEqual({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });
});
