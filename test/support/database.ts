import { randomBytes } from 'node:crypto';
import { createDatabase, SUBGRAPHS, type SubgraphName } from '@shopgraph/lib';
import { migrateAll, migrateSubgraph, provision, withPgClient } from '@shopgraph/migrations';
import type pg from 'pg';

/** Server-level connection used to create and drop per-run databases and roles. */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export { withPgClient };

const admin = <T>(work: (client: pg.Client) => Promise<T>) => withPgClient(adminUrl, work);

const uniqueName = (prefix: string) => `${prefix}_${Date.now()}_${randomBytes(4).toString('hex')}`;

const urlFor = (database: string, role?: { name: string; password: string }) => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (role) {
    url.username = role.name;
    url.password = role.password;
  }
  return url.toString();
};

/**
 * Creates a fresh database with a unique name holding all three subgraphs'
 * schemas, migrated, connecting as the server's admin role: the layout of a
 * small installation. `drop()` removes it (other runs share the server).
 */
export async function createTestDatabase(prefix = 'shopgraph_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await admin((c) => c.query(`create database ${name}`));
  const url = urlFor(name);
  const db = createDatabase<unknown>({ databaseUrl: url, poolSize: 2 });
  try {
    await migrateAll({ customer: db, inventory: db, order: db });
  } finally {
    await db.destroy();
  }
  return {
    name,
    url,
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Three databases, one per subgraph, each used through the subgraph's own role. */
export interface TestDatabases {
  /** Each subgraph's connection URL: its own database, as its own role. */
  urls: Record<SubgraphName, string>;
  /** Database and role name of each subgraph (they are the same). */
  names: Record<SubgraphName, string>;
  /** Drops the databases and the roles. */
  drop(): Promise<void>;
}

/**
 * Names, roles and URLs for a database and a role per subgraph, none of them
 * created yet (`provision` or the migrate job creates them); `drop()` removes
 * whatever was made. `shared` puts the three schemas in one database instead,
 * still with three roles.
 */
export function testDatabaseTargets(options: { prefix?: string; shared?: boolean } = {}): TestDatabases {
  const base = uniqueName(options.prefix ?? 'sgt');
  const names = Object.fromEntries(SUBGRAPHS.map((s) => [s, `${base}_${s}`])) as Record<SubgraphName, string>;
  const password = randomBytes(12).toString('hex');
  const urls = Object.fromEntries(
    SUBGRAPHS.map((s) => [s, urlFor(options.shared ? base : names[s], { name: names[s], password })]),
  ) as Record<SubgraphName, string>;
  const databases = options.shared ? [base] : Object.values(names);
  const drop = async () => {
    await admin(async (c) => {
      for (const database of databases) await c.query(`drop database if exists ${database} with (force)`);
      for (const role of Object.values(names)) await c.query(`drop role if exists ${role}`);
    });
  };
  return { urls, names, drop };
}

/**
 * The production layout for one test file (docs/adr/0013): a database and a
 * role per subgraph, provisioned with `provision` (the role owns its schema
 * and may connect to nothing else) and migrated as that role. `shared` puts
 * the three schemas in one database instead, still with three roles.
 */
export async function createTestDatabases(options: { prefix?: string; shared?: boolean } = {}): Promise<TestDatabases> {
  const targets = testDatabaseTargets(options);
  const { urls } = targets;
  try {
    await provision(adminUrl, urls);
    for (const subgraph of SUBGRAPHS) {
      const db = createDatabase<unknown>({ databaseUrl: urls[subgraph], poolSize: 1 });
      try {
        await migrateSubgraph(db, subgraph);
      } finally {
        await db.destroy();
      }
    }
  } catch (error) {
    await targets.drop();
    throw error;
  }
  return targets;
}
