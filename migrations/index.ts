import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResultSet } from 'kysely/migration';
import * as m0001 from './0001_schemas_and_entities.js';
import * as m0002 from './0002_customer_accounts.js';
import * as m0003 from './0003_inventory_catalog_and_stock.js';
import * as m0004 from './0004_order_events.js';
import * as m0005 from './0005_order_lifecycle.js';
import * as m0006 from './0006_customer_login_throttle.js';
import * as m0007 from './0007_outbox_trace_context.js';
import * as m0008 from './0008_notification_dispatch.js';

/**
 * Every migration, in the order it runs. Listed statically (not read from the
 * file system) so the same list works under tsx, jest and a bundled image.
 * Names sort in run order; never rename or edit one that has shipped.
 */
export const migrations: Record<string, Migration> = {
  '0001_schemas_and_entities': m0001,
  '0002_customer_accounts': m0002,
  '0003_inventory_catalog_and_stock': m0003,
  '0004_order_events': m0004,
  '0005_order_lifecycle': m0005,
  '0006_customer_login_throttle': m0006,
  '0007_outbox_trace_context': m0007,
  '0008_notification_dispatch': m0008,
};

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'shopgraph_migration',
    migrationLockTableName: 'shopgraph_migration_lock',
  });
}

function unwrap(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, {
      cause: result.error,
    });
  }
  return result;
}

/** Migrations may run longer than any request: only the connect timeout applies. */
export const MIGRATION_TIMEOUTS = { statementMs: 0, idleInTransactionMs: 0 } as const;

/** Runs every pending migration in order; each is recorded in `shopgraph_migration`. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationResultSet> {
  return unwrap(await migrator(db).migrateToLatest());
}

/** Rolls back the most recently applied migration. */
export async function migrateDown(db: Kysely<unknown>): Promise<MigrationResultSet> {
  return unwrap(await migrator(db).migrateDown());
}
