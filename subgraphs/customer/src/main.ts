import {
  createAuthenticator,
  defaultTokenSettings,
  deliveryOptions,
  openEventTransport,
  parseConfig,
  parseJwks,
  runSubgraphProcess,
  serviceAuthEnvShape,
  signingKeyFromPem,
  staticKeys,
} from '@shopgraph/lib';
import { z } from 'zod';
import { startCustomer } from './app.js';
import { accountEnvShape, loginLimitsFromEnv, passwordCostFromEnv } from './customer/account.config.js';
import { createPasswordHasher } from './customer/password.js';
import type { CustomerDatabase } from './database.js';
import { startCustomerConsumers } from './events.js';
import {
  notificationEnvShape,
  notificationSender,
  startNotificationDispatcher,
} from './notification/notification.dispatch.js';

await runSubgraphProcess<CustomerDatabase>('customer', 4001, async (options) => {
  const config = parseConfig(
    z.object({
      ...accountEnvShape,
      ...serviceAuthEnvShape,
      // The current signing key. Previous keys that must still verify during a
      // rotation go in JWT_PUBLIC_KEYS and are published in the JWKS.
      JWT_PRIVATE_KEY: z.string({ error: 'required: a PEM EC P-256 private key (see `pnpm keys:generate`)' }),
      JWT_KEY_ID: z.string({ error: 'required: the key id (kid) of JWT_PRIVATE_KEY' }).min(1),
      ...notificationEnvShape,
    }),
  );
  // PEM in an environment variable often arrives with escaped newlines.
  const signingKey = signingKeyFromPem(config.JWT_KEY_ID, config.JWT_PRIVATE_KEY.replaceAll('\\n', '\n'));
  const previous = options.env.JWT_PUBLIC_KEYS ? parseJwks(JSON.parse(options.env.JWT_PUBLIC_KEYS)) : new Map();
  const publishedKeys = [
    signingKey,
    ...[...previous].filter(([kid]) => kid !== signingKey.kid).map(([kid, publicKey]) => ({ kid, publicKey })),
  ];
  const tokenSettings = {
    ...defaultTokenSettings,
    issuer: options.env.JWT_ISSUER,
    audience: options.env.JWT_AUDIENCE,
  };
  const events = await openEventTransport({ ...deliveryOptions(options.env), amqpUrl: options.env.AMQP_URL });
  const consumers = options.env.EVENT_CONSUMERS
    ? await startCustomerConsumers(options.db, events, {
        inboxRetentionMs: options.env.EVENTS_INBOX_RETENTION_DAYS * 86_400_000,
      })
    : undefined;
  const dispatcher = config.NOTIFICATION_DISPATCH
    ? await startNotificationDispatcher({
        db: options.db,
        sender: notificationSender(config),
        listen: {
          databaseUrl: options.databaseUrl,
          applicationName: 'customer',
          connectTimeoutMs: options.env.DATABASE_CONNECT_TIMEOUT_MS,
        },
        relay: { pollIntervalMs: options.env.OUTBOX_POLL_INTERVAL_MS },
      })
    : undefined;
  const service = await startCustomer({
    ...options,
    events,
    auth: createAuthenticator({
      settings: tokenSettings,
      keys: staticKeys(publishedKeys),
      tokenCacheSize: options.env.TOKEN_CACHE_SIZE,
    }),
    serviceAuth: { service: 'customer', secrets: config.SERVICE_AUTH_SECRET },
    publishedKeys,
    accounts: {
      hasher: createPasswordHasher(passwordCostFromEnv(config)),
      signingKey,
      tokenSettings,
      tokenTtlSeconds: config.JWT_TTL_SECONDS,
      loginLimits: loginLimitsFromEnv(config),
    },
    trustProxy: options.env.TRUST_PROXY,
  });
  return {
    ...service,
    close: async () => {
      await Promise.all([consumers?.cancel(), dispatcher?.stop()]);
      await events.close();
    },
  };
});
