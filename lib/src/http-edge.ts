import compression from 'compression';
import cors from 'cors';
import type express from 'express';
import type { Logger } from './logger.js';

/** The largest request body a service reads; larger ones get 413 before any parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Proxies whose `X-Forwarded-For` is believed when working out a caller's
 * address: the loopback and private ranges a load balancer, an ingress or the
 * gateway calls from. Anything else that sends the header is the client.
 */
export const DEFAULT_TRUST_PROXY = 'loopback, linklocal, uniquelocal';

/** Who may call a service from a browser on another origin. */
export interface CorsSettings {
  /** Exact origins (`scheme://host[:port]`) allowed to call; any other origin gets no CORS header at all. */
  origins: readonly string[];
  /**
   * Whether browsers may send cookies (`Access-Control-Allow-Credentials`).
   * Access tokens travel in the Authorization header, which needs no
   * credentials mode, so this is off unless something in front relies on cookies.
   */
  allowCredentials: boolean;
}

/** What a service does at its HTTP edge besides serving GraphQL. */
export interface HttpEdgeOptions {
  /** Cross-origin browser access; without it no CORS header is sent. */
  cors?: CorsSettings | undefined;
  /** Compress responses for clients that accept gzip, deflate or brotli. */
  compression?: boolean | undefined;
  /** Express `trust proxy` setting: which hops' `X-Forwarded-For` to believe. */
  trustProxy?: string | undefined;
}

/** Request headers a browser client may send (the preflight's allow list). */
const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  // Apollo Client and Sandbox identify themselves and pass CSRF prevention with these.
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-request-id',
  'traceparent',
  'tracestate',
];

/** A GraphQL-over-HTTP error response: JSON with one coded error, whatever went wrong. */
export function sendGraphQLHttpError(
  res: express.Response,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res
    .status(status)
    .set({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
    .send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** CORS and compression, mounted before every route. */
export function edgeMiddleware(options: HttpEdgeOptions): express.RequestHandler[] {
  const handlers: express.RequestHandler[] = [];
  const settings = options.cors;
  if (settings && settings.origins.length > 0) {
    const allowed = new Set(settings.origins);
    handlers.push(
      cors({
        // A function rather than the list: for an origin not in the list the
        // middleware then sends no CORS header at all, not even on a preflight.
        origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
        credentials: settings.allowCredentials,
        methods: ['GET', 'POST', 'OPTIONS'],
        allowedHeaders: CORS_ALLOWED_HEADERS,
        exposedHeaders: ['retry-after', 'x-request-id'],
        maxAge: 600,
      }),
    );
  }
  if (options.compression) handlers.push(compression());
  return handlers;
}

/**
 * Guards the GraphQL route before the body is read: only GET and POST (and
 * OPTIONS, answered empty when no CORS middleware did), and a POST must be
 * JSON. A form or text/plain POST is what a cross-site form can send, so it
 * is refused here as well as by Apollo Server's CSRF prevention.
 */
export function graphqlRouteGuard(): express.RequestHandler {
  return (req, res, next) => {
    if (req.method === 'OPTIONS') {
      res.status(204).set('allow', 'GET, POST, OPTIONS').end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendGraphQLHttpError(
        res,
        405,
        'METHOD_NOT_ALLOWED',
        `${req.method} is not allowed: send GraphQL with GET or POST`,
        {
          allow: 'GET, POST, OPTIONS',
        },
      );
      return;
    }
    if (req.method === 'POST' && !req.is('application/json')) {
      sendGraphQLHttpError(
        res,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'A GraphQL POST must have Content-Type: application/json',
      );
      return;
    }
    next();
  };
}

/** Any path no route serves: 404 in the same JSON shape as every other error. */
export function notFoundHandler(): express.RequestHandler {
  return (req, res) => {
    sendGraphQLHttpError(
      res,
      404,
      'NOT_FOUND',
      `Nothing is served at ${req.path.slice(0, 100)}; GraphQL is at /graphql`,
    );
  };
}

/**
 * The last error handler: turns what Express and the body parser throw
 * (malformed JSON, a body over the limit, an unsupported charset) into a coded
 * JSON error. Never HTML, a stack trace or a file path, in any mode; anything
 * unexpected is logged and answered as an internal error.
 */
export function httpErrorHandler(logger: Logger): express.ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
    if (status === 413 || type === 'entity.too.large') {
      sendGraphQLHttpError(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB`,
      );
    } else if (type === 'entity.parse.failed') {
      sendGraphQLHttpError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON');
    } else if (status === 415) {
      sendGraphQLHttpError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body encoding or charset is not supported');
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      sendGraphQLHttpError(res, status, 'BAD_REQUEST', 'The request could not be read');
    } else {
      logger.error({ err: error }, 'unexpected error at the HTTP edge');
      sendGraphQLHttpError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }
  };
}
