/**
 * Prints a new ES256 signing key as environment variables for real mode:
 * JWT_PRIVATE_KEY and JWT_KEY_ID for the customer subgraph, and the public
 * JWKS (JWT_PUBLIC_KEYS) for verifiers that should not fetch JWKS_URL.
 *
 * Rotation: generate a new key, move the old public key into the customer
 * subgraph's JWT_PUBLIC_KEYS (so tokens it signed keep verifying until they
 * expire), deploy, and drop it once the longest token lifetime has passed.
 */
import { generateSigningKey, toJwks } from '@shopgraph/lib';

const kid = process.argv[2] ?? `k-${new Date().toISOString().slice(0, 10)}`;
const key = generateSigningKey(kid);
const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
process.stdout.write(
  [
    `JWT_KEY_ID=${kid}`,
    `JWT_PRIVATE_KEY="${pem.trimEnd().replaceAll('\n', '\\n')}"`,
    `JWT_PUBLIC_KEYS='${JSON.stringify(toJwks([key]))}'`,
    '',
  ].join('\n'),
);
