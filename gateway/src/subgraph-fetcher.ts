import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleType,
  handleWhen,
  isBrokenCircuitError,
  retry,
} from 'cockatiel';
import { isCallTimeout, isConnectionFailure, keepAlivePool, type Logger } from '@shopgraph/lib';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse['headers'];

/** How the gateway calls one subgraph. */
export interface SubgraphCallSettings {
  /** Longest one call may take, from connecting to the last byte of the answer. */
  timeoutMs: number;
  /** Further attempts for a query whose connection failed (mutations are never retried). */
  queryRetries: number;
  /** Consecutive failed calls (unreachable or timed out) that open the circuit breaker. */
  breakerFailures: number;
  /** How long an open breaker fails calls at once before it lets one through to probe. */
  breakerCooldownMs: number;
  /** Most connections kept open to the subgraph. */
  connections: number;
}

export const DEFAULT_SUBGRAPH_CALLS: SubgraphCallSettings = {
  timeoutMs: 30_000,
  queryRetries: 2,
  breakerFailures: 5,
  breakerCooldownMs: 5_000,
  connections: 128,
};

/** Why a subgraph call produced no answer. */
export type UnavailableReason = 'timeout' | 'unreachable' | 'circuit-open';

/** A subgraph call that got no answer: the gateway reports the missing part with a code, not as a crash. */
export class SubgraphUnavailable extends Error {
  override name = 'SubgraphUnavailable';
  constructor(
    readonly subgraph: string,
    readonly reason: UnavailableReason,
    options?: { cause?: unknown },
  ) {
    super(`subgraph ${subgraph}: ${reason}`, options);
  }
}

/** Response headers as the data source reads them (a plain map, lower-case names). */
class ResponseHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();
  constructor(raw: IncomingHttpHeaders) {
    for (const [name, value] of Object.entries(raw)) {
      if (value !== undefined) this.map.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const current = this.map.get(key);
    this.map.set(key, current === undefined ? value : `${current}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  entries() {
    return this.map.entries();
  }
  keys() {
    return this.map.keys();
  }
  values() {
    return this.map.values();
  }
  [Symbol.iterator]() {
    return this.map.entries();
  }
}

/** A fully read response: the data source always reads the whole body anyway. */
function bufferedResponse(url: string, status: number, headers: FetcherHeaders, body: string): FetcherResponse {
  const response: FetcherResponse = {
    bodyUsed: false,
    url,
    redirected: false,
    status,
    ok: status >= 200 && status < 300,
    statusText: STATUS_CODES[status] ?? '',
    headers,
    text: async () => body,
    json: async () => JSON.parse(body) as unknown,
    arrayBuffer: async () => {
      const bytes = Buffer.from(body);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
    clone: () => bufferedResponse(url, status, headers, body),
  };
  return response;
}

/**
 * Whether a subgraph request may be sent again. The data source serialises
 * `{ query, … }` with the query planner's operation text first, which starts
 * with `query` or `{` for a read. Anything else (a mutation, or a body of
 * another shape) is never retried.
 */
function isReadOperation(body: unknown): boolean {
  return typeof body === 'string' && (body.startsWith('{"query":"query') || body.startsWith('{"query":"{'));
}

export interface SubgraphFetcher {
  fetcher: Fetcher;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

/**
 * The gateway's HTTP client for one subgraph: a keep-alive undici pool, a
 * deadline per call, retries of reads whose connection failed, and a circuit
 * breaker (cockatiel) that fails calls at once while the subgraph is down, so
 * a dead or hung subgraph costs a request at most one timeout and then
 * nothing until it recovers.
 */
export function createSubgraphFetcher(
  subgraph: string,
  url: string,
  settings: SubgraphCallSettings,
  logger: Logger,
): SubgraphFetcher {
  const target = new URL(url);
  const path = target.pathname + target.search;
  const pool = keepAlivePool(target.origin, { timeoutMs: settings.timeoutMs, connections: settings.connections });

  const send = async (init: Parameters<Fetcher>[1]): Promise<FetcherResponse> => {
    const signal = AbortSignal.timeout(settings.timeoutMs);
    try {
      const response = await pool.request({
        path,
        method: (init?.method ?? 'POST') as 'POST',
        headers: init?.headers,
        body: init?.body,
        signal,
      });
      const body = await response.body.text();
      return bufferedResponse(url, response.statusCode, new ResponseHeaders(response.headers), body);
    } catch (error) {
      if (isCallTimeout(error, signal)) throw new SubgraphUnavailable(subgraph, 'timeout', { cause: error });
      if (isConnectionFailure(error)) throw new SubgraphUnavailable(subgraph, 'unreachable', { cause: error });
      throw error;
    }
  };

  const breaker = circuitBreaker(handleType(SubgraphUnavailable), {
    halfOpenAfter: settings.breakerCooldownMs,
    breaker: new ConsecutiveBreaker(settings.breakerFailures),
  });
  breaker.onBreak(() => logger.warn({ subgraph }, 'subgraph circuit opened: calls fail fast'));
  breaker.onHalfOpen(() => logger.info({ subgraph }, 'subgraph circuit half-open: probing'));
  breaker.onReset(() => logger.info({ subgraph }, 'subgraph circuit closed: calls flow again'));

  const retryReads = retry(
    handleWhen((error) => error instanceof SubgraphUnavailable && error.reason === 'unreachable'),
    { maxAttempts: settings.queryRetries, backoff: new ExponentialBackoff({ initialDelay: 20, maxDelay: 200 }) },
  );

  const fetcher: Fetcher = async (_url, init) => {
    const once = () => breaker.execute(() => send(init));
    try {
      return await (isReadOperation(init?.body) ? retryReads.execute(once) : once());
    } catch (error) {
      if (isBrokenCircuitError(error)) throw new SubgraphUnavailable(subgraph, 'circuit-open', { cause: error });
      if (error instanceof SubgraphUnavailable) logger.warn({ subgraph, reason: error.reason }, 'subgraph call failed');
      throw error;
    }
  };

  return { fetcher, close: () => pool.close() };
}
