import type { Kysely } from 'kysely';
import { startSupergraph, type RunningSupergraph, type SupergraphOptions } from '../../scripts/supergraph.js';
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
