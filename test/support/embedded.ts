import { createPasswordHasher } from '@shopgraph/customer';
import { createDatabase, openPglite, type PGlite } from '@shopgraph/lib';
import { migrateToLatest } from '@shopgraph/migrations';
import type { Kysely } from 'kysely';
import { seedDemoData, type DemoDatabase } from '../../scripts/seed.js';
import { startSupergraph, type RunningSupergraph, type SupergraphOptions } from '../../scripts/supergraph.js';
import { testAuth, TEST_PASSWORD_COST } from './auth.js';

/** The embedded default for a test file: in-memory PGlite, migrated, with the demo data, and the supergraph on free ports. */
export interface EmbeddedStack {
  pglite: PGlite;
  db: Kysely<DemoDatabase>;
  /** Whether this start seeded the demo data (it seeds an empty catalog only). */
  seeded: boolean;
  supergraph: RunningSupergraph;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(events?: SupergraphOptions['events']): Promise<EmbeddedStack> {
  const pglite = await openPglite();
  const db = createDatabase<DemoDatabase>({ pglite });
  await migrateToLatest(db as Kysely<unknown>);
  const seeded = await seedDemoData(db, createPasswordHasher(TEST_PASSWORD_COST));
  const supergraph = await startSupergraph({
    pglite,
    port: 0,
    host: '127.0.0.1',
    sandbox: true,
    auth: testAuth(),
    events,
  });
  return {
    pglite,
    db,
    seeded,
    supergraph,
    stop: async () => {
      await supergraph.stop();
      await pglite.close();
    },
  };
}
