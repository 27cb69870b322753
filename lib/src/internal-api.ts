import express, { type NextFunction, type Request, type Response } from 'express';
import type { Pool } from 'undici';
import type { z } from 'zod';
import { DependencyUnavailableError, isTemporaryFailure } from './errors.js';
import { isCallTimeout, isConnectionFailure, keepAlivePool } from './http-client.js';
import { createLogger, type Logger } from './logger.js';
import { serviceCallDuration, type ServiceCallOutcome } from './metrics.js';
import { currentRequest, REQUEST_ID_HEADER } from './request-context.js';
import type { Result, UserError } from './result.js';
import {
  serviceTokenSigner,
  serviceTokenVerifier,
  ServiceTokenRejected,
  type ServiceAuth,
  type ServiceName,
} from './service-auth.js';

/*
 * Internal HTTP+JSON APIs between services (docs/adr/0015), server and client
 * side. Bodies follow the result convention: 200 {ok: true, …} and 409 {ok:
 * false, userErrors}; 400 for a malformed request, 401/403 for auth, 5xx with
 * {error: {code}} for the rest.
 */

/** The body of a 4xx/5xx answer that is not a business refusal. */
export interface InternalErrorBody {
  error: { code: string; message: string; field?: string | undefined };
}

const errorBody = (code: string, message: string, field?: string): InternalErrorBody => ({
  error: { code, message, ...(field ? { field } : {}) },
});

/** The service that made the current internal request (set by {@link internalApi}). */
export const callerOf = (res: Response): ServiceName => res.locals.serviceCaller as ServiceName;

/**
 * A service's internal API, to mount under `/internal/v1`: only callers with
 * a valid service token from `callers` get past the first handler (401 for a
 * missing or bad token, 403 for another service), bodies are JSON, unknown
 * paths get 404, a body that is not JSON 400, and anything thrown 500 (logged,
 * never shown).
 */
export function internalApi(options: {
  auth: ServiceAuth;
  callers: readonly ServiceName[];
  routes: (router: express.Router) => void;
  logger?: Logger;
}): express.Router {
  const log = options.logger ?? createLogger(`${options.auth.service}.internal`);
  const verify = serviceTokenVerifier(options.auth);
  const router = express.Router();
  router.use(async (req, res, next) => {
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      res.status(401).json(errorBody('UNAUTHENTICATED', 'A service token is required'));
      return;
    }
    let caller: ServiceName;
    try {
      caller = await verify(match[1]);
    } catch (error) {
      if (!(error instanceof ServiceTokenRejected)) throw error;
      log.info({ reason: error.message, path: req.path }, 'service token rejected');
      res.status(401).json(errorBody('UNAUTHENTICATED', 'Invalid or expired service token'));
      return;
    }
    if (!options.callers.includes(caller)) {
      log.warn({ caller, path: req.path }, 'service not allowed on this internal API');
      res.status(403).json(errorBody('FORBIDDEN', 'This service may not call this API'));
      return;
    }
    res.locals.serviceCaller = caller;
    next();
  });
  router.use(express.json({ limit: '256kb' }));
  options.routes(router);
  router.use((_req: Request, res: Response) => {
    res.status(404).json(errorBody('NOT_FOUND', 'No such internal API'));
  });
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, type } = error as { status?: number; type?: string };
    if (type === 'entity.parse.failed' || status === 400 || status === 413) {
      res.status(status ?? 400).json(errorBody('BAD_REQUEST', 'The body must be a JSON document within 256 kB'));
      return;
    }
    if (isTemporaryFailure(error)) {
      // The service's own database is unavailable: the caller may retry, as a client would.
      log.warn({ err: error, path: req.path }, 'internal API request failed: dependency unavailable');
      res
        .status(503)
        .set('retry-after', '5')
        .json(errorBody('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable; retry later'));
      return;
    }
    log.error({ err: error, path: req.path }, 'internal API failed');
    res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
  });
  return router;
}

/**
 * An internal endpoint: validates the request (params and body merged) with
 * `schema`, runs `handler`, and answers its result, 200 or 409. Invalid
 * requests get 400 naming the first field at fault.
 */
