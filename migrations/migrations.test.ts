import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDatabase, SUBGRAPH_SCHEMAS, SUBGRAPHS, type SubgraphName } from '@shopgraph/lib';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../test/support/database.js';
import {
  histories,
  LEGACY_HISTORY,
  LEGACY_MIGRATIONS,
  migrateAll,
  migrateSubgraph,
  MIGRATION_TABLE,
  rollbackSubgraph,
} from './index.js';

// Each subgraph's history, in its own schema, on one database here (the
// layout of a small installation and of the embedded default).
let database: TestDatabase;
let db: Kysely<unknown>;

const all = () => ({ customer: db, inventory: db, order: db });
const appliedIn = async (conn: Kysely<unknown>, schema: string) =>
  (
    await sql<{ name: string }>`select name from ${sql.table(`${schema}.${MIGRATION_TABLE}`)} order by name`.execute(
      conn,
    )
  ).rows.map((r) => r.name);
const applied = (schema: string) => appliedIn(db, schema);
const tables = async (schema: string) =>
  (
    await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = ${schema} and table_name not like ${`${MIGRATION_TABLE}%`} order by 1`.execute(db)
  ).rows.map((r) => r.name);

beforeAll(async () => {
  database = await createTestDatabase(); // every subgraph migrated to latest
  db = createDatabase<unknown>({ databaseUrl: database.url, poolSize: 2 });
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

it('records each subgraph’s migrations in a history table in its own schema, and is a no-op when up to date', async () => {
  for (const subgraph of SUBGRAPHS) {
    const { schema, migrations } = histories[subgraph];
    expect(await applied(schema)).toEqual(Object.keys(migrations).sort());
  }
  const again = await migrateAll(all());
  expect(Object.values(again).map((r) => r.results)).toEqual([[], [], []]);
  // Nothing outside the three schemas.
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from information_schema.tables where table_schema = 'public'`.execute(db);
  expect(rows[0]!.n).toBe(0);
});

describe.each(SUBGRAPHS)('the %s history', (subgraph) => {
  const { schema, migrations } = histories[subgraph];
  const names = Object.keys(migrations).sort();

  it('rolls back one step and forward again, leaving the other histories alone', async () => {
    const others = SUBGRAPHS.filter((s) => s !== subgraph).map((s) => SUBGRAPH_SCHEMAS[s]);
    const before = await Promise.all(others.map(applied));
    const down = await rollbackSubgraph(db, subgraph);
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([
      [names.at(-1), 'Down', 'Success'],
    ]);
    expect(await applied(schema)).toEqual(names.slice(0, -1));
    expect(await Promise.all(others.map(applied))).toEqual(before);
    const up = await migrateSubgraph(db, subgraph);
    expect(up.results?.map((r) => r.migrationName)).toEqual([names.at(-1)]);
  });

  it('rolls every migration back, one step at a time, and forward again', async () => {
    const built = await tables(schema);
    for (const name of [...names].reverse()) {
      const down = await rollbackSubgraph(db, subgraph);
      expect(down.results?.map((r) => [r.migrationName, r.status])).toEqual([[name, 'Success']]);
    }
    expect(await tables(schema)).toEqual([]);
    const up = await migrateSubgraph(db, subgraph);
    expect(up.results?.map((r) => r.migrationName)).toEqual(names);
    expect(await tables(schema)).toEqual(built);
  });
});

