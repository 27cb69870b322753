import { ApolloGateway } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import type { ApolloServerPlugin } from '@apollo/server';
import { enumArguments, preferArgumentErrors } from './enum-arguments.js';
import { DEFAULT_LIMITS, operationLimits, type OperationLimits } from './operation-limits.js';
import { persistedOperations, type PersistedOperationSettings } from './persisted-operations.js';
import { customScalarLiterals } from './scalar-literals.js';
import { SubgraphDataSource } from './subgraph-data-source.js';
import { measuredDataSource } from './subgraph-metrics.js';
import {
  createSubgraphFetcher,
  DEFAULT_SUBGRAPH_CALLS,
  type SubgraphCallSettings,
  type SubgraphFetcher,
} from './subgraph-fetcher.js';
import {
  authenticate,
  createLogger,
  currentRequest,
  DateTimeScalar,
  DecimalScalar,
  REQUEST_ID_HEADER,
  startService,
  type Authenticator,
  type CorsSettings,
  type RunningService,
  type ServiceLimits,
} from '@shopgraph/lib';
import { loadSupergraphSdl } from '@shopgraph/schema';

const log = createLogger('gateway');

export type SubgraphName = 'customer' | 'inventory' | 'order';
const SUBGRAPHS: readonly SubgraphName[] = ['customer', 'inventory', 'order'];

export interface GatewayOptions {
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Subgraph GraphQL URLs that replace the routing URLs in the supergraph. */
  subgraphUrls?: Partial<Record<SubgraphName, string>> | undefined;
  /** Supergraph SDL; defaults to the checked-in schema/supergraph.graphql. */
  supergraphSdl?: string | undefined;
  /** Verifies callers' access tokens before any planning. */
  auth: Authenticator;
  /** Operation size limits; each one left out keeps its default. */
  limits?: Partial<OperationLimits> | undefined;
  /** Allow schema introspection (off in production unless asked for); without it field suggestions are hidden too. */
  introspection: boolean;
  /** Browser origins allowed to call; none when absent. */
  cors?: CorsSettings | undefined;
  /** Which proxies' `X-Forwarded-For` to believe for the client's address. */
  trustProxy?: string | undefined;
  /** Timeouts, retries and circuit breaking of subgraph calls. */
  subgraphCalls?: Partial<SubgraphCallSettings> | undefined;
  /** Per-subgraph call deadlines that override `subgraphCalls.timeoutMs`. */
  subgraphTimeouts?: Partial<Record<SubgraphName, number | undefined>> | undefined;
  /** Serve operations by id from a persisted query manifest (and optionally nothing else). */
  persistedOperations?: PersistedOperationSettings | undefined;
  /** Probe and drain timings (readiness timeout, stop delay, drain bound). */
  serviceLimits?: ServiceLimits | undefined;
}

/** What the gateway passes from the client request to every subgraph call. */
export interface GatewayContext {
  /** The client's Authorization header, forwarded only once the token verified. */
  authorization?: string | undefined;
  /** The client's address as the gateway sees it (after trusted proxies), for per-address limits. */
  clientAddress?: string | undefined;
  /** The request's id, forwarded so subgraph logs of this request carry it too. */
  requestId?: string | undefined;
}

/**
 * Starts the Apollo Gateway over the static, checked-in supergraph: the query
 * plan is fixed at build time, never discovered by introspection.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningService> {
  const urls = new Map<string, string>();
  const fetchers: SubgraphFetcher[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl ?? loadSupergraphSdl(),
    buildService({ name, url }) {
      const target = options.subgraphUrls?.[name as SubgraphName] ?? url;
      if (!target) throw new Error(`no URL for subgraph ${name}`);
      urls.set(name, target);
      const calls: SubgraphCallSettings = { ...DEFAULT_SUBGRAPH_CALLS, ...options.subgraphCalls };
      const timeoutMs = options.subgraphTimeouts?.[name as SubgraphName] ?? calls.timeoutMs;
      const client = createSubgraphFetcher(name, target, { ...calls, timeoutMs }, log);
      fetchers.push(client);
      const source = new SubgraphDataSource({
        url: target,
        fetcher: client.fetcher,
        // Only the verified bearer token and the client's address travel on:
        // no other client header reaches a subgraph, so identity cannot be
        // smuggled in one.
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          if (context.clientAddress) request.http?.headers.set('x-forwarded-for', context.clientAddress);
          // The request id is the gateway's own (sanitised or generated); the
          // trace context is added by the HTTP instrumentation.
          if (context.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
        },
      });
      return measuredDataSource(name, source);
    },
  });

  const limits = operationLimits({ ...DEFAULT_LIMITS, ...options.limits });
  const persisted = options.persistedOperations && persistedOperations(options.persistedOperations);
  const plugins: ApolloServerPlugin[] = [preferArgumentErrors, ...(persisted ? [persisted.plugin] : [])];

  const service = await startService<GatewayContext>({
    name: 'gateway',
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    logger: log,
    edge: { cors: options.cors, compression: true, trustProxy: options.trustProxy },
    // @apollo/gateway 2.x implements the gateway interface Apollo Server 5 expects;
    // the two packages pin different majors of its type package.
    apollo: {
      gateway: gateway as unknown as GatewayInterface,
      parseOptions: limits.parseOptions,
      validationRules: [
        ...limits.validationRules,
        customScalarLiterals([DecimalScalar, DateTimeScalar]),
        enumArguments,
      ],
      plugins,
      introspection: options.introspection,
      // Without introspection, "Did you mean …?" suggestions would still leak the schema.
      hideSchemaDetailsFromClientErrors: !options.introspection,
      ...(persisted ? { persistedQueries: persisted.persistedQueries } : {}),
    },
    // A bad token is rejected here with 401, before the query is planned and
    // before any subgraph is called; no token means an anonymous request.
    context: async (req) => {
      const viewer = await authenticate(req, options.auth);
      return {
        authorization: viewer ? req.headers.authorization : undefined,
        clientAddress: req.ip,
        requestId: currentRequest()?.requestId,
      };
    },
    ...options.serviceLimits,
    // Each subgraph's own readiness, reported but not required: every gateway
    // replica sees the same subgraphs, so taking gateways out of the load
    // balancer when one subgraph is down would turn a partial outage (say,
    // no logins) into a full one (no catalog either).
    checks: SUBGRAPHS.map((name) => ({
      name: `subgraph:${name}`,
      required: false,
      check: async () => {
        // Filled in when the gateway loads the supergraph.
        const url = urls.get(name);
        if (!url) throw new Error(`subgraph ${name} has no URL yet`);
        const res = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(2000) });
        if (!res.ok) throw new Error(`subgraph ${name} is not ready (${res.status})`);
      },
    })),
  });
  return {
    ...service,
    stop: async () => {
      await service.stop();
      await Promise.all(fetchers.map((f) => f.close()));
    },
  };
}
