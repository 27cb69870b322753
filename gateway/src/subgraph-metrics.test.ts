import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { RemoteGraphQLDataSource, type GraphQLDataSource } from '@apollo/gateway';
import { subgraphFetchDuration } from '@shopgraph/lib';
import { measuredDataSource } from './subgraph-metrics.js';

// A real HTTP "subgraph" whose answer each test chooses.
let answer: (res: http.ServerResponse) => void;
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => req.resume().on('end', () => answer(res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const json = (body: unknown) => (res: http.ServerResponse) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function fetchCount(subgraph: string, outcome: string): Promise<number> {
  const { values } = await subgraphFetchDuration.get();
  return (
    values.find(
      (v) =>
        v.metricName === 'shopgraph_gateway_subgraph_fetch_duration_seconds_count' &&
        v.labels.subgraph === subgraph &&
        v.labels.outcome === outcome,
    )?.value ?? 0
  );
}

const call = (source: ReturnType<typeof measuredDataSource>, target = url) =>
  source.process({
    // GraphQLDataSourceRequestKind.HEALTH_CHECK, which the package does not export.
    kind: 'health check',
    request: { query: '{ __typename }', http: { method: 'POST', url: target, headers: new Headers() } },
    context: {},
  } as Parameters<GraphQLDataSource['process']>[0]);

it('counts each fetch under its subgraph by outcome', async () => {
  const source = measuredDataSource('inventory', new RemoteGraphQLDataSource({ url }));
  answer = json({ data: { __typename: 'Query' } });
  await call(source);
  answer = json({ data: null, errors: [{ message: 'no', extensions: { code: 'BAD_USER_INPUT' } }] });
  await call(source);
  answer = json({ data: null, errors: [{ message: 'down', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
  await call(source);
  answer = (res) => res.writeHead(502).end('bad gateway');
  await expect(call(source)).rejects.toThrow();
  expect(await fetchCount('inventory', 'success')).toBe(1);
  expect(await fetchCount('inventory', 'graphql_error')).toBe(1);
  expect(await fetchCount('inventory', 'failure')).toBe(2);
});

it('counts a subgraph that does not answer at all as a failure', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/graphql`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const source = measuredDataSource('order', new RemoteGraphQLDataSource({ url: deadUrl }));
  await expect(call(source, deadUrl)).rejects.toThrow();
  expect(await fetchCount('order', 'failure')).toBe(1);
});
