import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createDatabase } from '@shopgraph/lib';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../test/support/database.js';
import { migrateDown, migrateToLatest, migrations } from './index.js';

let database: TestDatabase;
let db: Kysely<unknown>;

const schemas = async () =>
  (
    await sql<{
      nspname: string;
    }>`select nspname from pg_namespace where nspname in ('customer', 'inventory', 'orders') order by 1`.execute(db)
  ).rows.map((r) => r.nspname);

beforeAll(async () => {
  database = await createTestDatabase(); // migrated to latest
  db = createDatabase<unknown>({ databaseUrl: database.url, poolSize: 2 });
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

it('records every migration, in order, and is a no-op when up to date', async () => {
  const applied = await sql<{ name: string }>`select name from shopgraph_migration order by name`.execute(db);
  expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
  const again = await migrateToLatest(db);
  expect(again.results).toEqual([]);
  expect(await schemas()).toEqual(['customer', 'inventory', 'orders']);
});

it('rolls back one step and migrates forward again', async () => {
  const names = Object.keys(migrations).sort();
  const down = await migrateDown(db);
  expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([
    [names.at(-1), 'Down', 'Success'],
  ]);
  const applied = await sql<{ name: string }>`select name from shopgraph_migration order by name`.execute(db);
  expect(applied.rows.map((r) => r.name)).toEqual(names.slice(0, -1));

  const up = await migrateToLatest(db);
  expect(up.results?.map((r) => r.migrationName)).toEqual([names.at(-1)]);
  expect(await schemas()).toEqual(['customer', 'inventory', 'orders']);
});

it('rolls every migration back, one step at a time, and forward again', async () => {
  const names = Object.keys(migrations).sort();
  for (const name of [...names].reverse()) {
    const down = await migrateDown(db);
    expect(down.results?.map((r) => [r.migrationName, r.status])).toEqual([[name, 'Success']]);
  }
  expect(await schemas()).toEqual([]);
  const up = await migrateToLatest(db);
  expect(up.results?.map((r) => r.migrationName)).toEqual(names);
  expect(await schemas()).toEqual(['customer', 'inventory', 'orders']);
});
