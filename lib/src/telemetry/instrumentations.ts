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

/** The instrumentations by the short names `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `..._DISABLED_...` use. */
const INSTRUMENTATIONS: Record<string, () => Instrumentation> = {
  http: () =>
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
      requireParentforOutgoingSpans: true,
    }),
  undici: () => new UndiciInstrumentation({ requireParentforSpans: true }),
  express: () => new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
  // Resolver spans only for root fields (placeOrder, products, _entities):
  // the resolvers that do the work. A span per field of every list item
  // would cost more than the rest of the request's tracing together.
  graphql: () => new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, depth: 1 }),
  pg: () => new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
  amqplib: () => new AmqplibInstrumentation(),
};

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

/**
 * The maintained instrumentations every service loads, configured for
 * signal over noise:
 * - http (server and client, W3C trace context in and out), without the
 *   probe and scrape endpoints;
 * - undici for `fetch` (the JWKS client, subgraph readiness, any undici
 *   subgraph fetcher), only under a traced request;
 * - express route handlers (middleware layers would only repeat the request);
 * - graphql parse, validate, execute and root field resolvers;
 * - pg statements (no parameter values), only inside a trace: the relay's and
 *   listeners' background polling would otherwise start a new trace each;
 * - amqplib publish and consume, which carries the context in message headers.
 * `@apollo/gateway` creates its own spans (request, plan, fetch) through the
 * OpenTelemetry API. The standard `OTEL_NODE_ENABLED_INSTRUMENTATIONS` and
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` (comma-separated short names: http,
 * undici, express, graphql, pg, amqplib) select among them.
 */
export function createInstrumentations(env: NodeJS.ProcessEnv = process.env): Instrumentation[] {
  const enabled = list(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS);
  const disabled = new Set(list(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS));
  return Object.entries(INSTRUMENTATIONS)
    .filter(([name]) => (enabled.length === 0 || enabled.includes(name)) && !disabled.has(name))
    .map(([, create]) => create());
}
