import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { createLogger, loadSupergraphSdl, startService, type RunningService } from '@shopgraph/lib';

const log = createLogger('gateway');

export type SubgraphName = 'customer' | 'inventory' | 'order';

export interface GatewayOptions {
  port: number;
  host?: string | undefined;
  sandbox: boolean;
  /** Subgraph GraphQL URLs that replace the routing URLs in the supergraph. */
  subgraphUrls?: Partial<Record<SubgraphName, string>> | undefined;
  /** Supergraph SDL; defaults to the checked-in schema/supergraph.graphql. */
  supergraphSdl?: string | undefined;
}

/** What the gateway passes from the client request to every subgraph call. */
export interface GatewayContext {
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
    apollo: { gateway: gateway as unknown as GatewayInterface },
    context: async (req) => ({ authorization: req.headers.authorization }),
    ready: async () => {
      // Ready when every subgraph answers its own readiness probe.
      await Promise.all(
        [...urls.entries()].map(async ([name, url]) => {
          const res = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(2000) });
          if (!res.ok) throw new Error(`subgraph ${name} is not ready (${res.status})`);
        }),
      );
    },
  });
}