export function internalRoute<S extends z.ZodType, R extends Result<object, UserError>>(
  schema: S,
  handler: (input: z.infer<S>, res: Response) => Promise<R>,
) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const parsed = schema.safeParse({ ...(req.body ?? {}), ...req.params });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.');
      res.status(400).json(errorBody('BAD_REQUEST', `${field || 'body'}: ${issue?.message ?? 'invalid'}`, field));
      return;
    }
    try {
      const result = await handler(parsed.data, res);
      res.status(result.ok ? 200 : 409).json(result);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The called service cannot be reached, timed out or failed (5xx): nothing is
 * known to have happened. A dependency outage like a database's: answered as
 * SERVICE_UNAVAILABLE wherever it surfaces, never as an internal error.
 */
export class ServiceUnavailableError extends DependencyUnavailableError {
  constructor(
    readonly service: ServiceName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${service}: ${message}`, options);
    this.name = 'ServiceUnavailableError';
  }
}

/** The called service refused the call itself (400, 401, 403, 404): a bug or a misconfiguration, not a refusal. */
export class ServiceCallError extends Error {
  constructor(
    readonly service: ServiceName,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${service} answered HTTP ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    this.name = 'ServiceCallError';
  }
}

export interface ServiceClientOptions {
  /** Base URL of the called service, e.g. http://inventory:4002 */
  baseUrl: string;
  /** The called service: the audience of our tokens. */
  service: ServiceName;
  /** Our identity and secrets. */
  auth: ServiceAuth;
  /** Longest a call (both attempts) may take. */
  timeoutMs: number;
  /** Most connections kept open to the service (default 64). */
  connections?: number | undefined;
}

/**
 * Calls another service's internal API over a keep-alive connection pool.
 * Every call carries a fresh-enough service token, the current request's id
 * (so the callee's log lines of it share it) and a deadline; the trace
 * context travels with it (OpenTelemetry's undici instrumentation). A call
 * whose connection failed before an answer (a keep-alive socket the server
 * just closed) is sent again at once within the same deadline, so only
 * idempotent calls belong here — all internal calls are.
 */
export class ServiceClient {
  private readonly token: () => Promise<string>;
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(private readonly options: ServiceClientOptions) {
    this.token = serviceTokenSigner(options.auth, options.service);
    const base = new URL(options.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = keepAlivePool(base.origin, { timeoutMs: options.timeoutMs, connections: options.connections ?? 64 });
  }

  /**
   * Sends one request and resolves to the validated result body (200 or 409).
   * Throws {@link ServiceUnavailableError} when the service cannot answer and
   * {@link ServiceCallError} when it refuses the call as such. `call` names
   * the call in metrics (`shopgraph_service_call_duration_seconds`).
   */
  async call<T extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    resultSchema: T,
    call = 'call',
  ): Promise<z.infer<T>> {
    const started = process.hrtime.bigint();
    let outcome: ServiceCallOutcome = 'error';
    try {
      const result = await this.send(method, path, body, resultSchema);
      outcome = (result as { ok?: unknown }).ok === false ? 'refused' : 'success';
      return result;
    } catch (error) {
      if (error instanceof ServiceUnavailableError) outcome = 'unavailable';
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      serviceCallDuration.observe({ service: this.options.service, call, outcome }, seconds);
    }
  }

  private async send<T extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    resultSchema: T,
  ): Promise<z.infer<T>> {
    const { service, timeoutMs } = this.options;
    const signal = AbortSignal.timeout(timeoutMs);
    const requestId = currentRequest()?.requestId;
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.token()}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
    };
    const request = {
      path: `${this.basePath}${path}`,
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    };
    const unavailable = (error: unknown) =>
      new ServiceUnavailableError(
        service,
        isCallTimeout(error, signal) ? `no answer within ${timeoutMs} ms` : 'cannot be reached',
        { cause: error },
      );
    let status: number;
    let text: string;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.pool.request(request);
        status = response.statusCode;
        text = await response.body.text();
        break;
      } catch (error) {
        if (attempt === 1 && isConnectionFailure(error) && !signal.aborted) continue;
        if (isCallTimeout(error, signal) || isConnectionFailure(error)) throw unavailable(error);
        throw error;
      }
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = undefined;
    }
    if (status >= 500 || status === 429) throw new ServiceUnavailableError(service, `answered HTTP ${status}`);
    if (status !== 200 && status !== 409) throw new ServiceCallError(service, status, payload);
    const parsed = resultSchema.safeParse(payload);
    if (!parsed.success) throw new ServiceCallError(service, status, payload);
    return parsed.data;
  }

  /** Closes the connections (on shutdown). */
  close(): Promise<void> {
    return this.pool.close();
  }
}
