import { SUBGRAPH_SCHEMAS, SUBGRAPHS, type SubgraphName } from '@shopgraph/lib';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResultSet } from 'kysely/migration';
import * as customer0001 from './customer/0001_customers.js';
import * as customer0002 from './customer/0002_addresses.js';
import * as customer0003 from './customer/0003_order_event_consumers.js';
import * as customer0004 from './customer/0004_login_throttle.js';
import * as customer0005 from './customer/0005_notification_dispatch.js';
import * as inventory0001 from './inventory/0001_catalog.js';
import * as inventory0002 from './inventory/0002_catalog_search_and_stock_ledger.js';
import * as inventory0003 from './inventory/0003_stock_reservations.js';
import * as order0001 from './order/0001_orders.js';
import * as order0002 from './order/0002_order_events.js';
import * as order0003 from './order/0003_order_lifecycle.js';
import * as order0004 from './order/0004_outbox_trace_context.js';
import * as order0005 from './order/0005_reservation_calls_and_key_leases.js';

/*
 * One migration history per subgraph (docs/adr/0013), each recorded in a
 * history table inside the subgraph's own schema, run against the
 * subgraph's own database as its own role. Listed statically (not read from
 * the file system) so the same lists work under tsx, jest and a bundled
 * image. Names sort in run order; never rename or edit one that has shipped.
 */

/**
 * The single history that releases before per-subgraph histories used for all
 * three schemas (`public.shopgraph_migration`), in order. A database must have
 * reached `0005_order_lifecycle` to be adopted: the baselines of the three
 * histories recreate what it and its predecessors built. 0006–0008 each belong
 * to one subgraph, whose history repeats it under its own name (`legacy`
 * below), so a database that ran them is not changed twice.
 */
export const LEGACY_MIGRATIONS = [
  '0001_schemas_and_entities',
  '0002_customer_accounts',
  '0003_inventory_catalog_and_stock',
  '0004_order_events',
  '0005_order_lifecycle',
  '0006_customer_login_throttle',
  '0007_outbox_trace_context',
  '0008_notification_dispatch',
] as const;
type LegacyMigration = (typeof LEGACY_MIGRATIONS)[number];
const LEGACY_BASELINE: LegacyMigration = '0005_order_lifecycle';

export interface History {
  /** The schema that holds the subgraph's tables and its history table. */
  schema: string;
  migrations: Record<string, Migration>;
  /**
   * The migrations of this history that the single history of earlier
   * releases (`public.shopgraph_migration`) also ran, each with the name of
   * the legacy migration after which its work is present. When a legacy
   * database is adopted, those the legacy history records are marked as
   * applied without running; the rest run.
   */
  legacy: Readonly<Record<string, LegacyMigration>>;
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
      '0004_login_throttle': customer0004,
      '0005_notification_dispatch': customer0005,
    },
    legacy: {
      '0001_customers': LEGACY_BASELINE,
      '0002_addresses': LEGACY_BASELINE,
      '0003_order_event_consumers': LEGACY_BASELINE,
      '0004_login_throttle': '0006_customer_login_throttle',
      '0005_notification_dispatch': '0008_notification_dispatch',
    },
    baselineTable: 'customer.customer',
  },
  inventory: {
    schema: SUBGRAPH_SCHEMAS.inventory,
    migrations: {
      '0001_catalog': inventory0001,
      '0002_catalog_search_and_stock_ledger': inventory0002,
      '0003_stock_reservations': inventory0003,
    },
    legacy: {
      '0001_catalog': LEGACY_BASELINE,
      '0002_catalog_search_and_stock_ledger': LEGACY_BASELINE,
    },
    baselineTable: 'inventory.product',
  },
  order: {
    schema: SUBGRAPH_SCHEMAS.order,
    migrations: {
      '0001_orders': order0001,
      '0002_order_events': order0002,
      '0003_order_lifecycle': order0003,
      '0004_outbox_trace_context': order0004,
      '0005_reservation_calls_and_key_leases': order0005,
    },
    legacy: {
      '0001_orders': LEGACY_BASELINE,
      '0002_order_events': LEGACY_BASELINE,
      '0003_order_lifecycle': LEGACY_BASELINE,
      '0004_outbox_trace_context': '0007_outbox_trace_context',
    },
    baselineTable: 'orders.order',
  },
};

export const MIGRATION_TABLE = 'shopgraph_migration';
/** The single history of earlier releases, in the public schema. */
export const LEGACY_HISTORY = 'public.shopgraph_migration';

const noop: Migration = { up: async () => undefined };

/**
 * When this subgraph's tables were built by the single history of an earlier
 * release and have no history of their own yet: the migrations that history
 * records. Then every migration of this history whose legacy counterpart ran
 * is recorded as applied (without running it) and only the others run.
 */
async function legacyMigrationsToAdopt(db: Kysely<unknown>, history: History): Promise<Set<string> | undefined> {
  const { rows } = await sql<{ own: string | null; baseline: string | null; legacy: string | null }>`
    select to_regclass(${`${history.schema}.${MIGRATION_TABLE}`})::text as own,
           to_regclass(${history.baselineTable})::text as baseline,
           to_regclass(${LEGACY_HISTORY})::text as legacy`.execute(db);
  const found = rows[0]!;
  if (!found.baseline) return undefined;
  if (found.own) {
    const { rows: applied } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.table(`${history.schema}.${MIGRATION_TABLE}`)}`.execute(db);
    if (applied[0]!.n > 0) return undefined;
  }
  if (!found.legacy) {
    throw new Error(
      `${history.baselineTable} exists but neither ${history.schema}.${MIGRATION_TABLE} nor ${LEGACY_HISTORY} records how it was built`,
    );
  }
  const { rows: legacy } = await sql<{ name: string }>`select name from ${sql.table(LEGACY_HISTORY)}`.execute(db);
  const ran = new Set(legacy.map((r) => r.name));
  if (!ran.has(LEGACY_BASELINE)) {
    throw new Error(
      `${LEGACY_HISTORY} has not reached ${LEGACY_BASELINE}: migrate with the previous release first (docs/adr/0013)`,
    );
  }
  // A migration of a later single-history release would be skipped silently.
  const unknown = [...ran].filter((name) => !(LEGACY_MIGRATIONS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`${LEGACY_HISTORY} records migrations this release does not know: ${unknown.sort().join(', ')}`);
  }
  return ran;
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

/** Migrations may run longer than any request: only the connect timeout applies. */
export const MIGRATION_TIMEOUTS = { statementMs: 0, idleInTransactionMs: 0 } as const;

/**
 * Runs every pending migration of one subgraph, in order, against that
 * subgraph's database; each is recorded in `<schema>.shopgraph_migration`.
 */
export async function migrateSubgraph(db: Kysely<unknown>, subgraph: SubgraphName): Promise<MigrationResultSet> {
  const history = histories[subgraph];
  let migrations = history.migrations;
  const legacyRan = await legacyMigrationsToAdopt(db, history);
  if (legacyRan) {
    migrations = Object.fromEntries(
      Object.entries(migrations).map(([name, m]) => {
        const counterpart = history.legacy[name];
        return [name, counterpart && legacyRan.has(counterpart) ? noop : m];
      }),
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
