import { randomBytes } from 'node:crypto';
import { migrateAll } from '@shopgraph/migrations';
import { createDatabase } from '@shopgraph/lib';
import pg from 'pg';

/** Server-level connection used to create and drop per-run databases. */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, migrated database with a unique name for this test file
 * (or benchmark run); `drop()` removes it (other runs share the server).
 */
export async function createTestDatabase(prefix = 'shopgraph_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createDatabase<unknown>({ databaseUrl: url.toString(), poolSize: 2 });
  try {
    await migrateAll({ customer: db, inventory: db, order: db });
  } finally {
    await db.destroy();
  }
  return {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
