import type { Kysely } from 'kysely';
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
import { createTestDatabase, type TestDatabase } from './database.js';
import { openFixtureDb, type AllTables } from './fixtures.js';

/** A whole supergraph for one test file: a fresh database, the services on free ports, and a direct connection. */
export interface TestStack {
  database: TestDatabase;
  /** Direct access for arranging rows and checking them afterwards. */
  db: Kysely<AllTables>;
  supergraph: RunningSupergraph;
  /** Stops the services, closes connections and drops the database. */
  stop(): Promise<void>;
}

export async function startTestStack(
  options: Partial<Pick<SupergraphOptions, 'auth' | 'onQuery' | 'sandbox' | 'poolSize' | 'gateway'>> = {},
): Promise<TestStack> {
  const database = await createTestDatabase();
  const db = openFixtureDb(database.url);
  const supergraph = await startSupergraph({
    databaseUrl: database.url,
    port: 0,
    host: '127.0.0.1',
    sandbox: false,
    auth: testAuth(),
    ...options,
  });
  return {
    database,
    db,
    supergraph,
    stop: async () => {
      await supergraph.stop();
      await db.destroy();
      await database.drop();
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
