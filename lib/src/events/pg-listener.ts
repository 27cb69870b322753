import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { defaultDatabaseTimeouts, endClient } from '../db.js';
import { createLogger } from '../logger.js';
import type { WakeupSource } from './relay.js';

const log = createLogger('events.listen');

export interface ListenSource {
  /** Real Postgres: a dedicated connection (LISTEN needs one that is not pooled). */
  databaseUrl?: string | undefined;
  /** Embedded PGlite: its own listen() on its single connection. */
  pglite?: PGlite | undefined;
  /** Shown in `pg_stat_activity.application_name`. */
  applicationName?: string | undefined;
  /** Opening the connection (default: the database connect timeout). */
  connectTimeoutMs?: number | undefined;
}

/**
 * How often the LISTEN connection proves it is alive. A connection on a
 * network that went silent gets no error and no notification; the probe's
 * timeout finds it and a new connection replaces it.
 */
const LISTEN_PROBE_INTERVAL_MS = 30_000;

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A {@link WakeupSource} on Postgres LISTEN/NOTIFY. On real Postgres it keeps
 * one dedicated connection, reconnecting with back-off when it drops (and
 * waking the listener after each reconnect, since notifications sent while it
 * was away are lost; the relay's polling covers the gap too).
 */
export function postgresWakeups(source: ListenSource, channel: string): WakeupSource {
  return async (onWake) => {
    if (source.pglite) {
      const unsubscribe = await source.pglite.listen(channel, () => onWake());
      return { close: () => unsubscribe() };
    }
    if (!source.databaseUrl) throw new Error('postgresWakeups needs a databaseUrl or a PGlite instance');
    const url = source.databaseUrl;
    let client: pg.Client | null = null;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let delay = 250;

    const connect = async (): Promise<void> => {
      if (closed) return;
      const next = new pg.Client({
        connectionString: url,
        application_name: source.applicationName,
        connectionTimeoutMillis: source.connectTimeoutMs ?? defaultDatabaseTimeouts.connectMs,
        query_timeout: 5_000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      });
      next.on('notification', () => onWake());
      const lost = (error: unknown) => {
        if (client !== next) return;
        log.warn({ err: error, channel }, 'LISTEN connection lost; reconnecting');
        client = null;
        void endClient(next);
        schedule();
      };
      next.on('error', lost);
      try {
        await next.connect();
        await next.query(`LISTEN ${quoteIdent(channel)}`);
        if (closed) {
          await next.end();
          return;
        }
        client = next;
        delay = 250;
        onWake();
        const probe = setInterval(() => {
          if (client !== next) clearInterval(probe);
          else next.query('select 1').catch(lost);
        }, LISTEN_PROBE_INTERVAL_MS).unref();
      } catch (error) {
        log.warn({ err: error, channel }, 'cannot LISTEN; retrying');
        await endClient(next);
        schedule();
      }
    };
    const schedule = () => {
      if (closed || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, delay);
      delay = Math.min(delay * 2, 10_000);
    };

    await connect();
    return {
      close: async () => {
        closed = true;
        clearTimeout(timer);
        const last = client;
        client = null;
        if (last) await endClient(last);
      },
    };
  };
}
