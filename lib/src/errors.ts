import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable } from './db.js';
import type { Logger } from './logger.js';
import { noteErrorCode } from './request-context.js';

/**
 * Error codes a client may see with their original message. Anything else is
 * an internal failure: logged with its context and masked.
 */
const CLIENT_ERROR_CODES = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_COMPLEX',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'QUERY_NOT_IN_SAFELIST',
  // A subgraph did not answer: the client gets the rest of the data and this
  // code for the missing part (the message never names the subgraph).
  'SERVICE_UNAVAILABLE',
]);

/**
 * A dependency (the database, the token issuer's key set) cannot be used
 * right now. Requests that need it fail fast with SERVICE_UNAVAILABLE, which
 * tells the client the same request may succeed if retried later.
 */
export class DependencyUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** Whether an error is a temporary outage of a dependency rather than a bug or bad input. */
export function isTemporaryFailure(error: unknown): boolean {
  return error instanceof DependencyUnavailableError || isDatabaseUnavailable(error);
}

const SERVICE_UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable; retry later';

/**
 * A request-level SERVICE_UNAVAILABLE: HTTP 503 with Retry-After, for a
 * request rejected as a whole before any resolver ran.
 */
export function serviceUnavailableRequest(retryAfterSeconds = 5): GraphQLError {
  return new GraphQLError(SERVICE_UNAVAILABLE_MESSAGE, {
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      http: { status: 503, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

export function badUserInput(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });
}

/** The operation needs a logged-in caller (a resolver's check; the response stays HTTP 200). */
export function unauthenticated(message = 'Authentication required'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' } });
}

/** The request's credentials are bad: rejected as a whole with HTTP 401, before any resolver runs. */
export function unauthenticatedRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * A service this request depends on cannot be reached or did not answer in
 * time: nothing was changed and the client may try again.
 */
export function serviceUnavailable(message = 'A service this request needs is unavailable; try again'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'SERVICE_UNAVAILABLE' } });
}

export function forbidden(message = 'Not allowed'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

/**
 * Apollo Server `formatError` hook: passes client errors through without a
 * stack trace and replaces everything else with a generic internal error,
 * after logging the original.
 */
export function maskErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let code = formatted.extensions?.code;
    // Apollo files every validation rule's error under GRAPHQL_VALIDATION_FAILED;
    // a rule that found bad input (an unknown enum value) keeps its own code.
    const original = error instanceof GraphQLError ? error.originalError : undefined;
    if (code === 'GRAPHQL_VALIDATION_FAILED' && original instanceof GraphQLError) {
      if (original.extensions.code === 'BAD_USER_INPUT') code = 'BAD_USER_INPUT';
    }
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      // Only the code and the field at fault travel: no stack trace, and none
      // of the gateway's internals (subgraph names, URLs, raw responses).
      const field = formatted.extensions?.field;
      noteErrorCode(code);
      return { ...formatted, extensions: { code, ...(typeof field === 'string' ? { field } : {}) } };
    }
    const cause = unwrapResolverError(error);
    if (isTemporaryFailure(cause)) {
      // A dependency outage, not a bug: the client may retry. Logged at warn
      // with the cause; the client learns nothing about which dependency.
      logger.warn({ err: cause, path: formatted.path }, 'request failed: dependency unavailable');
      noteErrorCode('SERVICE_UNAVAILABLE');
      return {
        message: SERVICE_UNAVAILABLE_MESSAGE,
        ...(formatted.path ? { path: formatted.path } : {}),
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      };
    }
    logger.error({ err: cause, path: formatted.path, code }, 'internal error');
    noteErrorCode('INTERNAL_SERVER_ERROR');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
