import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import {
  Kysely,
  PGliteDialect,
  PostgresDialect,
  type LogEvent,
  type PostgresPool,
  type PostgresPoolClient,
  type Transaction,
  sql,
} from 'kysely';
import pg from 'pg';
import { createLogger } from './logger.js';
import { trackPool } from './metrics.js';
import type { ReadinessCheck } from './server.js';

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
  /** Shown in `pg_stat_activity.application_name`, so an operator sees which service holds a connection. */
  applicationName?: string | undefined;
  /** Connection and statement time limits (real Postgres only); see {@link DatabaseTimeouts}. */
  timeouts?: Partial<DatabaseTimeouts> | undefined;
}

/**
 * Time limits on every Postgres connection of a pool, so that a database that
 * is down, black-holed or stuck on a lock fails a request within a known time
 * instead of hanging it (README: Configuration). Zero disables a limit.
 */
export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for a free one in the pool. */
  connectMs: number;
  /**
   * Server-side `statement_timeout`. The client gives up on a statement
   * `STATEMENT_TIMEOUT_SLACK_MS` later (the server's cancellation normally
   * comes first) and then drops the connection: that is what bounds a
   * statement on a network that silently stopped answering.
   */
  statementMs: number;
  /**
   * Server-side `idle_in_transaction_session_timeout`: a session that sits in
   * an open transaction this long (a hung process holding locks, such as the
   * outbox relay's) is ended by Postgres, which releases its locks.
   */
  idleInTransactionMs: number;
}

export const defaultDatabaseTimeouts: DatabaseTimeouts = {
  connectMs: 5_000,
  statementMs: 10_000,
  idleInTransactionMs: 15_000,
};

/** How much later than the server's statement_timeout the client stops waiting. */
export const STATEMENT_TIMEOUT_SLACK_MS = 1_000;

/**
 * The longest a statement can take to fail when Postgres is unreachable or
 * black-holed: a connection in use gives up after the statement timeout (plus
 * slack), a new one after the connect timeout. A request that needs the
 * database fails within this bound (README: Configuration).
 */
export function databaseFailureBoundMs(timeouts: DatabaseTimeouts): number {
  const statement = timeouts.statementMs > 0 ? timeouts.statementMs + STATEMENT_TIMEOUT_SLACK_MS : 0;
  return timeouts.connectMs + statement;
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
    const timeouts = { ...defaultDatabaseTimeouts, ...options.timeouts };
    const { connectMs } = timeouts;
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      application_name: options.applicationName,
      // pg-pool applies connectionTimeoutMillis both to waiting for a free
      // client and to opening one. Waiting is allowed as long as the clients
      // in use can take to fail (see databaseFailureBoundMs); opening a
      // connection gets the connect timeout alone.
      connectionTimeoutMillis: connectMs > 0 ? databaseFailureBoundMs(timeouts) : 0,
      Client: class extends pg.Client {
        constructor(config?: pg.ClientConfig) {
          super({ ...config, connectionTimeoutMillis: connectMs });
        }
      },
      statement_timeout: timeouts.statementMs,
      query_timeout: timeouts.statementMs > 0 ? timeouts.statementMs + STATEMENT_TIMEOUT_SLACK_MS : undefined,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
      // Notice a peer that vanished without closing the connection.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? parseInt8
            : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
      },
    });
    if (options.name) trackPool(options.name, pool);
    dialect = new PostgresDialect({ pool: resilientPool(pool) });
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

/**
 * A pg pool as Kysely uses it, made safe against connections that die.
 *
 * - Every client gets an `'error'` listener for its whole life. pg-pool only
 *   listens while a client is idle; a client that is checked out (in a
 *   transaction, between two statements) and loses its connection (a
 *   database restart, `pg_terminate_backend`, a reset) would otherwise emit
 *   `'error'` with no listener, which ends the process. The statement in
 *   progress fails on its own, and pg-pool discards the broken client when it
 *   is released.
 * - A statement that hits the client-side read timeout has left its
 *   connection in an unknown state (the network may be black-holed): the
 *   connection is destroyed at once, so the transaction's rollback and the
 *   next user of the pool fail or reconnect fast instead of queueing behind
 *   a statement that never ends.
 */
function resilientPool(pool: pg.Pool): PostgresPool {
  pool.on('connect', (client) => {
    client.on('error', (error) => log.warn({ err: error }, 'Postgres connection lost'));
  });
  // pg-pool re-emits an idle client's error (already logged above) after
  // dropping the client; without a listener that would end the process.
  pool.on('error', () => undefined);
  return {
    options: pool.options,
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      const query = (...args: unknown[]): unknown => {
        const result: unknown = (client.query as (...a: unknown[]) => unknown)(...args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          if (error instanceof Error && error.message === 'Query read timeout') destroyConnection(client);
          throw error;
        });
      };
      return {
        query: query as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * Ends a dedicated client (a LISTEN connection): politely, but without
 * waiting more than `timeoutMs` for a server that may be unreachable.
 */
export async function endClient(client: pg.Client, timeoutMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        destroyConnection(client);
        resolve();
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Closes a client's socket without the goodbye a dead network would never deliver. */
function destroyConnection(client: pg.Client): void {
  // pg has no public "abort" (end() waits for the server); it destroys the
  // stream itself the same way when a pipelined statement times out.
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  stream?.destroy();
}

const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: terminated by an administrator or a restart
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '57014', // query_canceled: statement_timeout
  '25P03', // idle_in_transaction_session_timeout
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
]);
const UNAVAILABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^Query read timeout$/,
  /^timeout exceeded when trying to connect$/,
  /not queryable/,
  /^Postgres connection has been discarded$/,
];

/**
 * Whether an error means the database cannot be used right now (connection
 * refused, reset or timed out, the server shutting down, a statement timeout)
 * rather than that the request or the code is wrong. Such failures are
 * answered with SERVICE_UNAVAILABLE: the client may retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = sqlState(error);
  if (code && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_NETWORK_CODES.has(code))) {
    return true;
  }
  if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  return error.cause !== undefined && error.cause !== error && isDatabaseUnavailable(error.cause);
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

/** The `/ready` check of a service's database: one round trip; required, since no request can be served without it. */
export function databaseCheck(db: Kysely<unknown>): ReadinessCheck {
  return {
    name: 'database',
    required: true,
    check: async () => {
      await sql`select 1`.execute(db);
    },
  };
}
