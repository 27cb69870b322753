import {
  brokerCheck,
  databaseCheck,
  internalApi,
  startSubgraph,
  toJwks,
  type Authenticator,
  type EventTransport,
  type RunningService,
  type ServiceAuth,
  type ServiceLimits,
  type VerificationKey,
} from '@shopgraph/lib';
import { loadSubgraphSdl } from '@shopgraph/schema';
import type { Kysely } from 'kysely';
import { createContext } from './context.js';
import type { AccountSettings } from './customer/account.service.js';
import { addressRoutes } from './customer/address.routes.js';
import { customerResolvers } from './customer/customer.resolvers.js';
import type { CustomerDatabase } from './database.js';
import { startLoginThrottleSweeper } from './login-limit/login-limit.service.js';
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
  /** Verifies the service tokens of the internal API's callers. */
  serviceAuth: ServiceAuth;
  /** Which proxies' `X-Forwarded-For` to believe for the client's address (the gateway's among them). */
  trustProxy?: string | undefined;
  /** The event transport, when this process consumes events: `/ready` then reports the broker too. */
  events?: EventTransport | undefined;
  limits?: ServiceLimits | undefined;
}

/**
 * Starts the customer subgraph: accounts, login, the JWKS other services
 * verify tokens with, and the internal address API for the order service.
 */
export async function startCustomer(options: CustomerServiceOptions): Promise<RunningService> {
  const { db } = options;
  const jwks = toJwks(options.publishedKeys);
  const service = await startSubgraph({
    name: 'customer',
    typeDefs: loadSubgraphSdl('customer'),
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    edge: { trustProxy: options.trustProxy },
    resolvers: { ...customerResolvers, ...notificationResolvers },
    auth: options.auth,
    context: async (viewer, request) => createContext(db, viewer, options.accounts, request.clientAddress),
    ...options.limits,
    checks: [databaseCheck(db as Kysely<unknown>), ...(options.events ? [brokerCheck(options.events)] : [])],
    routes: (app) => {
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', 'public, max-age=300').json(jwks);
      });
      app.use(
        '/internal/v1',
        internalApi({ auth: options.serviceAuth, callers: ['order'], routes: addressRoutes(db) }),
      );
    },
  });
  const stopSweeper = startLoginThrottleSweeper(db, options.accounts.loginLimits);
  return {
    ...service,
    stop: async () => {
      stopSweeper();
      await service.stop();
    },
  };
}
