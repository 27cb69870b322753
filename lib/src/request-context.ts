import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The header a request id travels in: from the client, back in the response, and on to subgraphs. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What is known about the request being served, for logs and metrics. */
export interface RequestContext {
  requestId: string;
  /** The service serving it (several share a process under `pnpm start`). */
  service: string;
  /** The client's operation name, if any (access log only: clients choose it). */
  operationName?: string | undefined;
  /** The bounded metrics label of the operation (see `operationLabel`). */
  operation?: string | undefined;
  /** `extensions.code` of every error answered. */
  errorCodes: string[];
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The request being served by the current async call chain, if any. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `work` as part of serving `request`: logs and metrics written meanwhile belong to it. */
export function runInRequest<T>(request: RequestContext, work: () => T): T {
  return storage.run(request, work);
}

/**
 * A client's request id, if it is sane: 1 to 128 characters of letters,
 * digits and `-_.:+/=`, so it can go into logs and headers as it is.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/** The client's request id when it sent a sane one, otherwise a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** A client's operation name as it may appear in a log line: a GraphQL name, at most 100 characters. */
export function loggableOperationName(name: unknown): string | undefined {
  return typeof name === 'string' && /^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name) ? name : undefined;
}

/** Notes an error code answered to the client of the current request (for its access log line and metrics). */
export function noteErrorCode(code: string): void {
  storage.getStore()?.errorCodes.push(code);
}
