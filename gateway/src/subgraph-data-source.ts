import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './app.js';

type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];

/**
 * A subgraph answers a request it cannot accept with HTTP 400 and a GraphQL
 * body (GraphQL over HTTP). When the reason is the client's input, such as a
 * variable its scalar rejects (`"1.234"` for a `Decimal`), this data source
 * relays the subgraph's BAD_USER_INPUT error instead of failing the fetch, so
 * the client learns what to fix. Any other 400 stays a failed fetch and is
 * masked as an internal error: it means the gateway and the subgraph disagree.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
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
