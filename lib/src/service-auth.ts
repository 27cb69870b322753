import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { isSubgraphName, type SubgraphName } from './subgraph-names.js';

/*
 * Service-to-service authentication (docs/adr/0015): short-lived HS256 JWTs
 * under a secret the services share. A customer's access token (ES256, other
 * issuer and audience) can never pass: only HS256 is accepted, with this
 * issuer and the called service as audience.
 */

/** The services that call each other's internal APIs: the subgraphs. */
export type ServiceName = SubgraphName;

/** Issuer of every service token; never used for customer tokens. */
export const SERVICE_TOKEN_ISSUER = 'shopgraph-service';
const ALGORITHM = 'HS256';
const TOKEN_TTL_SECONDS = 60;
/** A cached token is reused for this long, so it always has half its life left when sent. */
const TOKEN_REUSE_MS = 30_000;
export const MIN_SERVICE_SECRET_LENGTH = 32;

/** This service's identity and the shared secrets: the first signs, all verify (rotation). */
export interface ServiceAuth {
  service: ServiceName;
  secrets: readonly string[];
}

/** SERVICE_AUTH_SECRET: one or more comma-separated secrets of at least 32 characters. */
export const serviceAuthEnvShape = {
  SERVICE_AUTH_SECRET: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()))
    .refine((list) => list.length > 0 && list.every((s) => s.length >= MIN_SERVICE_SECRET_LENGTH), {
      message: `must be one or more comma-separated secrets of at least ${MIN_SERVICE_SECRET_LENGTH} characters`,
    }),
};

/** Why a service token was refused (logged; the caller only sees 401). */
export class ServiceTokenRejected extends Error {
  override name = 'ServiceTokenRejected';
}

interface SecretKey {
  kid: string;
  key: KeyObject;
}

/** A key id that names a secret without revealing it, so a verifier picks the right one during a rotation. */
function secretKey(secret: string): SecretKey {
  const kid = createHash('sha256').update(secret).digest('base64url').slice(0, 12);
  return { kid, key: createSecretKey(Buffer.from(secret, 'utf8')) };
}

/**
 * Mints the tokens this service sends to `audience`, cached for half their
 * life. Resolves to the bearer token.
 */
export function serviceTokenSigner(auth: ServiceAuth, audience: ServiceName): () => Promise<string> {
  const signing = secretKey(auth.secrets[0] ?? '');
  if (!auth.secrets[0]) throw new Error('service auth needs at least one secret');
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.token;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, kid: signing.kid, typ: 'JWT' })
      .setIssuer(SERVICE_TOKEN_ISSUER)
      .setSubject(auth.service)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
      .sign(signing.key);
    cached = { token, until: Date.now() + TOKEN_REUSE_MS };
    return token;
  };
}

/**
 * Verifies a service token sent to this service: HS256 under one of the
 * secrets, our issuer, this service as audience, not expired (5 s of clock
 * tolerance). Resolves to the calling service's name; which callers a route
 * accepts is the route's decision.
 */
export function serviceTokenVerifier(auth: ServiceAuth): (token: string) => Promise<ServiceName> {
  const keys = new Map(auth.secrets.map((s) => secretKey(s)).map((k) => [k.kid, k.key]));
  return async (token) => {
    let subject: string | undefined;
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid ? keys.get(header.kid) : undefined;
          if (!key) throw new ServiceTokenRejected(`unknown kid ${String(header.kid)}`);
          return key;
        },
        { algorithms: [ALGORITHM], issuer: SERVICE_TOKEN_ISSUER, audience: auth.service, clockTolerance: 5 },
      );
      subject = payload.sub;
    } catch (error) {
      if (error instanceof ServiceTokenRejected) throw error;
      if (error instanceof joseErrors.JOSEError) throw new ServiceTokenRejected(error.code);
      throw new ServiceTokenRejected(error instanceof Error ? error.message : 'invalid token');
    }
    if (!isSubgraphName(subject ?? '')) throw new ServiceTokenRejected(`unknown caller ${String(subject)}`);
    return subject as ServiceName;
  };
}
