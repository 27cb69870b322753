import { createLogger, SUBGRAPH_SCHEMAS, SUBGRAPHS, type SubgraphName } from '@shopgraph/lib';
import pg from 'pg';

/*
 * Databases, roles and schemas for subgraphs that each own their data
 * (docs/adr/0013). Each subgraph's URL names its database, its role and the
 * role's password; this creates whatever is missing and makes the role the
 * owner of its schema and of everything in it, with no rights anywhere else.
 * Idempotent: run it before every migration (the compose file's `migrate`
 * service does), also to adopt a database built by an earlier release.
 */

const log = createLogger('provision');

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

export interface SubgraphTarget {
  database: string;
  role: string;
  password: string | undefined;
}

/** The database, role and password a subgraph's connection URL names. */
export function targetOf(url: string): SubgraphTarget {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const role = decodeURIComponent(parsed.username);
  if (!database || !role) throw new Error(`${parsed.host}: a subgraph URL must name its user and its database`);
  return { database, role, password: parsed.password ? decodeURIComponent(parsed.password) : undefined };
}

/** How long opening an admin connection may take before provisioning gives up. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Runs `work` on a connection of its own to `url`, closed afterwards. A
 * server that does not answer fails it within the connect timeout; a
 * connection lost meanwhile fails the statement in progress, not the process.
 */
export async function withPgClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', (error) => log.warn({ err: error }, 'provisioning connection lost'));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const onDatabase = (adminUrl: string, database: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
};

/**
 * Creates (or brings up to date) the database, role and schema of each given
 * subgraph, connecting to the server as `adminUrl` (a superuser, or a role
 * with CREATEDB and CREATEROLE that may grant what it creates).
 *
 * - The role logs in with the URL's password and owns its schema and every
 *   table, view and sequence in it; it has no privilege on the other schemas.
 * - Nobody but the roles of the subgraphs that live in a database may connect
 *   to it (PUBLIC's CONNECT and TEMPORARY are revoked).
 * - Where a database still has the single migration history of an earlier
 *   release, each role may read it, so its migrator can adopt it.
 */
export async function provision(adminUrl: string, urls: Partial<Record<SubgraphName, string>>): Promise<void> {
  const targets = SUBGRAPHS.flatMap((subgraph) => {
    const url = urls[subgraph];
    return url ? [{ subgraph, ...targetOf(url) }] : [];
  });
  await withPgClient(adminUrl, async (admin) => {
    for (const { role, password } of targets) {
      const exists = await admin.query('select 1 from pg_roles where rolname = $1', [role]);
      const auth = `login ${password === undefined ? '' : `password ${literal(password)}`}`;
      await admin.query(`${exists.rowCount ? 'alter' : 'create'} role ${ident(role)} with ${auth}`);
    }
    for (const database of new Set(targets.map((t) => t.database))) {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
      if (!exists.rowCount) {
        await admin.query(`create database ${ident(database)}`);
        log.info({ database }, 'created database');
      }
      await admin.query(`revoke connect, temporary on database ${ident(database)} from public`);
      for (const { role } of targets.filter((t) => t.database === database)) {
        await admin.query(`grant connect on database ${ident(database)} to ${ident(role)}`);
      }
    }
  });
  for (const { subgraph, database, role } of targets) {
    const schema = SUBGRAPH_SCHEMAS[subgraph];
    await withPgClient(onDatabase(adminUrl, database), async (db) => {
      await db.query(`create schema if not exists ${ident(schema)} authorization ${ident(role)}`);
      await db.query(`alter schema ${ident(schema)} owner to ${ident(role)}`);
      await db.query(`revoke all on schema ${ident(schema)} from public`);
      // Tables built by an earlier release (or by another role) become the role's.
      const owned = await db.query<{ statement: string }>(
        `select format('alter %s %I.%I owner to %I',
                  case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
                                 when 'S' then 'sequence' else 'table' end,
                  n.nspname, c.relname, $2::text) as statement
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
            and pg_get_userbyid(c.relowner) <> $2
            -- Sequences of identity and serial columns follow their table.
            and not (c.relkind = 'S' and exists (
              select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))`,
        [schema, role],
      );
      for (const { statement } of owned.rows) await db.query(statement);
      const legacy = await db.query(`select to_regclass('public.shopgraph_migration') is not null as present`);
      if (legacy.rows[0]?.present) await db.query(`grant select on public.shopgraph_migration to ${ident(role)}`);
      log.info({ subgraph, database, role, schema, reassigned: owned.rowCount }, 'provisioned');
    });
  }
}
