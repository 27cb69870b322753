import { describe, expect, it } from '@jest/globals';
import { kustomizations, render, validate } from '../scripts/check-kubernetes.js';

// The manifests under deploy/kubernetes, rendered as `kubectl apply -k` would
// render them, and the check CI runs on them (`pnpm k8s:check`).

describe('Kubernetes manifests', () => {
  it.each(kustomizations().map((dir) => [dir.split('deploy/kubernetes/')[1]!, dir]))(
    '%s renders and passes the schemas and rules',
    async (_name, dir) => {
      const objects = render(dir);
      expect(await validate(objects)).toEqual([]);
      const kinds = new Set(objects.map((o) => o.kind));
      for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Job']) {
        expect(kinds).toContain(kind);
      }
    },
  );

  it('the overlays run Postgres and RabbitMQ through their operators; the base expects them outside', () => {
    const base = render(kustomizations().find((d) => d.endsWith('/base'))!);
    expect(base.filter((o) => ['Cluster', 'RabbitmqCluster'].includes(o.kind))).toEqual([]);
    for (const dir of kustomizations().filter((d) => d.includes('/overlays/'))) {
      const objects = render(dir);
      const clusters = objects.filter((o) => o.kind === 'Cluster').map((o) => o.metadata.name);
      expect(clusters.sort()).toEqual(['shopgraph-customer-db', 'shopgraph-inventory-db', 'shopgraph-order-db']);
      const broker = objects.find((o) => o.kind === 'RabbitmqCluster') as any;
      expect(broker.spec.rabbitmq.additionalConfig).toContain('default_queue_type = quorum');
    }
  });

  it('lets the order subgraph call inventory and customer, with the service secret, and nothing else call order', () => {
    const objects = render(kustomizations().find((d) => d.endsWith('/base'))!) as any[];
    const deployment = (name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
    const env = (name: string) =>
      new Map<string, any>(deployment(name).spec.template.spec.containers[0].env.map((e: any) => [e.name, e]));
    // Every subgraph signs or verifies internal calls with the one Secret.
    for (const subgraph of ['customer', 'inventory', 'order']) {
      expect(env(`shopgraph-${subgraph}`).get('SERVICE_AUTH_SECRET')?.valueFrom.secretKeyRef).toEqual({
        name: 'shopgraph-service-auth',
        key: 'SERVICE_AUTH_SECRET',
      });
    }
    // The neighbours' URLs name their Services and ports.
    const service = (name: string) => objects.find((o) => o.kind === 'Service' && o.metadata.name === name);
    for (const [variable, target] of [
      ['INVENTORY_SERVICE_URL', 'shopgraph-inventory'],
      ['CUSTOMER_SERVICE_URL', 'shopgraph-customer'],
    ] as const) {
      const url = new URL(env('shopgraph-order').get(variable).value);
      expect([url.hostname, Number(url.port)]).toEqual([target, service(target).spec.ports[0].port]);
    }
    // Who may open a connection to whom, by the NetworkPolicies (all ingress is denied otherwise).
    const podLabels = (name: string) => deployment(name).spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string> = {}, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const admits = (from: string, to: string) =>
      objects
        .filter((o) => o.kind === 'NetworkPolicy' && matches(o.spec.podSelector.matchLabels, podLabels(to)))
        .some((policy) =>
          (policy.spec.ingress ?? []).some(
            (rule: any) =>
              rule.from === undefined ||
              rule.from.some((peer: any) => peer.podSelector && matches(peer.podSelector.matchLabels, podLabels(from))),
          ),
        );
    expect(admits('shopgraph-order', 'shopgraph-inventory')).toBe(true);
    expect(admits('shopgraph-order', 'shopgraph-customer')).toBe(true);
    expect(admits('shopgraph-inventory', 'shopgraph-customer')).toBe(true); // the JWKS
    for (const subgraph of ['customer', 'inventory', 'order']) {
      expect(admits('shopgraph-gateway', `shopgraph-${subgraph}`)).toBe(true);
    }
    expect(admits('shopgraph-inventory', 'shopgraph-order')).toBe(false);
    expect(admits('shopgraph-customer', 'shopgraph-inventory')).toBe(false);
    expect(admits('shopgraph-relay', 'shopgraph-inventory')).toBe(false);
    // The migration Job provisions when an admin Secret exists, and runs without it otherwise.
    const job = objects.find((o) => o.kind === 'Job');
    const admin = job.spec.template.spec.containers[0].env.find((e: any) => e.name === 'DATABASE_ADMIN_URL');
    expect(admin.valueFrom.secretKeyRef).toMatchObject({ name: 'shopgraph-database-admin', optional: true });
  });

  it('rejects a broken manifest: a misspelt field, a wrong type, a bad operator resource, a wrong probe', async () => {
    const problems = await validate(render(new URL('fixtures/kubernetes/broken', import.meta.url).pathname));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Deployment\/shopgraph-gateway: .*'"livenesProbe"' does not exist in type 'IContainer'/),
        expect.stringMatching(/Deployment\/shopgraph-gateway: .*replicas must be integer/),
        expect.stringMatching(
          /Cluster\/shopgraph-order-db: \/spec\/storage must NOT have additional properties "sise"/,
        ),
        expect.stringMatching(/Cluster\/shopgraph-order-db: \/spec\/primaryUpdateStrategy must be equal to one of/),
        expect.stringMatching(/Deployment\/shopgraph-customer container customer: readiness probe must be GET \/ready/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });
});
