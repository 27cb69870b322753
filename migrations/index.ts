import { SUBGRAPH_SCHEMAS, SUBGRAPHS, type SubgraphName } from '@shopgraph/lib';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResultSet } from 'kysely/migration';
import * as customer0001 from './customer/0001_customers.js';
import * as customer0002 from './customer/0002_addresses.js';
import * as customer0003 from './customer/0003_order_event_consumers.js';
import * as inventory0001 from './inventory/0001_catalog.js';
import * as inventory0002 from './inventory/0002_catalog_search_and_stock_ledger.js';
import * as inventory0003 from './inventory/0003_stock_reservations.js';
import * as order0001 from './order/0001_orders.js';
import * as order0002 from './order/0002_order_events.js';
import * as order0003 from './order/0003_order_lifecycle.js';
import * as order0004 from './order/0004_reservation_calls_and_key_leases.js';

/*
 * One migration history per subgraph (docs/adr/0008), each recorded in a
 * history table inside the subgraph's own schema, run against the
 * subgraph's own database as its own role. Listed statically (not read from
 * the file system) so the same lists work under tsx, jest and a bundled
 * image. Names sort in run order; never rename or edit one that has shipped.
 */

export interface History {
  /** The schema that holds the subgraph's tables and its history table. */
  schema: string;
  migrations: Record<string, Migration>;
  /**
   * The migrations that recreate what the single history of earlier releases
   * (`public.shopgraph_migration`, 0001–0005) built for this subgraph.
   */
  legacyBaseline: readonly string[];
  /** A table the baseline creates: its presence without a history means a legacy database. */
  baselineTable: string;
}

export const histories: Readonly<Record<SubgraphName, History>> = {
  customer: {
    schema: SUBGRAPH_SCHEMAS.customer,
    migrations: {
      '0001_customers': customer0001,
      '0002_addresses': customer0002,
      '0003_order_event_consumers': customer0003,
    },
    legacyBaseline: ['0001_customers', '0002_addresses', '0003_order_event_consumers'],
    baselineTable: 'customer.customer',
  },
  inventory: {
    schema: SUBGRAPH_SCHEMAS.inventory,
    migrations: {
      '0001_catalog': inventory0001,
      '0002_catalog_search_and_stock_ledger': inventory0002,
      '0003_stock_reservations': inventory0003,
    },
    legacyBaseline: ['0001_catalog', '0002_catalog_search_and_stock_ledger'],
    baselineTable: 'inventory.product',
  },
  order: {
    schema: SUBGRAPH_SCHEMAS.order,
    migrations: {
      '0001_orders': order0001,
      '0002_order_events': order0002,
      '0003_order_lifecycle': order0003,
      '0004_reservation_calls_and_key_leases': order0004,
    },
    legacyBaseline: ['0001_orders', '0002_order_events', '0003_order_lifecycle'],
    baselineTable: 'orders.order',
  },
};

export const MIGRATION_TABLE = 'shopgraph_migration';
/** The single history of earlier releases, in the public schema, and the migration it must have reached. */
export const LEGACY_HISTORY = 'public.shopgraph_migration';
const LEGACY_LAST = '0005_order_lifecycle';

const noop: Migration = { up: async () => undefined };

/**
 * Whether this subgraph's tables were built by the single history of an
 * earlier release and have no history of their own yet. Then the baseline is
 * recorded as applied (without running it) and only newer migrations run.
 */
async function adoptsLegacyHistory(db: Kysely<unknown>, history: History): Promise<boolean> {
  const { rows } = await sql<{ own: string | null; baseline: string | null; legacy: string | null }>`
    select to_regclass(${`${history.schema}.${MIGRATION_TABLE}`})::text as own,
           to_regclass(${history.baselineTable})::text as baseline,
           to_regclass(${LEGACY_HISTORY})::text as legacy`.execute(db);
  const found = rows[0]!;
  if (!found.baseline) return false;
  if (found.own) {
    const { rows: applied } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.table(`${history.schema}.${MIGRATION_TABLE}`)}`.execute(db);
    if (applied[0]!.n > 0) return false;
  }
  if (!found.legacy) {
    throw new Error(
      `${history.baselineTable} exists but neither ${history.schema}.${MIGRATION_TABLE} nor ${LEGACY_HISTORY} records how it was built`,
    );
  }
  const { rows: legacy } = await sql<{ name: string }>`select name from ${sql.table(LEGACY_HISTORY)}`.execute(db);
  if (!legacy.some((r) => r.name === LEGACY_LAST)) {
    throw new Error(
      `${LEGACY_HISTORY} has not reached ${LEGACY_LAST}: migrate with the previous release first (docs/adr/0008)`,
    );
  }
  return true;
}

function migrator(db: Kysely<unknown>, history: History, migrations: Record<string, Migration>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: history.schema,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
}

function unwrap(subgraph: SubgraphName, result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`${subgraph} migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, {
      cause: result.error,
    });
  }
  return result;
}

/**
 * Runs every pending migration of one subgraph, in order, against that
 * subgraph's database; each is recorded in `<schema>.shopgraph_migration`.
 */
export async function migrateSubgraph(db: Kysely<unknown>, subgraph: SubgraphName): Promise<MigrationResultSet> {
  const history = histories[subgraph];
  let migrations = history.migrations;
  if (await adoptsLegacyHistory(db, history)) {
    migrations = Object.fromEntries(
      Object.entries(migrations).map(([name, m]) => [name, history.legacyBaseline.includes(name) ? noop : m]),
    );
  }
  return unwrap(subgraph, await migrator(db, history, migrations).migrateToLatest());
}

/** Rolls back the most recently applied migration of one subgraph. */
export async function rollbackSubgraph(db: Kysely<unknown>, subgraph: SubgraphName): Promise<MigrationResultSet> {
  const history = histories[subgraph];
  return unwrap(subgraph, await migrator(db, history, history.migrations).migrateDown());
}

/**
 * Migrates every subgraph, each against its own database. Where subgraphs
 * share one database (the embedded default, or a small installation), pass
 * the same Kysely instance for each.
 */
export async function migrateAll(
  dbs: Readonly<Record<SubgraphName, Kysely<unknown>>>,
): Promise<Record<SubgraphName, MigrationResultSet>> {
  const results = {} as Record<SubgraphName, MigrationResultSet>;
  for (const subgraph of SUBGRAPHS) results[subgraph] = await migrateSubgraph(dbs[subgraph], subgraph);
  return results;
}
export { provision, targetOf, withPgClient, type SubgraphTarget } from './provision.js';
