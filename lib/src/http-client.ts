import { Pool } from 'undici';

/*
 * How every service calls another over HTTP (the gateway its subgraphs, the
 * order service its neighbours' internal APIs): a keep-alive connection pool
 * per target with a deadline on every call, and one reading of undici's
 * errors into "could not connect" and "no answer in time".
 */

export interface KeepAlivePoolOptions {
  /** Longest one call may take, from connecting to the last byte of the answer. */
  timeoutMs: number;
  /** Most connections kept open to the target. */
  connections: number;
}

/**
 * A keep-alive pool to `origin`. Idle sockets are closed after 30 s, sooner
 * than the services close theirs (75 s, `startService`), so a call never
 * goes out on a socket the server is just closing.
 */
export function keepAlivePool(origin: string, options: KeepAlivePoolOptions): Pool {
  return new Pool(origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: Math.min(options.timeoutMs, 10_000) },
  });
}

/** undici error codes of a connection that failed or broke before the answer arrived. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** The call could not reach the target, or its connection broke before the answer: nothing was answered. */
export function isConnectionFailure(error: unknown): boolean {
  const code = codeOf(error);
  return typeof code === 'string' && CONNECTION_ERRORS.has(code);
}

/** The call's deadline (`signal`) passed, or undici's own header or body timeout did. */
export function isCallTimeout(error: unknown, signal: AbortSignal): boolean {
  const code = codeOf(error);
  return signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}
