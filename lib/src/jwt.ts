import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  type webcrypto,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type { Request } from 'express';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwksCache,
  jwtVerify,
  type JWKSCacheInput,
  type JWTPayload,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { Role, Viewer } from './auth.js';
import { DependencyUnavailableError, serviceUnavailableRequest, unauthenticatedRequest } from './errors.js';
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

/** The protected header fields a key is chosen by. */
export interface KeyHeader {
  kid: string;
  alg: string;
}

/**
 * Finds the public key for a token's header. Throws {@link TokenRejected}
 * when no key has that `kid`, and {@link KeysUnavailableError} when the key
 * set cannot be had right now (the issuer's JWKS is unreachable): then the
 * token may well be valid, and the request gets a temporary error.
 */
export type KeyResolver = (header: KeyHeader) => Promise<KeyObject | webcrypto.CryptoKey>;

/** The token issuer's key set cannot be fetched: a temporary failure (SERVICE_UNAVAILABLE, HTTP 503), not a bad token. */
export class KeysUnavailableError extends DependencyUnavailableError {
  override name = 'KeysUnavailableError';
}

/** A fixed set of public keys (several during a rotation), selected by `kid`. */
export function staticKeys(keys: readonly VerificationKey[]): KeyResolver {
  const byKid = new Map(keys.map((k) => [k.kid, k.publicKey]));
  return async ({ kid }) => {
    const key = byKid.get(kid);
    if (!key) throw new TokenRejected(`unknown kid ${kid}`, 'unknown_kid');
    return key;
  };
}

/** How a verifier keeps the issuer's JWKS (README: Configuration). */
export interface RemoteJwksOptions {
  /**
   * How often the key set is fetched again in the background. A key removed
   * from the JWKS stops verifying at most this long (plus `timeoutMs`) later.
   */
  refreshMs: number;
  /**
   * A token with an unknown `kid` triggers a fetch at most this often, so
   * made-up kids cannot hammer the issuer; within it such a token is refused.
   */
  cooldownMs: number;
  /** One fetch's time limit. */
  timeoutMs: number;
  /**
   * While the issuer cannot be reached, the last fetched keys keep verifying
   * for this long after the last successful fetch; then requests with tokens
   * get SERVICE_UNAVAILABLE until a fetch succeeds.
   */
  maxStaleMs: number;
}

export const defaultRemoteJwksOptions: RemoteJwksOptions = {
  refreshMs: 300_000,
  cooldownMs: 10_000,
  timeoutMs: 5_000,
  maxStaleMs: 3_600_000,
};

/**
 * Public keys from the issuer's JWKS document (the customer subgraph's
 * `/.well-known/jwks.json`), kept by jose's remote key set: concurrent
 * requests share one fetch, an unknown `kid` refetches at most once per
 * cooldown. On top of it, a background refresh every `refreshMs` replaces the
 * set (so removed keys stop verifying) without making a request wait for it,
 * and keeps the last good set through an issuer outage up to `maxStaleMs`.
 * Fetch failures surface as {@link KeysUnavailableError}.
 */
export function remoteJwks(url: string, options: Partial<RemoteJwksOptions> = {}): KeyResolver {
  const { refreshMs, cooldownMs, timeoutMs, maxStaleMs } = { ...defaultRemoteJwksOptions, ...options };
  // jose records the time and content of every successful fetch here.
  const cache: JWKSCacheInput = {};
  const remote = createRemoteJWKSet(new URL(url), {
    // Requests never wait for a periodic refresh: the timer below does it.
    cacheMaxAge: Number.POSITIVE_INFINITY,
    cooldownDuration: cooldownMs,
    timeoutDuration: timeoutMs,
    [jwksCache]: cache,
  });
  const fetchedAt = () => ('uat' in cache ? cache.uat : undefined);
  const refresh = () => {
    remote.reload().then(
      () => schedule(refreshMs),
      (error: unknown) => {
        log.warn({ err: error, url }, 'could not refresh the JWKS; keeping the last keys');
        schedule(Math.min(refreshMs, cooldownMs));
      },
    );
  };
  const schedule = (ms: number) => setTimeout(refresh, ms).unref();
  // Fetch at start-up, so the first requests rarely wait for it.
  refresh();

  return async (header) => {
    const at = fetchedAt();
    if (at !== undefined && Date.now() - at > maxStaleMs) {
      throw new KeysUnavailableError(`the JWKS could not be refreshed for ${Date.now() - at} ms`);
    }
    try {
      return await remote({ ...header });
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey)
        throw new TokenRejected(`unknown kid ${header.kid}`, 'unknown_kid');
      if (error instanceof errors.JWKSMultipleMatchingKeys)
        throw new TokenRejected(`ambiguous kid ${header.kid}`, 'unknown_kid');
      log.warn({ err: error, url }, 'JWKS unavailable');
      throw new KeysUnavailableError("the token issuer's keys cannot be fetched", { cause: error });
    }
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

/** The rejection reason of a jose verification error. */
function verifyFailureReason(error: unknown): TokenRejectionReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'invalid_signature';
  if (error instanceof errors.JWTClaimValidationFailed) return 'claims';
  return 'invalid';
}

