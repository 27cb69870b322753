import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, type LogEvent, type Transaction } from 'kysely';
import pg from 'pg';
import { createLogger } from './logger.js';
import { trackPool } from './metrics.js';

const log = createLogger('db');

const INT8_OID = 20;

/**
 * int8 (bigint, count(*)) as a JS number. Money is stored as int8 minor units;
 * 2^53 minor units is far beyond any order, but we refuse silently wrong
 * values rather than round them.
 */
function parseInt8(value: string | bigint | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${String(value)} exceeds the safe integer range`);
  return n;
}

export interface DatabaseOptions {
  /** postgres:// URL; without it the embedded PGlite database is used. */
  databaseUrl?: string | undefined;
  /** Names the connection pool in metrics (`shopgraph_db_pool_*{pool}`); unnamed pools are not reported. */
  name?: string | undefined;
  /** Maximum pool size per process for real Postgres. */
  poolSize?: number | undefined;
  /** An already-open PGlite instance (the embedded launcher shares one between subgraphs). */
  pglite?: PGlite | undefined;
  /** Called with every executed statement; used by tests and diagnostics. */
  onQuery?: ((sql: string) => void) | undefined;
  /** Statements slower than this many milliseconds are logged at warn. */
  slowQueryMs?: number | undefined;
}

/**
 * Opens (and creates) the embedded PGlite database persisted under `dataDir`,
 * or an in-memory one when `dataDir` is undefined.
 */
export async function openPglite(dataDir?: string): Promise<PGlite> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Loaded on demand: only the embedded mode needs it, so the service images
  // (real Postgres) leave its 27 MB WebAssembly build out.
  const { PGlite } = await import('@electric-sql/pglite').catch((error: unknown) => {
    throw new Error('the embedded database (@electric-sql/pglite) is not installed here: set DATABASE_URL', {
      cause: error,
    });
  });
  const db = await PGlite.create(dataDir, {
    parsers: { [INT8_OID]: (value: string) => parseInt8(value) },
  });
  return db;
}

/**
 * Creates the Kysely instance a service uses: real Postgres when a URL is
 * given, otherwise the supplied PGlite. Same SQL either way: only the dialect
 * differs.
 */
export function createDatabase<DB>(options: DatabaseOptions): Kysely<DB> {
  const { databaseUrl, pglite, onQuery, slowQueryMs = 500 } = options;
  let dialect;
  if (databaseUrl) {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? parseInt8
            : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection (database restart) must not crash
    // the process; the pool replaces it on next use.
    pool.on('error', (error) => log.warn({ err: error }, 'idle Postgres client error'));
    if (options.name) trackPool(options.name, pool);
    dialect = new PostgresDialect({ pool });
  } else if (pglite) {
    dialect = new PGliteDialect({ pglite });
  } else {
    throw new Error('createDatabase needs either databaseUrl or an open PGlite instance');
  }
  return new Kysely<DB>({
    dialect,
    log(event: LogEvent) {
      if (event.level === 'query') {
        onQuery?.(event.query.sql);
        if (event.queryDurationMillis > slowQueryMs) {
          log.warn({ ms: Math.round(event.queryDurationMillis), sql: event.query.sql }, 'slow query');
        }
      } else {
        onQuery?.(event.query.sql);
        log.debug({ err: event.error, sql: event.query.sql }, 'query failed');
      }
    },
  });
}

/** The Postgres SQLSTATE of an error thrown by pg or PGlite, if any. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505';

/** Deadlock detected or serialization failure: the transaction may simply be run again. */
export const isRetryableTransactionError = (error: unknown): boolean => {
  const code = sqlState(error);
  return code === '40P01' || code === '40001';
};

/**
 * Runs `work` in a transaction and runs it again (with jittered back-off) when
 * Postgres aborts it with a deadlock or serialization failure, so such a
 * conflict never reaches a client. Anything else propagates unchanged.
 */
export async function transactionWithRetry<DB, T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableTransactionError(error)) throw error;
      const delay = Math.random() * 10 * 2 ** attempt;
      log.info({ attempt, code: sqlState(error), delay }, 'retrying transaction');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
export type { PGlite } from '@electric-sql/pglite';
