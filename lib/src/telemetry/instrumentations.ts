import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/** Paths probed by orchestrators and scrapers: high volume, no value as traces. */
const UNTRACED_PATHS = /^\/(health|ready|metrics)(\/|\?|$)/;

/**
 * The maintained instrumentations every service loads, configured for
 * signal over noise:
 * - http (server and client, W3C trace context in and out), without the
 *   probe and scrape endpoints;
 * - undici for `fetch` (the JWKS client, subgraph readiness, any undici
 *   subgraph fetcher), only under a traced request;
 * - express route handlers (middleware layers would only repeat the request);
 * - graphql parse, validate, execute and the resolvers that do work;
 * - pg statements (no parameter values), only inside a trace: the relay's and
 *   listeners' background polling would otherwise start a new trace each;
 * - amqplib publish and consume, which carries the context in message headers.
 * `@apollo/gateway` creates its own spans (request, plan, fetch) through the
 * OpenTelemetry API.
 */
export function createInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
      requireParentforOutgoingSpans: true,
    }),
    new UndiciInstrumentation({ requireParentforSpans: true }),
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
    new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true }),
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    new AmqplibInstrumentation(),
  ];
}
