import { buildSubgraphSchema } from '@apollo/subgraph';
import type { BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { DocumentNode } from 'graphql';
import type { Viewer } from './auth.js';
import { authenticate, type Authenticator } from './jwt.js';
import { DateTimeScalar, DecimalScalar } from './money.js';
import { startService, type RunningService, type ServiceOptions } from './server.js';

export interface SubgraphOptions<TContext extends BaseContext> extends Omit<
  ServiceOptions<TContext>,
  'apollo' | 'name' | 'context'
> {
  name: 'customer' | 'inventory' | 'order';
  /** The subgraph's SDL, the source of truth (`loadSubgraphSdl` from @shopgraph/schema). */
  typeDefs: DocumentNode;
  /** Verifies the bearer token the gateway forwards (or a direct caller sends). */
  auth: Authenticator;
  /** Builds the per-request context for the verified caller (null when anonymous). */
  context: (viewer: Viewer | null, request: SubgraphRequest) => Promise<TContext>;
  /** Resolvers for the SDL in schema/<name>.graphql (scalars are added here). */
  resolvers: object;
}

/** What a subgraph's context may know about the HTTP request besides the caller. */
export interface SubgraphRequest {
  /**
   * The client's address: the gateway forwards it in `X-Forwarded-For`, which
   * is believed only from a trusted proxy (see `trustProxy`); otherwise the
   * peer's own address.
   */
  clientAddress: string | undefined;
}

/**
 * Starts a subgraph: its schema-first SDL, built with
 * `buildSubgraphSchema`, served by {@link startService}.
 */
export async function startSubgraph<TContext extends BaseContext>(
  options: SubgraphOptions<TContext>,
): Promise<RunningService> {
  const schema = buildSubgraphSchema({
    typeDefs: options.typeDefs,
    resolvers: { DateTime: DateTimeScalar, Decimal: DecimalScalar, ...options.resolvers } as Parameters<
      typeof buildSubgraphSchema
    >[0] extends { resolvers?: infer R }
      ? R
      : never,
  });
  // Inline traces only feed Apollo GraphOS usage reporting, which we do not use.
  // Each subgraph verifies the token itself: calling it directly gives no more
  // than calling the gateway.
  return startService({
    ...options,
    apollo: {
      schema,
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    },
    context: async (req) => options.context(await authenticate(req, options.auth), { clientAddress: req.ip }),
  });
}
