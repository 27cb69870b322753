import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { lintWorkflow, workflowFiles } from '../scripts/check-workflows.js';

// The GitHub Actions workflow cannot run on this machine; what can be checked
// here is that actionlint accepts it and that it does what `.ci/run` does.

const ciFile = workflowFiles().find((f) => f.endsWith('/ci.yml'))!;
const ci = parse(readFileSync(ciFile, 'utf8')) as {
  jobs: Record<
    string,
    { services?: Record<string, unknown>; steps: { uses?: string; run?: string; with?: any }[]; strategy?: any }
  >;
};
const allSteps = Object.values(ci.jobs).flatMap((job) => job.steps);
const runs = allSteps.map((s) => s.run ?? '').join('\n');

describe('GitHub Actions workflows', () => {
  it.each(workflowFiles().map((f) => [f.split('.github/workflows/')[1]!, f]))(
    '%s passes actionlint',
    async (_name, file) => {
      expect(await lintWorkflow(file)).toEqual([]);
    },
  );

  it('rejects a broken workflow: a misspelt input, an unknown matrix key, a missing job, a misspelt section', async () => {
    const problems = await lintWorkflow(new URL('fixtures/workflows/broken.yml', import.meta.url).pathname);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/input "node-versoin" is not defined in action "actions\/setup-node@v4"/),
        expect.stringMatching(/property "nod" is not defined/),
        expect.stringMatching(/job "images" needs job "tset" which does not exist/),
        expect.stringMatching(/unexpected key "step" for "job" section/),
      ]),
    );
  });

  it('does what .ci/run does: service containers, a cached store, every check, the tests, images and manifests', () => {
    expect(Object.keys(ci.jobs.check!.services ?? {}).sort()).toEqual(['postgres', 'rabbitmq']);
    expect(ci.jobs.check!.strategy.matrix.node).toEqual([22, 24]);
    expect(allSteps.some((s) => s.uses?.startsWith('actions/cache@'))).toBe(true);
    for (const command of [
      'pnpm install --frozen-lockfile',
      'pnpm format:check',
      'pnpm lint',
      'pnpm schema:check',
      'pnpm codegen:check',
      'pnpm typecheck',
      'pnpm build',
      'pnpm k8s:check',
      'pnpm workflows:check',
      'docker compose config',
      'pnpm test',
      'chromium',
    ]) {
      expect(runs).toContain(command);
    }
    const build = ci.jobs.image!.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(build.with.target).toBe('${{ matrix.target }}');
    const dockerfileTargets = [
      ...readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8').matchAll(/^FROM \S+ AS (\S+)$/gm),
    ]
      .map((m) => m[1])
      .filter((t) => t !== 'build' && t !== 'runtime');
    expect([...ci.jobs.image!.strategy.matrix.target].sort()).toEqual(dockerfileTargets.sort());
  });
});
