import {
  databaseReady,
  startSubgraph,
  toJwks,
  type Authenticator,
  type RunningService,
  type VerificationKey,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { AccountSettings } from './customer/account.service.js';
import { customerResolvers } from './customer/customer.resolvers.js';
import type { CustomerDatabase } from './database.js';

export interface CustomerServiceOptions {
  db: Kysely<CustomerDatabase>;
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Verifies callers' access tokens. */
  auth: Authenticator;
  /** Password hashing and token issuing. */
  accounts: AccountSettings;
  /** Public keys published at /.well-known/jwks.json: the signing key's and any still-valid previous ones. */
  publishedKeys: readonly VerificationKey[];
}

/** Starts the customer subgraph: accounts, login, and the JWKS other services verify tokens with. */
export function startCustomer(options: CustomerServiceOptions): Promise<RunningService> {
  const { db } = options;
  const jwks = toJwks(options.publishedKeys);
  return startSubgraph({
    name: 'customer',
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    resolvers: customerResolvers,
    auth: options.auth,
    context: async (viewer) => createContext(db, viewer, options.accounts),
    ready: databaseReady(db as Kysely<unknown>),
    routes: (app) => {
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', 'public, max-age=300').json(jwks);
      });
    },
  });
}
