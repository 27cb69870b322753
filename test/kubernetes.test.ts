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
