import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type { Request } from 'express';
import type { Role, Viewer } from './auth.js';
import { unauthenticatedRequest } from './errors.js';
import { isUuid } from './ids.js';
import { createLogger, serviceName } from './logger.js';
import { tokenRejections, type TokenRejectionReason } from './metrics.js';
import { currentRequest } from './request-context.js';

const log = createLogger('auth');

/** The only signature algorithm we issue or accept. Pinned on both sides. */
export const JWT_ALGORITHM = 'ES256';

/** Claims every access token must carry besides the signature. */
export interface TokenSettings {
  issuer: string;
  audience: string;
  /** Accepted clock skew between issuer and verifier, in seconds. */
  clockToleranceSeconds: number;
}

export const defaultTokenSettings: TokenSettings = {
  issuer: 'shopgraph-customer',
  audience: 'shopgraph',
  clockToleranceSeconds: 5,
};

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
}

/** Looks up the public key for a token's `kid`; undefined when unknown. */
export type KeyResolver = (kid: string) => Promise<KeyObject | undefined>;

/** A fixed set of public keys (several during a rotation), selected by `kid`. */
export function staticKeys(keys: readonly VerificationKey[]): KeyResolver {
  const byKid = new Map(keys.map((k) => [k.kid, k.publicKey]));
  return async (kid) => byKid.get(kid);
}

/**
 * Public keys from a JWKS document (the customer subgraph's
 * `/.well-known/jwks.json`), cached; an unknown `kid` triggers at most one
 * refetch per `minRefreshMs`, so forged kids cannot hammer the issuer.
 */
export function remoteJwks(url: string, minRefreshMs = 30_000): KeyResolver {
  let keys = new Map<string, KeyObject>();
  let attemptedAt = 0;
  let inflight: Promise<void> | undefined;
  const refresh = () =>
    (inflight ??= (async () => {
      attemptedAt = Date.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        if (!res.ok) throw new Error(`JWKS fetch failed with HTTP ${res.status}`);
        keys = parseJwks(await res.json());
      } catch (error) {
        log.warn({ err: error, url }, 'could not refresh JWKS');
      } finally {
        inflight = undefined;
      }
    })());
  return async (kid) => {
    // Until the first keys arrive (the issuer may start after us) retry every
    // second; after that at most every `minRefreshMs`.
    const interval = keys.size === 0 ? 1000 : minRefreshMs;
    if (!keys.has(kid) && Date.now() - attemptedAt >= interval) await refresh();
    return keys.get(kid);
  };
}

/** Parses a JWKS document into public keys by kid, skipping entries that are not EC P-256 signing keys. */
export function parseJwks(document: unknown): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const list = (document as { keys?: unknown })?.keys;
  if (!Array.isArray(list)) return keys;
  for (const jwk of list as (JsonWebKey & { kid?: string; use?: string })[]) {
    if (!jwk.kid || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || (jwk.use && jwk.use !== 'sig')) continue;
    const { kty, crv, x, y } = jwk;
    keys.set(jwk.kid, createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }));
  }
  return keys;
}

/** The JWKS document for a set of public keys. */
export function toJwks(keys: readonly VerificationKey[]): { keys: JsonWebKey[] } {
  return {
    keys: keys.map(({ kid, publicKey }) => {
      const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
      return { kty, crv, x, y, kid, use: 'sig', alg: JWT_ALGORITHM };
    }),
  };
}

/** Signs a short-lived access token for a customer. */
export function signAccessToken(
  subject: { customerId: string; role: Role },
  key: SigningKey,
  settings: TokenSettings,
  ttlSeconds: number,
): { token: string; expiresAt: Date } {
  const now = Math.floor(Date.now() / 1000);
  const token = jwt.sign({ role: subject.role }, key.privateKey, {
    algorithm: JWT_ALGORITHM,
    keyid: key.kid,
    subject: subject.customerId,
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: ttlSeconds,
  });
  return { token, expiresAt: new Date((now + ttlSeconds) * 1000) };
}

/** Why a presented token was refused (logged and counted; the client only sees UNAUTHENTICATED). */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
  constructor(
    message: string,
    /** The bounded reason `shopgraph_auth_token_rejections_total` counts it under. */
    readonly reason: TokenRejectionReason,
  ) {
    super(message);
  }
}

