import { createPasswordHasher, type CustomerDatabase } from '@shopgraph/customer';
import type { InventoryDatabase } from '@shopgraph/inventory';
import { createDatabase, openPglite, SUBGRAPHS, type PGlite } from '@shopgraph/lib';
import { migrateSubgraph } from '@shopgraph/migrations';
import type { OrderDatabase } from '@shopgraph/order';
import { seedDemoData, type DemoDatabases } from '../../scripts/seed.js';
import { startSupergraph, type RunningSupergraph, type SupergraphOptions } from '../../scripts/supergraph.js';
import { testAuth, TEST_PASSWORD_COST } from './auth.js';

/**
 * The embedded default for a test file: one in-memory PGlite with a schema
 * and a migration history per subgraph, the supergraph on free ports (the
 * subgraphs still call each other over HTTP), and the demo data, whose orders
 * go through the running order service.
 */
export interface EmbeddedStack {
  pglite: PGlite;
  /** Each subgraph's Kysely over the shared PGlite. */
  db: DemoDatabases;
  /** Whether this start seeded the demo data (it seeds an empty catalog only). */
  seeded: boolean;
  supergraph: RunningSupergraph;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(events?: SupergraphOptions['events']): Promise<EmbeddedStack> {
  const pglite = await openPglite();
  const db: DemoDatabases = {
    customer: createDatabase<CustomerDatabase>({ pglite }),
    inventory: createDatabase<InventoryDatabase>({ pglite }),
    order: createDatabase<OrderDatabase>({ pglite }),
  };
  for (const subgraph of SUBGRAPHS) await migrateSubgraph(createDatabase<unknown>({ pglite }), subgraph);
  const supergraph = await startSupergraph({
    pglite,
    port: 0,
    host: '127.0.0.1',
    sandbox: true,
    auth: testAuth(),
    events,
  });
  const seeded = await seedDemoData(db, supergraph.orderNeighbours, createPasswordHasher(TEST_PASSWORD_COST));
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
