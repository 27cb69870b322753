import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Logger } from './logger.js';
import { graphqlErrors, graphqlRequestDuration, type RequestOutcome } from './metrics.js';
import {
  currentRequest,
  loggableOperationName,
  REQUEST_ID_HEADER,
  requestIdFrom,
  runInRequest,
  type RequestContext,
} from './request-context.js';
import { currentTraceIds } from './telemetry/trace-context.js';

/**
 * The metrics label of an operation: its type and root field, e.g.
 * `mutation.placeOrder`, `query.products`, `query._entities` (the gateway's
 * entity fetches); `<type>.(multiple)` for several root fields. Only
 * operations that passed validation get one, so every value is a field of the
 * schema: a bounded set, unlike the operation names clients choose.
 */
export function operationLabel(operation: OperationDefinitionNode): string {
  const fields = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') fields.add(selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      for (const inner of selection.selectionSet.selections) {
        if (inner.kind === Kind.FIELD && inner.name.value !== '__typename') fields.add(inner.name.value);
      }
    } else {
      // A fragment spread at the root: its fields are not looked up here.
      fields.add('(fragment)');
    }
  }
  if (fields.size === 1) return `${operation.operation}.${[...fields][0]!}`;
  return `${operation.operation}.${fields.size === 0 ? '(none)' : '(multiple)'}`;
}

/** Where every service serves its internal API (calls from other services). */
const INTERNAL_PATH = '/internal/';

/** The label of a request that never reached a valid operation (bad token, parse or validation error). */
export const NO_OPERATION = '(none)';

/** A request's outcome from its HTTP status and the error codes it answered. */
export function requestOutcome(status: number, errorCodes: readonly string[]): RequestOutcome {
  if (status >= 500 || errorCodes.includes('INTERNAL_SERVER_ERROR')) return 'server_error';
  if (status >= 400 || errorCodes.length > 0) return 'client_error';
  return 'success';
}

/**
 * Express middleware, first in the chain of every service: gives the request
 * an id (the client's `x-request-id` when sane, a new one otherwise), echoes
 * it in the response, and runs the rest of the chain in a
 * {@link RequestContext} so every log line written meanwhile carries it with
 * the trace id. When the response is finished it writes one access log line
 * (operation, duration, outcome, error codes; never variables or headers)
 * and, for GraphQL requests, records the request metrics.
 */
export function requestObservability(options: { service: string; graphqlPath: string; logger: Logger }) {
  const { service, graphqlPath, logger } = options;
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const request: RequestContext = {
      requestId: requestIdFrom(req.headers[REQUEST_ID_HEADER]),
      service,
      errorCodes: [],
    };
    res.setHeader(REQUEST_ID_HEADER, request.requestId);
    // Taken now, while the HTTP server span is active: 'finish' may fire outside it.
    const ids = currentTraceIds();
    // Also taken now: routers mounted on a path rewrite req.path for their handlers.
    const path = req.path;
    const graphql = path === graphqlPath;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.writableFinished ? res.statusCode : 499;
      const codes = [...new Set(request.errorCodes)];
      const outcome = requestOutcome(status, codes);
      const entry = {
        requestId: request.requestId,
        ...(ids ? { traceId: ids.traceId } : {}),
        method: req.method,
        path,
        status,
        durationMs: Math.round(seconds * 10_000) / 10,
        ...(graphql
          ? {
              operationName: request.operationName ?? null,
              operation: request.operation ?? NO_OPERATION,
              outcome,
              errorCodes: codes,
            }
          : {}),
      };
      if (!graphql) {
        // Calls between services are part of serving a client's request: logged like it.
        logger[path.startsWith(INTERNAL_PATH) ? (status >= 500 ? 'warn' : 'info') : 'debug'](entry, 'request');
        return;
      }
      const operation = request.operation ?? NO_OPERATION;
      graphqlRequestDuration.observe({ service, operation, outcome }, seconds);
      for (const code of codes) graphqlErrors.inc({ service, operation, code });
      logger[outcome === 'server_error' ? 'warn' : 'info'](entry, 'request');
    };
    res.once('finish', finish);
    res.once('close', finish);
    runInRequest(request, next);
  };
}

/**
 * Apollo Server plugin that tells the request context which operation is
 * served: the client's operation name for the access log, and the bounded
 * {@link operationLabel} for metrics once the operation is valid.
 */
export const requestObservabilityPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart({ request: { operationName } }) {
    const request = currentRequest();
    if (!request) return;
    request.operationName = loggableOperationName(operationName);
    return {
      async didResolveOperation({ operation, operationName: resolved }) {
        if (operation) request.operation = operationLabel(operation);
        request.operationName = loggableOperationName(resolved) ?? request.operationName;
      },
    };
  },
};
