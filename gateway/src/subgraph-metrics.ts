import type { GraphQLDataSource } from '@apollo/gateway';
import { subgraphFetchDuration, type SubgraphFetchOutcome } from '@shopgraph/lib';

/**
 * Wraps a subgraph data source so every fetch is timed and counted in
 * `shopgraph_gateway_subgraph_fetch_duration_seconds{subgraph,outcome}`:
 * success, graphql_error (the subgraph answered with errors) or failure (no
 * usable answer: network error, timeout, HTTP error, open circuit). Whatever fetcher the
 * data source uses, this sees the fetch as the gateway does.
 */
export function measuredDataSource<TContext extends Record<string, unknown>>(
  subgraph: string,
  source: GraphQLDataSource<TContext>,
): GraphQLDataSource<TContext> {
  return {
    async process(options) {
      const started = process.hrtime.bigint();
      let outcome: SubgraphFetchOutcome = 'failure';
      try {
        const response = await source.process(options);
        // A data source may answer a call that failed with SERVICE_UNAVAILABLE
        // errors (partial data) instead of throwing: still no usable answer.
        const codes = (response.errors ?? []).map((error) => error.extensions?.code);
        outcome = codes.includes('SERVICE_UNAVAILABLE') ? 'failure' : codes.length > 0 ? 'graphql_error' : 'success';
        return response;
      } finally {
        subgraphFetchDuration.observe({ subgraph, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  };
}
