import { startSupergraph, type RunningSupergraph, type SupergraphOptions } from '../../scripts/supergraph.js';
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
    // Every service of the stack shares this one process (and the test's two
    // cores) with hundreds of concurrent test requests: a call may queue far
    // longer than between real processes. Tests of fail-fast set their own.
    serviceCallTimeoutMs: 10_000,
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
