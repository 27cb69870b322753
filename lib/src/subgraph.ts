import { buildSubgraphSchema } from '@apollo/subgraph';
import type { BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { Viewer } from './auth.js';
import { authenticate, type Authenticator } from './jwt.js';
import { DateTimeScalar, DecimalScalar } from './money.js';
import { loadSubgraphSdl } from './schema.js';
import { startService, type RunningService, type ServiceOptions } from './server.js';

export interface SubgraphOptions<TContext extends BaseContext> extends Omit<
  ServiceOptions<TContext>,
  'apollo' | 'name' | 'context'
> {
  name: 'customer' | 'inventory' | 'order';
  /** Verifies the bearer token the gateway forwards (or a direct caller sends). */
  auth: Authenticator;
  /** Builds the per-request context for the verified caller (null when anonymous). */
  context: (viewer: Viewer | null) => Promise<TContext>;
  /** Resolvers for the SDL in schema/<name>.graphql (scalars are added here). */
  resolvers: object;
}

/**
 * Starts a subgraph: its schema-first SDL from schema/, built with
 * `buildSubgraphSchema`, served by {@link startService}.
 */
export async function startSubgraph<TContext extends BaseContext>(
  options: SubgraphOptions<TContext>,
): Promise<RunningService> {
  const schema = buildSubgraphSchema({
    typeDefs: loadSubgraphSdl(options.name),
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
      // A bad variable (e.g. a malformed Decimal) is the client's error: answer
      // it with HTTP 200 so the gateway relays BAD_USER_INPUT instead of
      // treating the subgraph as failed.
      status400ForVariableCoercionErrors: false,
    },
    context: async (req) => options.context(await authenticate(req, options.auth)),
  });
}
