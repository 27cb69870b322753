import { startGateway, type GatewayOptions } from '@shopgraph/gateway';
import { createAuthenticator, defaultTokenSettings, staticKeys, type RunningService } from '@shopgraph/lib';
import {
  startSupergraph,
  type RunningSupergraph,
  type SubgraphName,
  type SupergraphAuth,
  type SupergraphOptions,
} from '../../scripts/supergraph.js';
import { testAuth } from './auth.js';
import { createTestDatabases, type TestDatabases } from './database.js';
import { closeFixtureDbs, openFixtureDbs, type FixtureDbs } from './fixtures.js';

/**
 * A whole supergraph for one test file, in the production layout: a database
 * and a role per subgraph, the services on free ports, and a direct
 * connection to each database.
 */
export interface TestStack {
  databases: TestDatabases;
  /** Direct access for arranging rows and checking them afterwards, as each subgraph's role. */
  dbs: FixtureDbs;
  supergraph: RunningSupergraph;
  /** Stops the services, closes connections and drops the databases and roles. */
  stop(): Promise<void>;
}

export async function startTestStack(
  options: Partial<Omit<SupergraphOptions, 'databaseUrls' | 'pglite' | 'port' | 'host'>> = {},
): Promise<TestStack> {
  const databases = await createTestDatabases();
  const dbs = openFixtureDbs(databases.urls);
  const supergraph = await startSupergraph({
    databaseUrls: databases.urls,
    port: 0,
    host: '127.0.0.1',
    sandbox: false,
    auth: testAuth(),
    // Five connections per subgraph: two test files run at once on a Postgres
    // other users share (100 connections in all), and an order's statements
    // queue on row locks, not on connections.
    poolSize: 5,
    // Every service of the stack shares this one process (and the machine's
    // two cores, with another test file) with hundreds of concurrent test
    // requests: a call may queue far longer than between real processes.
    // Tests of fail-fast set their own.
    serviceCallTimeoutMs: 30_000,
    ...options,
  });
  return {
    databases,
    dbs,
    supergraph,
    stop: async () => {
      await supergraph.stop();
      await closeFixtureDbs(dbs);
      await databases.drop();
    },
  };
}

/**
 * One more gateway, as production runs it (introspection off), in front of
 * the given subgraph URLs, with the test key; `options` override the rest.
 */
export function startTestGateway(
  auth: SupergraphAuth,
  subgraphUrls: Record<SubgraphName, string>,
  options: Partial<GatewayOptions> = {},
): Promise<RunningService> {
  return startGateway({
    port: 0,
    host: '127.0.0.1',
    sandbox: false,
    introspection: false,
    auth: createAuthenticator({
      settings: auth.tokenSettings ?? defaultTokenSettings,
      keys: staticKeys([auth.signingKey]),
    }),
    subgraphUrls,
    ...options,
  });
}

/** The GraphQL URLs of a running supergraph's subgraphs. */
export const subgraphUrlsOf = (stack: TestStack): Record<SubgraphName, string> => ({
  customer: stack.supergraph.subgraphs.customer.graphqlUrl,
  inventory: stack.supergraph.subgraphs.inventory.graphqlUrl,
  order: stack.supergraph.subgraphs.order.graphqlUrl,
});
