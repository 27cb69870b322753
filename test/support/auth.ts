import { generateSigningKey, signAccessToken, defaultTokenSettings, type Role } from '@shopgraph/lib';
import type { SupergraphAuth } from '../../scripts/supergraph.js';

/**
 * Argon2id cost for tests only: hashing at the OWASP cost for every test
 * account would make the suite slow without testing anything more.
 */
export const TEST_PASSWORD_COST = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

/** Auth settings for a test supergraph: a fresh signing key and a cheap password hash. */
export function testAuth(): SupergraphAuth & { signingKey: ReturnType<typeof generateSigningKey> } {
  return { signingKey: generateSigningKey('test-key-1'), passwordCost: TEST_PASSWORD_COST };
}

/** An access token for any customer id and role, signed with the supergraph's key. */
export function tokenFor(auth: SupergraphAuth, viewer: { customerId: string; role: Role }, ttlSeconds = 300): string {
  return signAccessToken(viewer, auth.signingKey, auth.tokenSettings ?? defaultTokenSettings, ttlSeconds).token;
}

/** Request headers carrying a token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