/** The rejection reason of a jsonwebtoken verification error. */
function verifyFailureReason(error: unknown): TokenRejectionReason {
  if (!(error instanceof Error)) return 'invalid';
  if (error.name === 'TokenExpiredError') return 'expired';
  if (/signature/i.test(error.message)) return 'invalid_signature';
  if (/audience|issuer|subject|not active|jwt id/i.test(error.message)) return 'claims';
  return 'invalid';
}

/**
 * Verifies an access token: ES256 only (so `alg: none` and HMAC-with-public-key
 * confusion fail), a known `kid`, the issuer, the audience and expiry with a
 * small clock tolerance, and a well-formed subject and role.
 */
export async function verifyAccessToken(token: string, keys: KeyResolver, settings: TokenSettings): Promise<Viewer> {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new TokenRejected('not a JWT', 'malformed');
  if (decoded.header.alg !== JWT_ALGORITHM)
    throw new TokenRejected(`algorithm ${decoded.header.alg} not accepted`, 'algorithm');
  const kid = decoded.header.kid;
  if (!kid) throw new TokenRejected('no kid', 'unknown_kid');
  const key = await keys(kid);
  if (!key) throw new TokenRejected(`unknown kid ${kid}`, 'unknown_kid');
  let payload: jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key, {
      algorithms: [JWT_ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: settings.clockToleranceSeconds,
      complete: false,
    }) as jwt.JwtPayload;
  } catch (error) {
    throw new TokenRejected(error instanceof Error ? error.message : 'invalid token', verifyFailureReason(error));
  }
  const { sub, role, exp, iat } = payload;
  if (!isUuid(sub) || (role !== 'CUSTOMER' && role !== 'ADMIN') || typeof exp !== 'number' || typeof iat !== 'number') {
    throw new TokenRejected('claims missing or malformed', 'claims');
  }
  return { customerId: sub.toLowerCase(), role };
}

/** Verifies requests' bearer tokens for one service. */
export interface Authenticator {
  keys: KeyResolver;
  settings: TokenSettings;
}

/**
 * The caller of an HTTP request: null without an Authorization header,
 * the verified viewer with a valid bearer token, and UNAUTHENTICATED (HTTP 401)
 * for anything else. Identity is never taken from any other header.
 */
export async function authenticate(req: Pick<Request, 'headers'>, auth: Authenticator): Promise<Viewer | null> {
  const header = req.headers.authorization;
  if (header === undefined || header === '') return null;
  const service = currentRequest()?.service ?? serviceName();
  const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
  if (!match?.[1]) {
    tokenRejections.inc({ service, reason: 'malformed_header' });
    throw unauthenticatedRequest('Authorization header must be "Bearer <token>"');
  }
  try {
    return await verifyAccessToken(match[1], auth.keys, auth.settings);
  } catch (error) {
    if (error instanceof TokenRejected) {
      tokenRejections.inc({ service, reason: error.reason });
      log.info({ reason: error.reason, detail: error.message }, 'token rejected');
      throw unauthenticatedRequest('Invalid or expired token');
    }
    throw error;
  }
}

/** A fresh EC P-256 key pair with a random kid. */
export function generateSigningKey(kid = `k-${Date.now().toString(36)}`): SigningKey & VerificationKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, publicKey };
}

/** Reads a PEM private key (PKCS#8 or SEC1), refusing anything but EC P-256. */
export function signingKeyFromPem(kid: string, pem: string): SigningKey & VerificationKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('JWT_PRIVATE_KEY must be an EC P-256 private key (ES256)');
  }
  return { kid, privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * The embedded default's signing key: generated once and kept under
 * `<dataDir>/jwt/` so tokens survive restarts.
 */
export function loadOrCreateLocalSigningKey(dataDir: string): SigningKey & VerificationKey {
  const dir = join(dataDir, 'jwt');
  const file = join(dir, 'signing-key.json');
  if (existsSync(file)) {
    const { kid, pem } = JSON.parse(readFileSync(file, 'utf8')) as { kid: string; pem: string };
    return signingKeyFromPem(kid, pem);
  }
  const key = generateSigningKey();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  writeFileSync(file, JSON.stringify({ kid: key.kid, pem }), { mode: 0o600 });
  log.info({ kid: key.kid }, 'generated a local JWT signing key');
  return key;
}
