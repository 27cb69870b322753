import { readFileSync } from 'node:fs';
import { expect, it } from '@jest/globals';
import { collectProcessMetrics, metricsRegistry } from '@shopgraph/lib';
import { parse } from 'yaml';
import { repoRoot } from './support/processes.js';

// The committed dashboard, alert rules and scrape configuration must match
// what the services actually expose: a renamed metric or a new service
// fails here, not silently on someone's Grafana.
const read = (path: string) => readFileSync(`${repoRoot}${path}`, 'utf8');
const dashboard = JSON.parse(read('deploy/observability/grafana/dashboards/shopgraph.json'));
const alerts = parse(read('deploy/observability/alerts.yml'));
const prometheus = parse(read('deploy/observability/prometheus.yml'));
const compose = parse(read('docker-compose.yml'));

interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
  panels?: Panel[];
}
const panels: Panel[] = (dashboard.panels as Panel[]).flatMap((p) => [p, ...(p.panels ?? [])]);
const dashboardExprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const alertExprs: string[] = alerts.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));

/** Every series name the registry exposes, with the histogram suffixes. */
async function exposedNames(): Promise<Set<string>> {
  collectProcessMetrics();
  const names = new Set<string>();
  for (const metric of await metricsRegistry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

const metricNames = (expr: string) =>
  [...expr.matchAll(/\b((?:shopgraph|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);

it('the dashboard and the alert rules only query metrics the services expose', async () => {
  const exposed = await exposedNames();
  const used = new Set([...dashboardExprs, ...alertExprs].flatMap(metricNames));
  expect(used.size).toBeGreaterThan(15);
  expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
});

it('the dashboard covers requests, errors, latency per operation, outbox age, consumer lag and DLQ depth', () => {
  const all = dashboardExprs.join('\n');
  expect(all).toMatch(/sum by \(service, operation\) \(rate\(shopgraph_graphql_request_duration_seconds_count/);
  expect(all).toMatch(/outcome!="success"/);
  expect(all).toMatch(/histogram_quantile\(0\.95, sum by \(le, service, operation\)/);
  expect(all).toMatch(/shopgraph_outbox_oldest_unpublished_age_seconds/);
  expect(all).toMatch(/shopgraph_events_queue_messages\{kind="main"\}/);
  expect(all).toMatch(/shopgraph_events_queue_messages\{kind="dlq"\}/);
  // Every query goes to the provisioned Prometheus data source.
  const datasource = parse(read('deploy/observability/grafana/provisioning/datasources/prometheus.yml'));
  const uids = new Set(panels.flatMap((p) => (p.targets ?? []).map((t) => t.datasource.uid)));
  expect([...uids]).toEqual([datasource.datasources[0].uid]);
});

it('Prometheus scrapes every service compose runs, on its port', () => {
  const serviceTargets = ['gateway', 'customer', 'inventory', 'order', 'relay'];
  type ComposeService = { build?: { target?: string }; environment?: Record<string, string> };
  const services = Object.entries(compose.services as Record<string, ComposeService>)
    .filter(([, service]) => serviceTargets.includes(service.build?.target ?? ''))
    .map(([name, service]) => ({ name, port: Number(service.environment?.PORT) }));
  expect(services.map((s) => s.name).sort()).toEqual(['customer', 'gateway', 'inventory', 'order', 'order-relay']);
  const scraped = (prometheus.scrape_configs as { dns_sd_configs: { names: string[]; port: number }[] }[]).flatMap(
    (job) => job.dns_sd_configs.flatMap((sd) => sd.names.map((name) => ({ name, port: sd.port }))),
  );
  for (const service of services) expect(scraped).toContainEqual(service);
  // ...each image starts with the instrumentation preloaded: the runtime
  // stage every service target builds on registers it before the main loads.
  const entrypoint = read('Dockerfile')
    .split('\n')
    .filter((line) => line.startsWith('ENTRYPOINT'));
  expect(entrypoint).toHaveLength(1);
  expect(entrypoint[0]).toContain('"--import", "@shopgraph/lib/telemetry/register"');
});
