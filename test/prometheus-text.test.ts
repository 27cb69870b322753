import { expect, it } from '@jest/globals';
import { metricsRegistry } from '@shopgraph/lib';
import { parsePrometheusText, sampleSum } from './support/prometheus.js';

// The parser the /metrics tests rely on must refuse what Prometheus would.
const valid = `# HELP req_seconds Requests.
# TYPE req_seconds histogram
req_seconds_bucket{le="0.1",op="a"} 1
req_seconds_bucket{le="+Inf",op="a"} 2
req_seconds_sum{op="a"} 0.35
req_seconds_count{op="a"} 2
# TYPE jobs_total counter
jobs_total{queue="q\\"1"} 3
jobs_total{queue="q2"} 4
`;

it('parses families, labels (with escapes) and values', () => {
  const families = parsePrometheusText(valid);
  expect(families.get('req_seconds')).toMatchObject({ type: 'histogram', help: 'Requests.' });
  expect(sampleSum(families, 'jobs_total')).toBe(7);
  expect(sampleSum(families, 'jobs_total', { queue: 'q"1' })).toBe(3);
  expect(sampleSum(families, 'req_seconds_count', { op: 'a' })).toBe(2);
});

it('refuses malformed expositions', () => {
  const broken = [
    valid.replace('# TYPE jobs_total counter\n', ''), // sample before its TYPE
    valid.replace('jobs_total{queue="q2"} 4', 'jobs_total{queue=q2} 4'), // unquoted label
    valid.replace('jobs_total{queue="q2"} 4', 'jobs_total{queue="q2"} four'), // bad value
    valid.replace('req_seconds_count{op="a"} 2', 'req_seconds_count{op="a"} 3'), // +Inf differs from _count
    valid.replace('le="0.1",op="a"} 1', 'le="0.1",op="a"} 5'), // buckets decrease
    `${valid}# TYPE jobs_total counter\n`, // declared twice
  ];
  for (const text of broken) expect(() => parsePrometheusText(text)).toThrow();
});

it("parses this process's own registry", async () => {
  expect(parsePrometheusText(await metricsRegistry.metrics()).has('shopgraph_graphql_request_duration_seconds')).toBe(
    true,
  );
});
