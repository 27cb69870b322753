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
  /**
   * What `/ready` checks. The service is ready when every required check
   * passes; the others (the event broker: the outbox buffers while it is
   * away) are only reported in the body.
   */
  checks?: readonly ReadinessCheck[] | undefined;
  /** How long `/ready` waits for a check before counting it as down (default 2 s). */
  readyTimeoutMs?: number | undefined;
  /** On stop, how long in-flight requests may run before their connections are closed (default 15 s). */
  drainTimeoutMs?: number | undefined;
  /**
   * On stop, how long to keep accepting requests while `/ready` already
   * answers 503, before the drain starts: the time a load balancer needs to
   * notice and stop sending new requests (default 0).
   */
  stopDelayMs?: number | undefined;
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
  /** Stops accepting requests (and answers `/ready` with 503), drains in-flight ones and stops Apollo. */
  stop(): Promise<void>;
}

/** Probe and shutdown timings a process passes to its service (README: Configuration). */
export type ServiceLimits = Pick<ServiceOptions<BaseContext>, 'readyTimeoutMs' | 'drainTimeoutMs' | 'stopDelayMs'>;

/** One dependency `/ready` looks at. */
export interface ReadinessCheck {
  /** Reported in the body of `/ready`, e.g. `database`, `broker`. */
  name: string;
  /** A required check that fails makes `/ready` answer 503; an optional one is only reported. */
  required: boolean;
  /** Throws (or rejects) when the dependency cannot be used. */
  check: () => Promise<void> | void;
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

  const probes = new Probes(options.name, options.checks ?? [], options.readyTimeoutMs, logger);
  const apollo = new ApolloServer<TContext>({
    ...(options.apollo as ApolloServerOptions<TContext>),
    // Apollo's own signal handling stops the server and then re-sends the
    // signal, which kills the process before the rest of the clean-up (relay,
    // consumers, broker, pool) has run. The process owner handles signals
    // (onShutdownSignal) and calls stop().
    stopOnTerminationSignals: false,
    formatError: maskErrors(logger),
    includeStacktraceInErrorResponses: false,
    // Every service refuses, as the client's error, what none of them can
    // serve: subscriptions, and strings Postgres cannot store.
    validationRules: [noSubscriptions, storableStringLiterals, ...(options.apollo.validationRules ?? [])],
    plugins: [
      storableStringVariables(),
      requestObservabilityPlugin,
      ...(options.apollo.plugins ?? []),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: options.drainTimeoutMs ?? 15_000 }),
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
  probes.mount(app);
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
    stop: () =>
      (stopped ??= (async () => {
        // Load balancers stop routing here first: requests already on their
        // way (or sitting unread in the accept queue of a busy process) are
        // still taken during the delay; then the drain stops accepting and
        // lets in-flight requests finish.
        probes.draining = true;
        if (options.stopDelayMs) await new Promise((resolve) => setTimeout(resolve, options.stopDelayMs));
        await apollo.stop();
      })()),
  };
}

/**
 * `/health`: the process is alive (liveness). `/metrics`: Prometheus text.
 * `/ready`: it can serve
 * requests: every required check passes within the timeout and it is not
 * shutting down. The body reports each check, required or not:
 * `{ status, service, checks: { database: "up", broker: "down" } }`.
 */
class Probes {
  draining = false;

  constructor(
    private readonly name: string,
    private readonly checks: readonly ReadinessCheck[],
    private readonly timeoutMs = 2_000,
    private readonly logger: Logger,
  ) {}

  mount(app: express.Express): void {
    collectProcessMetrics();
    app.get('/metrics', metricsHandler);
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok', service: this.name });
    });
    app.get('/ready', async (_req, res) => {
      const results = await Promise.all(this.checks.map((c) => this.run(c)));
      const checks = Object.fromEntries(this.checks.map((c, i) => [c.name, results[i] ? 'up' : 'down']));
      const failed = this.checks.some((c, i) => c.required && !results[i]);
      const status = this.draining ? 'draining' : failed ? 'unavailable' : 'ready';
      res.status(status === 'ready' ? 200 : 503).json({ status, service: this.name, checks });
    });
  }

  private async run(check: ReadinessCheck): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check.check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      return true;
    } catch (error) {
      // An optional dependency being down is reported in the body, not a reason to fill the log at every probe.
      this.logger[check.required ? 'warn' : 'debug'](
        { err: error, check: check.name, required: check.required },
        'readiness check failed',
      );
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
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
  checks: readonly ReadinessCheck[];
  readyTimeoutMs?: number | undefined;
  logger?: Logger;
}): Promise<() => Promise<void>> {
  const logger = options.logger ?? createLogger(options.name);
  const app = express();
  app.disable('x-powered-by');
  app.use(requestObservability({ service: options.name, graphqlPath: '/graphql', logger }));
  const probes = new Probes(options.name, options.checks, options.readyTimeoutMs, logger);
  probes.mount(app);
  app.use(notFoundHandler());
  app.use(httpErrorHandler(logger));
  const server = http.createServer(app);
  const port = await listen(server, options.port, options.host);
  logger.info({ port }, `${options.name} probes listening`);
  return () => {
    probes.draining = true;
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
}

/** The default bound on a graceful shutdown (README: Configuration, SHUTDOWN_TIMEOUT_MS). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * Runs `shutdown` once on SIGTERM or SIGINT and exits 0 when it resolves.
 * The exit is forced (code 1) by a second signal, by `timeoutMs` passing, or
 * by `shutdown` failing, so a stuck clean-up never keeps a process (and its
 * replacement) waiting.
 */
export function onShutdownSignal(
  logger: Logger,
  shutdown: () => Promise<void>,
  timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS,
): void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting without finishing the clean-up');
      process.exit(1);
    }
    shuttingDown = true;
    const started = Date.now();
    logger.info({ signal, timeoutMs }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown did not finish in time: exiting');
      process.exit(1);
    }, timeoutMs);
    shutdown().then(
      () => {
        logger.info({ ms: Date.now() - started }, 'shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