/**
 * Verifies an access token: ES256 only (so `alg: none` and HMAC-with-public-key
 * confusion fail), a known `kid`, the issuer, the audience and expiry with a
 * small clock tolerance, and a well-formed subject and role.
 */
export async function verifyAccessToken(token: string, keys: KeyResolver, settings: TokenSettings): Promise<Viewer> {
  return (await verifyToken(token, keys, settings)).viewer;
}

interface VerifiedToken {
  viewer: Viewer;
  header: KeyHeader;
  /** The key that verified the signature: a cached token is good only while its kid still resolves to it. */
  key: KeyObject | webcrypto.CryptoKey;
  /** Expiry, epoch seconds. */
  exp: number;
}

async function verifyToken(token: string, keys: KeyResolver, settings: TokenSettings): Promise<VerifiedToken> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new TokenRejected('not a JWT', 'malformed');
  }
  if (header.alg !== JWT_ALGORITHM)
    throw new TokenRejected(`algorithm ${String(header.alg)} not accepted`, 'algorithm');
  const kid = header.kid;
  if (!kid) throw new TokenRejected('no kid', 'unknown_kid');
  const keyHeader = { kid, alg: header.alg };
  const key = await keys(keyHeader);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [JWT_ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: settings.clockToleranceSeconds,
      requiredClaims: ['exp', 'iat', 'sub'],
    }));
  } catch (error) {
    throw new TokenRejected(error instanceof Error ? error.message : 'invalid token', verifyFailureReason(error));
  }
  const { sub, role, exp } = payload;
  if (!isUuid(sub) || (role !== 'CUSTOMER' && role !== 'ADMIN') || typeof exp !== 'number') {
    throw new TokenRejected('claims missing or malformed', 'claims');
  }
  return { viewer: { customerId: sub.toLowerCase(), role }, header: keyHeader, key, exp };
}

/** Verifies requests' bearer tokens for one service. */
export interface Authenticator {
  settings: TokenSettings;
  /** The caller a token stands for; throws {@link TokenRejected} or {@link KeysUnavailableError}. */
  verify(token: string): Promise<Viewer>;
}

export interface AuthenticatorOptions {
  settings: TokenSettings;
  keys: KeyResolver;
  /** Verified tokens remembered until they expire, least recently used dropped first; 0 turns the cache off. */
  tokenCacheSize?: number | undefined;
}

export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

/**
 * A token verifier with a cache of verified tokens, so a client's repeated
 * requests (and the gateway's and each subgraph's check of the same request)
 * cost a map lookup instead of an ECDSA verification. A cached token is
 * accepted only until its `exp`, and only while its `kid` still resolves to
 * the very key that verified it: when a refresh drops or replaces the key,
 * its tokens are verified again (and refused), so the cache never extends a
 * removed key's life beyond the JWKS refresh.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { settings, keys } = options;
  const size = options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE;
  const cache = size > 0 ? new LRUCache<string, VerifiedToken>({ max: size }) : undefined;
  return {
    settings,
    async verify(token) {
      const hit = cache?.get(token);
      if (hit) {
        if (hit.exp * 1000 > Date.now() && (await keys(hit.header).catch(() => undefined)) === hit.key) {
          return hit.viewer;
        }
        cache?.delete(token);
      }
      const verified = await verifyToken(token, keys, settings);
      const ttl = verified.exp * 1000 - Date.now();
      if (cache && ttl > 0) cache.set(token, verified, { ttl });
      return verified.viewer;
    },
  };
}

/**
 * The caller of an HTTP request: null without an Authorization header, the
 * verified viewer with a valid bearer token, UNAUTHENTICATED (HTTP 401) for
 * any other token, and SERVICE_UNAVAILABLE (HTTP 503) when the keys to check
 * it cannot be fetched. Identity is never taken from any other header.
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
    return await auth.verify(match[1]);
  } catch (error) {
    if (error instanceof TokenRejected) {
      tokenRejections.inc({ service, reason: error.reason });
      log.info({ reason: error.reason, detail: error.message }, 'token rejected');
      throw unauthenticatedRequest('Invalid or expired token');
    }
    if (error instanceof KeysUnavailableError) throw serviceUnavailableRequest();
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
