import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError, Kind, parse, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from './app.js';
import { SubgraphUnavailable } from './subgraph-fetcher.js';

type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];

const UNAVAILABLE_MESSAGES: Record<SubgraphUnavailable['reason'], string> = {
  timeout: 'A service this request needs did not answer in time; the fields it provides are missing',
  unreachable: 'A service this request needs could not be reached; the fields it provides are missing',
  'circuit-open': 'A service this request needs is unavailable; the fields it provides are missing. Retry later',
};

/**
 * The gateway's call to one subgraph.
 *
 * A failed call (no answer, see {@link SubgraphUnavailable}) becomes coded
 * errors for the fields that subgraph would have provided, so the client
 * still gets what the other subgraphs returned.
 *
 * A subgraph answers a request it cannot accept with HTTP 400 and a GraphQL
 * body (GraphQL over HTTP). When the reason is the client's input, such as a
 * variable its scalar rejects (`"1.234"` for a `Decimal`), this data source
 * relays the subgraph's BAD_USER_INPUT error instead of failing the fetch, so
 * the client learns what to fix. Any other 400 stays a failed fetch and is
 * masked as an internal error: it means the gateway and the subgraph disagree.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override async process(options: Parameters<RemoteGraphQLDataSource<GatewayContext>['process']>[0]) {
    try {
      return await super.process(options);
    } catch (error) {
      if (!(error instanceof SubgraphUnavailable)) throw error;
      const message = UNAVAILABLE_MESSAGES[error.reason];
      const extensions = { code: 'SERVICE_UNAVAILABLE' };
      // A root fetch names the missing root fields; an entity fetch's paths
      // are spread over the response, so it gets one error without a path.
      const definition = parse(options.request.query ?? '{ _entities }').definitions.find(
        (d) => d.kind === Kind.OPERATION_DEFINITION,
      );
      const roots =
        definition?.kind === Kind.OPERATION_DEFINITION
          ? definition.selectionSet.selections.flatMap((s) =>
              s.kind === Kind.FIELD && s.name.value !== '_entities' ? [s.alias?.value ?? s.name.value] : [],
            )
          : [];
      const errors: GraphQLFormattedError[] =
        roots.length > 0 ? roots.map((root) => ({ message, path: [root], extensions })) : [{ message, extensions }];
      return { errors };
    }
  }

  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    if (response.status === 400) {
      const body = await this.parseBody(response.clone());
      const errors = typeof body === 'object' && 'errors' in body && Array.isArray(body.errors) ? body.errors : [];
      const input = errors.find((e: unknown) => isBadUserInput(e));
      if (input) {
        const field = input.extensions.field;
        return new GraphQLError(input.message, {
          extensions: { code: 'BAD_USER_INPUT', ...(typeof field === 'string' ? { field } : {}) },
        });
      }
    }
    return super.errorFromResponse(response);
  }
}

function isBadUserInput(
  error: unknown,
): error is { message: string; extensions: { code: 'BAD_USER_INPUT'; field?: unknown } } {
  if (typeof error !== 'object' || error === null) return false;
  const { message, extensions } = error as { message?: unknown; extensions?: { code?: unknown } };
  return typeof message === 'string' && extensions?.code === 'BAD_USER_INPUT';
}
