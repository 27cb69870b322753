import express, { type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import { createLogger, type Logger } from './logger.js';
import type { Result, UserError } from './result.js';
import {
  serviceTokenSigner,
  serviceTokenVerifier,
  ServiceTokenRejected,
  type ServiceAuth,
  type ServiceName,
} from './service-auth.js';

/*
 * Internal HTTP+JSON APIs between services (docs/adr/0010), server and client
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

/** The called service cannot be reached, timed out or failed (5xx): nothing is known to have happened. */
export class ServiceUnavailableError extends Error {
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
}

/** fetch rejects with a DOMException (not always an Error of this realm) when the deadline passes. */
const isTimeout = (error: unknown) => {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
};

/**
 * Calls another service's internal API. Every call carries a fresh-enough
 * service token and a deadline; a network failure is retried once at once
 * (a keep-alive socket the server just closed) within the same deadline, so
 * only idempotent calls belong here — all internal calls are.
 */
export class ServiceClient {
  private readonly token: () => Promise<string>;
  private readonly baseUrl: string;

  constructor(private readonly options: ServiceClientOptions) {
    this.token = serviceTokenSigner(options.auth, options.service);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * Sends one request and resolves to the validated result body (200 or 409).
   * Throws {@link ServiceUnavailableError} when the service cannot answer and
   * {@link ServiceCallError} when it refuses the call as such.
   */
  async call<T extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    resultSchema: T,
  ): Promise<z.infer<T>> {
    const { service, timeoutMs } = this.options;
    const signal = AbortSignal.timeout(timeoutMs);
    const headers = {
      authorization: `Bearer ${await this.token()}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const init = { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) };
    let response: globalThis.Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, init);
    } catch (first) {
      if (isTimeout(first)) throw new ServiceUnavailableError(service, `no answer within ${timeoutMs} ms`);
      try {
        response = await fetch(`${this.baseUrl}${path}`, init);
      } catch (error) {
        const reason = isTimeout(error) ? `no answer within ${timeoutMs} ms` : 'cannot be reached';
        throw new ServiceUnavailableError(service, reason, { cause: error });
      }
    }
    let payload: unknown;
    try {
      payload = await response.json();
    } catch (error) {
      if (isTimeout(error)) throw new ServiceUnavailableError(service, `no answer within ${timeoutMs} ms`);
      payload = undefined;
    }
    if (response.status >= 500 || response.status === 429) {
      throw new ServiceUnavailableError(service, `answered HTTP ${response.status}`);
    }
    if (response.status !== 200 && response.status !== 409)
      throw new ServiceCallError(service, response.status, payload);
    const parsed = resultSchema.safeParse(payload);
    if (!parsed.success) throw new ServiceCallError(service, response.status, payload);
    return parsed.data;
  }
}
