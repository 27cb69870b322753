import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createLogger } from '../logger.js';
import type { WakeupSource } from './relay.js';

const log = createLogger('events.listen');

export interface ListenSource {
  /** Real Postgres: a dedicated connection (LISTEN needs one that is not pooled). */
  databaseUrl?: string | undefined;
  /** Embedded PGlite: its own listen() on its single connection. */
  pglite?: PGlite | undefined;
}

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
      const next = new pg.Client({ connectionString: url });
      next.on('notification', () => onWake());
      next.on('error', (error) => {
        log.warn({ err: error, channel }, 'LISTEN connection lost; reconnecting');
        if (client === next) {
          client = null;
          next.end().catch(() => undefined);
          schedule();
        }
      });
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
      } catch (error) {
        log.warn({ err: error, channel }, 'cannot LISTEN; retrying');
        await next.end().catch(() => undefined);
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
        await client?.end().catch(() => undefined);
        client = null;
      },
    };
  };
}
