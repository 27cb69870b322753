import { randomBytes } from 'node:crypto';
import {
  databaseUrlVariable,
  defaultTokenSettings,
  generateSigningKey,
  signAccessToken,
  type Role,
  type SigningKey,
  type SubgraphName,
} from '@shopgraph/lib';
import { TEST_PASSWORD_COST } from './auth.js';
import { spawnService, freePort, type ServiceProcess } from './spawn-service.js';

/** Entry points, as the containers run them. */
export const ENTRY = {
  customer: 'subgraphs/customer/src/main.ts',
  inventory: 'subgraphs/inventory/src/main.ts',
  order: 'subgraphs/order/src/main.ts',
  relay: 'subgraphs/order/src/relay.main.ts',
  gateway: 'gateway/src/main.ts',
} as const;

export type StackService = keyof typeof ENTRY;

export interface ProcessStack {
  customer: ServiceProcess;
  inventory: ServiceProcess;
  order: ServiceProcess;
  relay: ServiceProcess;
  gateway: ServiceProcess;
  /** Every process of the stack. */
  all(): ServiceProcess[];
  /** The environment every service got (without PORT); to start another one like them. */
  env: Record<string, string>;
  /** Starts another process of `service` with the stack's environment (plus `env`); it is killed with the stack. */
  respawn(service: StackService, env?: Record<string, string>): Promise<ServiceProcess>;
  /** A token the customer subgraph would issue. */
  token(viewer: { customerId: string; role: Role }, ttlSeconds?: number): string;
  /** Ends every process still running. */
  kill(): Promise<void>;
}

/** What the customer subgraph needs to issue tokens: a signing key, and a cheap password hash for tests. */
export function issuerEnv(
  key: SigningKey = generateSigningKey(`k-${Date.now().toString(36)}`),
): Record<string, string> {
  return {
    JWT_PRIVATE_KEY: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    JWT_KEY_ID: key.kid,
    PASSWORD_HASH_MEMORY_KIB: String(TEST_PASSWORD_COST.memoryKiB),
    PASSWORD_HASH_ITERATIONS: String(TEST_PASSWORD_COST.iterations),
  };
}

/** A secret for the services' internal calls, new for each stack. */
export const testServiceSecret = (): string => randomBytes(32).toString('base64url');

/** `<SUBGRAPH>_DATABASE_URL` of one subgraph: each process gets only its own database, as deployed. */
export const databaseEnv = (urls: Readonly<Record<SubgraphName, string>>, subgraph: SubgraphName) => ({
  [databaseUrlVariable(subgraph)]: urls[subgraph],
});

/**
 * The production shape on this machine: customer, inventory, order, a
 * standalone outbox relay and the gateway, each its own process on its own
 * database (the subgraphs' `databaseUrls`), verifying tokens through the
 * customer subgraph's JWKS and calling each other's internal APIs with a
 * shared service secret (as in docker-compose.yml). `env` applies to every
 * service (short timeouts for tests go here).
 */
export async function startProcessStack(options: {
  databaseUrls: Readonly<Record<SubgraphName, string>>;
  amqpUrl: string;
  exchange: string;
  env?: Record<string, string>;
}): Promise<ProcessStack> {
  const key = generateSigningKey(`k-${Date.now().toString(36)}`);
  const [customerPort, inventoryPort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    AMQP_URL: options.amqpUrl,
    EVENTS_EXCHANGE: options.exchange,
    JWKS_URL: `http://127.0.0.1:${customerPort}/.well-known/jwks.json`,
    EVENTS_RETRY_BASE_DELAY_MS: '200',
    SERVICE_AUTH_SECRET: testServiceSecret(),
    ...options.env,
  };
  const urls = options.databaseUrls;
  const customerEnv = { ...env, ...databaseEnv(urls, 'customer'), JWKS_URL: undefined, ...issuerEnv(key) };
  const inventoryEnv = { ...env, ...databaseEnv(urls, 'inventory') };
  const orderEnv = {
    ...env,
    ...databaseEnv(urls, 'order'),
    OUTBOX_RELAY: 'false',
    INVENTORY_SERVICE_URL: `http://127.0.0.1:${inventoryPort}`,
    CUSTOMER_SERVICE_URL: `http://127.0.0.1:${customerPort}`,
  };
  const relayEnv = { ...env, ...databaseEnv(urls, 'order') };
  const customer = await spawnService('customer', ENTRY.customer, { port: customerPort, env: customerEnv });
  const [inventory, order, relay] = await Promise.all([
    spawnService('inventory', ENTRY.inventory, { port: inventoryPort, env: inventoryEnv }),
    spawnService('order', ENTRY.order, { env: orderEnv }),
    spawnService('order-relay', ENTRY.relay, { env: relayEnv }),
  ]);
  const gatewayEnv = {
    ...env,
    CUSTOMER_URL: `${customer.url}/graphql`,
    INVENTORY_URL: `${inventory.url}/graphql`,
    ORDER_URL: `${order.url}/graphql`,
  };
  const gateway = await spawnService('gateway', ENTRY.gateway, { env: gatewayEnv });
  const all = [customer, inventory, order, relay, gateway];
  const serviceEnv: Record<StackService, Record<string, string | undefined>> = {
    customer: customerEnv,
    inventory: inventoryEnv,
    order: orderEnv,
    relay: relayEnv,
    gateway: gatewayEnv,
  };
  const stack: ProcessStack = {
    customer,
    inventory,
    order,
    relay,
    gateway,
    all: () => all,
    env,
    respawn: async (service, extra = {}) => {
      const started = await spawnService(service, ENTRY[service], { env: { ...serviceEnv[service], ...extra } });
      all.push(started);
      return started;
    },
    token: (viewer, ttlSeconds = 600) => signAccessToken(viewer, key, defaultTokenSettings, ttlSeconds).token,
    kill: async () => {
      await Promise.all(all.map((p) => p.kill()));
    },
  };
  try {
    await Promise.all(all.map((p) => p.waitFor('/health')));
  } catch (error) {
    await stack.kill();
    throw error;
  }
  return stack;
}
