/**
 * Access-token verification benchmark (`pnpm bench:tokens`): CPU time per
 * verification with the verified-token cache and without it, A/B in one run
 * and interleaved in rounds so machine noise hits both alike.
 *
 * Every service verifies the bearer token of every request (the gateway, then
 * each subgraph the query plan calls), and a client sends many requests with
 * one token. The workload: BENCH_TOKENS distinct tokens, each presented
 * BENCH_REPEATS times, in both key modes: static keys (JWT_PUBLIC_KEYS) and a
 * remote JWKS served over HTTP (JWKS_URL, after the first fetch).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  createAuthenticator,
  defaultTokenSettings,
  generateSigningKey,
  remoteJwks,
  signAccessToken,
  staticKeys,
  toJwks,
  type KeyResolver,
} from '@shopgraph/lib';
import { fmt, log } from './support/timing.js';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 200);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const key = generateSigningKey('bench-key');
const tokens = Array.from(
  { length: TOKENS },
  () => signAccessToken({ customerId: randomUUID(), role: 'CUSTOMER' }, key, defaultTokenSettings, 3600).token,
);
const workload = Array.from({ length: REPEATS }, () => tokens).flat();

const server = http.createServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(toJwks([key])));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;

/** CPU milliseconds (user + system) per verification of the whole workload, on a fresh authenticator. */
async function cpuMsPerVerification(keys: KeyResolver, tokenCacheSize: number): Promise<number> {
  const auth = createAuthenticator({ settings: defaultTokenSettings, keys, tokenCacheSize });
  await auth.verify(tokens[0]!); // the first key fetch is not what is measured
  const start = process.cpuUsage();
  for (const token of workload) await auth.verify(token);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / workload.length;
}

const modes: [string, () => KeyResolver][] = [
  ['static keys', () => staticKeys([key])],
  ['remote JWKS', () => remoteJwks(jwksUrl)],
];

log(
  `token verification: ${TOKENS} tokens x ${REPEATS} requests each, ${ROUNDS} interleaved rounds (Node ${process.version})`,
);
log('');
log('mode          uncached CPU-ms/verify   cached CPU-ms/verify   uncached / cached');
for (const [name, keys] of modes) {
  const uncached: number[] = [];
  const cached: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    uncached.push(await cpuMsPerVerification(keys(), 0));
    cached.push(await cpuMsPerVerification(keys(), 10_000));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [u, c] = [median(uncached), median(cached)];
  log(`${name.padEnd(14)}${fmt(u, 4).padStart(22)}${fmt(c, 4).padStart(23)}${fmt(u / c, 1).padStart(20)}x`);
}
log('');
log(`(medians of ${ROUNDS} rounds; the cached run still verifies each token once: ${fmt(100 / REPEATS, 0)} % misses)`);
server.close();
process.exit(0);
