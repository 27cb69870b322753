import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { costLimit } from './cost-limit.js';
import { depthLimit } from './depth-limit.js';
import { enumArguments, preferArgumentErrors } from './enum-arguments.js';
import { customScalarLiterals } from './scalar-literals.js';
import {
  authenticate,
  createLogger,
  DateTimeScalar,
  DecimalScalar,
  loadSupergraphSdl,
  startService,
  type Authenticator,
  type RunningService,
  type ServiceLimits,
} from '@shopgraph/lib';

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
  /** Deepest field nesting a query may have. */
  maxQueryDepth?: number | undefined;
  /** Largest estimated cost (fields times page sizes) a query may have. */
  maxQueryCost?: number | undefined;
  /** Allow schema introspection (off in production unless asked for). */
  introspection: boolean;
  limits?: ServiceLimits | undefined;
}

/** What the gateway passes from the client request to every subgraph call. */
export interface GatewayContext {
  /** The client's Authorization header, forwarded only once the token verified. */
  authorization?: string | undefined;
}

/**
 * Starts the Apollo Gateway over the static, checked-in supergraph: the query
 * plan is fixed at build time, never discovered by introspection.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningService> {
  const urls = new Map<string, string>();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl ?? loadSupergraphSdl(),
    buildService({ name, url }) {
      const target = options.subgraphUrls?.[name as SubgraphName] ?? url;
      if (!target) throw new Error(`no URL for subgraph ${name}`);
      urls.set(name, target);
      return new RemoteGraphQLDataSource<GatewayContext>({
        url: target,
        // Only the verified bearer token travels on: no other client header
        // reaches a subgraph, so identity cannot be smuggled in one.
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      });
    },
  });

  return startService<GatewayContext>({
    name: 'gateway',
    port: options.port,
    host: options.host,
    sandbox: options.sandbox,
    logger: log,
    // @apollo/gateway 2.x implements the gateway interface Apollo Server 5 expects;
    // the two packages pin different majors of its type package.
    apollo: {
      gateway: gateway as unknown as GatewayInterface,
      validationRules: [
        depthLimit(options.maxQueryDepth ?? 12),
        costLimit(options.maxQueryCost ?? 10_000),
        customScalarLiterals([DecimalScalar, DateTimeScalar]),
        enumArguments,
      ],
      plugins: [preferArgumentErrors],
      introspection: options.introspection,
    },
    // A bad token is rejected here with 401, before the query is planned and
    // before any subgraph is called; no token means an anonymous request.
    context: async (req) => {
      const viewer = await authenticate(req, options.auth);
      return { authorization: viewer ? req.headers.authorization : undefined };
    },
    ...options.limits,
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
}