// A database as an earlier release left it: the same tables, one history in
// public, which reached `reached` (0005 is the oldest that may be adopted; 0006
// to 0008 each belong to one subgraph and must not run twice).
describe.each(['0005_order_lifecycle', '0006_customer_login_throttle', '0008_notification_dispatch'])(
  'adopting the single history of an earlier release that reached %s',
  (reached) => {
    const ran = LEGACY_MIGRATIONS.slice(0, LEGACY_MIGRATIONS.indexOf(reached as never) + 1) as readonly string[];
    /** The migrations of a history whose work the legacy history already did. */
    const adopted = (subgraph: SubgraphName) => {
      const { migrations, legacy } = histories[subgraph];
      return Object.keys(migrations)
        .sort()
        .filter((name) => legacy[name] !== undefined && ran.includes(legacy[name]));
    };

    it('records what the legacy history did as applied without running it, and runs only the rest', async () => {
      const legacyDb = await createTestDatabase('shopgraph_legacy');
      const old = createDatabase<unknown>({ databaseUrl: legacyDb.url, poolSize: 1 });
      try {
        for (const subgraph of SUBGRAPHS) {
          const { schema, migrations } = histories[subgraph];
          // What the legacy history did comes first in each history, so rolling
          // back to it leaves exactly the legacy release's tables.
          expect(Object.keys(migrations).sort().slice(0, adopted(subgraph).length)).toEqual(adopted(subgraph));
          while ((await appliedIn(old, schema)).length > adopted(subgraph).length) {
            await rollbackSubgraph(old, subgraph);
          }
          await sql`drop table ${sql.table(`${schema}.${MIGRATION_TABLE}`)}`.execute(old);
          await sql`drop table ${sql.table(`${schema}.${MIGRATION_TABLE}_lock`)}`.execute(old);
        }
        await sql`create table ${sql.table(LEGACY_HISTORY)} (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(
          old,
        );
        const record = async (names: readonly string[]) => {
          for (const name of names) {
            await sql`insert into ${sql.table(LEGACY_HISTORY)} values (${name}, ${new Date().toISOString()})`.execute(
              old,
            );
          }
        };
        await record(ran.slice(0, 3));
        // Stock taken by orders of the earlier release: one order still holding two units, one cancelled.
        const held = '11111111-1111-4111-8111-111111111111';
        const cancelled = '22222222-2222-4222-8222-222222222222';
        const { rows: products } = await sql<{ id: string }>`
          insert into inventory.product (sku, name, price_minor, stock) values ('LEGACY-1', 'Legacy', 500, 8) returning id`.execute(
          old,
        );
        const productId = products[0]!.id;
        await sql`insert into inventory.stock_ledger (product_id, delta, reason, reference, actor, stock_after) values
          (${productId}, 10, 'INITIAL', null, 'admin', 10),
          (${productId}, -2, 'ORDER_RESERVED', ${held}, 'buyer-1', 8),
          (${productId}, -3, 'ORDER_RESERVED', ${cancelled}, 'buyer-2', 5),
          (${productId}, 3, 'ORDER_RELEASED', ${cancelled}, 'buyer-2', 8)`.execute(old);
        // Not at the last legacy migration yet: refused rather than guessed.
        await expect(migrateSubgraph(old, 'inventory')).rejects.toThrow(/has not reached 0005_order_lifecycle/);
        await record(ran.slice(3));
        // A legacy login counter survives adoption when its table was already there.
        if (ran.includes('0006_customer_login_throttle')) {
          await sql`insert into customer.login_throttle (key, failures) values ('legacy-key', 3)`.execute(old);
        }
        // A migration of a later single-history release is refused, not skipped.
        await record(['0099_unknown']);
        await expect(migrateSubgraph(old, 'customer')).rejects.toThrow(/does not know: 0099_unknown/);
        await sql`delete from ${sql.table(LEGACY_HISTORY)} where name = '0099_unknown'`.execute(old);

        const results = await migrateAll({ customer: old, inventory: old, order: old });
        for (const subgraph of SUBGRAPHS) {
          const { schema, migrations } = histories[subgraph];
          expect(results[subgraph].results?.map((r) => r.migrationName)).toEqual(Object.keys(migrations).sort());
          expect(await appliedIn(old, schema)).toEqual(Object.keys(migrations).sort());
        }
        // Whatever the legacy history stopped at, every subgraph now has all its tables and columns.
        const { rows: built } = await sql<{ throttle: string; dispatch: string; trace: string }>`
          select to_regclass('customer.login_throttle')::text as throttle,
                 to_regclass('customer.notification_dispatch')::text as dispatch,
                 (select data_type from information_schema.columns
                   where table_schema = 'orders' and table_name = 'outbox_event' and column_name = 'trace_context') as trace`.execute(
          old,
        );
        expect(built).toEqual([
          { throttle: 'customer.login_throttle', dispatch: 'customer.notification_dispatch', trace: 'jsonb' },
        ]);
        const { rows: counters } = await sql<{ key: string }>`select key from customer.login_throttle`.execute(old);
        expect(counters).toEqual(ran.includes('0006_customer_login_throttle') ? [{ key: 'legacy-key' }] : []);
        // The earlier orders' stock became reservations: a cancellation now releases it once.
        const { rows: reservations } = await sql<{ order_id: string; status: string; actor: string; quantity: number }>`
          select r.order_id, r.status, r.actor, l.quantity from inventory.reservation r
          join inventory.reservation_line l using (order_id) order by r.order_id`.execute(old);
        expect(reservations).toEqual([
          { order_id: held, status: 'CONFIRMED', actor: 'buyer-1', quantity: 2 },
          { order_id: cancelled, status: 'RELEASED', actor: 'buyer-2', quantity: 3 },
        ]);
      } finally {
        await old.destroy();
        await legacyDb.drop();
      }
    });
  },
);
