import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { maskErrors } from './errors.js';
import {
  DEFAULT_TRUST_PROXY,
  edgeMiddleware,
  graphqlRouteGuard,
  httpErrorHandler,
  MAX_BODY_BYTES,
  notFoundHandler,
  type HttpEdgeOptions,
} from './http-edge.js';
import { createLogger, type Logger } from './logger.js';
import { noSubscriptions, storableStringLiterals, storableStringVariables } from './operation-rules.js';
import { collectProcessMetrics, metricsHandler } from './metrics.js';
import { requestObservability, requestObservabilityPlugin } from './request-observability.js';

export interface ServiceOptions<TContext extends BaseContext> {
  /** Service name, used in logs and health responses. */
  name: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind; defaults to all interfaces. */
  host?: string | undefined;
  /** Apollo Server options: a `schema` for a subgraph or a `gateway`. */
  apollo: Omit<ApolloServerOptions<TContext>, 'formatError' | 'plugins'> & {
    plugins?: ApolloServerOptions<TContext>['plugins'];
  };
  /** Builds the per-request context. Throwing a GraphQLError rejects the request. */
  context: (req: express.Request) => Promise<TContext>;
  /** Throws when a dependency (database, broker) is unreachable; drives `/ready`. */
  ready?: () => Promise<void>;
  /** Serve the Apollo Sandbox landing page (off in production). */
  sandbox: boolean;
  /** Extra routes (for example a JWKS document) mounted before GraphQL. */
  routes?: (app: express.Express) => void;
  /** CORS, compression and which proxies to trust; off unless given. */
  edge?: HttpEdgeOptions | undefined;
  logger?: Logger;
}

export interface RunningService {
  name: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:4001 */
  url: string;
  /** GraphQL endpoint URL. */
  graphqlUrl: string;
  /** Stops accepting requests, drains in-flight ones and stops Apollo. */
  stop(): Promise<void>;
}

/**
 * Starts one GraphQL HTTP service: Apollo Server on Express with `/graphql`,
 * `/health` (process is alive) and `/ready` (dependencies reachable), error
 * masking, a request body limit, and a drain on stop.
 */
export async function startService<TContext extends BaseContext>(
  options: ServiceOptions<TContext>,
): Promise<RunningService> {
  const logger = options.logger ?? createLogger(options.name);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.edge?.trustProxy ?? DEFAULT_TRUST_PROXY);
  app.use(requestObservability({ service: options.name, graphqlPath: '/graphql', logger }));
  const httpServer = http.createServer(app);
  // Keep idle keep-alive connections open longer than clients (the gateway's
  // fetch agent, load balancers) keep theirs: otherwise the server may close a
  // socket just as a client reuses it, and that request fails with ECONNRESET.
  httpServer.keepAliveTimeout = 75_000;
  httpServer.headersTimeout = 76_000;

  const apollo = new ApolloServer<TContext>({
    ...(options.apollo as ApolloServerOptions<TContext>),
    formatError: maskErrors(logger),
    includeStacktraceInErrorResponses: false,
    // Every service refuses, as the client's error, what none of them can
    // serve: subscriptions, and strings Postgres cannot store.
    validationRules: [noSubscriptions, storableStringLiterals, ...(options.apollo.validationRules ?? [])],
    plugins: [
      storableStringVariables(),
      requestObservabilityPlugin,
      ...(options.apollo.plugins ?? []),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      options.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ],
    logger: {
      debug: (msg: string) => logger.debug(msg),
      info: (msg: string) => logger.info(msg),
      warn: (msg: string) => logger.warn(msg),
      error: (msg: string) => logger.error(msg),
    },
  });
  await apollo.start();

  for (const handler of edgeMiddleware(options.edge ?? {})) app.use(handler);
  addProbes(app, options.name, options.ready, logger);
  options.routes?.(app);
  app.all(
    '/graphql',
    graphqlRouteGuard(),
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, { context: ({ req }) => options.context(req) }),
  );
  // Whatever went wrong at the HTTP level is answered in GraphQL-over-HTTP
  // JSON with a code, never Express's HTML page.
  app.use(notFoundHandler());
  app.use(httpErrorHandler(logger));

  const port = await listen(httpServer, options.port, options.host);
  const host = options.host && options.host !== '0.0.0.0' ? options.host : 'localhost';
  const url = `http://${host}:${port}`;
  logger.info({ url: `${url}/graphql` }, `${options.name} listening`);

  let stopped: Promise<void> | undefined;
  return {
    name: options.name,
    port,
    url,
    graphqlUrl: `${url}/graphql`,
    stop: () => (stopped ??= apollo.stop()),
  };
}

/**
 * `/health` (the process is alive), `/ready` (`ready` resolves: dependencies
 * are reachable) and `/metrics` (Prometheus text).
 */
function addProbes(app: express.Express, name: string, ready: (() => Promise<void>) | undefined, logger: Logger): void {
  collectProcessMetrics();
  app.get('/metrics', metricsHandler);
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: name });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await ready?.();
      res.json({ status: 'ready', service: name });
    } catch (error) {
      logger.warn({ err: error }, 'not ready');
      res.status(503).json({ status: 'unavailable', service: name });
    }
  });
}

async function listen(server: http.Server, port: number, host: string | undefined): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Serves only `/health`, `/ready` and `/metrics`, for a worker process
 * without a GraphQL API (the standalone outbox relay), so orchestrators can
 * probe and scrape it like the services. Resolves to a function that closes it.
 */
export async function startProbeServer(options: {
  name: string;
  port: number;
  host?: string | undefined;
  ready: () => Promise<void>;
  logger?: Logger;
}): Promise<() => Promise<void>> {
  const logger = options.logger ?? createLogger(options.name);
  const app = express();
  app.disable('x-powered-by');
  app.use(requestObservability({ service: options.name, graphqlPath: '/graphql', logger }));
  addProbes(app, options.name, options.ready, logger);
  app.use(notFoundHandler());
  app.use(httpErrorHandler(logger));
  const server = http.createServer(app);
  const port = await listen(server, options.port, options.host);
  logger.info({ port }, `${options.name} probes listening`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Calls `shutdown` once on SIGTERM or SIGINT, then exits. A second signal
 * exits at once.
 */
export function onShutdownSignal(logger: Logger, shutdown: () => Promise<void>): void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) process.exit(1);
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
