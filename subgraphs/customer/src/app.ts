import {
  brokerCheck,
  databaseCheck,
  startSubgraph,
  toJwks,
  type Authenticator,
  type EventTransport,
  type RunningService,
  type ServiceLimits,
  type VerificationKey,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { AccountSettings } from './customer/account.service.js';
import { customerResolvers } from './customer/customer.resolvers.js';
import type { CustomerDatabase } from './database.js';
import { notificationResolvers } from './notification/notification.resolvers.js';

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
  /** The event transport, when this process consumes events: `/ready` then reports the broker too. */
  events?: EventTransport | undefined;
  limits?: ServiceLimits | undefined;
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
    resolvers: { ...customerResolvers, ...notificationResolvers },
    auth: options.auth,
    context: async (viewer) => createContext(db, viewer, options.accounts),
    ...options.limits,
    checks: [databaseCheck(db as Kysely<unknown>), ...(options.events ? [brokerCheck(options.events)] : [])],
    routes: (app) => {
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', 'public, max-age=300').json(jwks);
      });
    },
  });
}
