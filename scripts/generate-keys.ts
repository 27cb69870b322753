/**
 * Prints the secrets of real mode as environment variables: a new ES256
 * signing key (JWT_PRIVATE_KEY and JWT_KEY_ID for the customer subgraph, and
 * the public JWKS, JWT_PUBLIC_KEYS, for verifiers that should not fetch
 * JWKS_URL), the secret of the services' internal calls (SERVICE_AUTH_SECRET,
 * docs/adr/0015) and a password for each subgraph's database role
 * (docs/adr/0013; docker-compose.yml builds the database URLs from them).
 *
 * Rotation: generate a new key, move the old public key into the customer
 * subgraph's JWT_PUBLIC_KEYS (so tokens it signed keep verifying until they
 * expire), deploy, and drop it once the longest token lifetime has passed.
 */
import { randomBytes } from 'node:crypto';
import { generateSigningKey, toJwks } from '@shopgraph/lib';

const secret = () => randomBytes(32).toString('base64url');

const kid = process.argv[2] ?? `k-${new Date().toISOString().slice(0, 10)}`;
const key = generateSigningKey(kid);
const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
process.stdout.write(
  [
    `JWT_KEY_ID=${kid}`,
    `JWT_PRIVATE_KEY="${pem.trimEnd().replaceAll('\n', '\\n')}"`,
    `JWT_PUBLIC_KEYS='${JSON.stringify(toJwks([key]))}'`,
    `SERVICE_AUTH_SECRET=${secret()}`,
    `CUSTOMER_DB_PASSWORD=${secret()}`,
    `INVENTORY_DB_PASSWORD=${secret()}`,
    `ORDER_DB_PASSWORD=${secret()}`,
    '',
  ].join('\n'),
);
