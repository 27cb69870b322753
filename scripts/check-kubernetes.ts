/**
 * `pnpm k8s:check [dir...]`: renders every kustomization under
 * deploy/kubernetes (the base and each overlay; or the given folders) with
 * `kubectl kustomize` and validates what comes out:
 *
 * - each object against the Kubernetes OpenAPI schemas (the validators of
 *   the `kubernetes-models` package), and, for unknown or misspelt fields,
 *   against its TypeScript types, which list every field the API has;
 * - the operators' resources (CloudNativePG `Cluster`, `RabbitmqCluster`)
 *   against the schemas in deploy/kubernetes/schemas;
 * - the rules these manifests promise: probes on /health and /ready,
 *   requests and limits, no Secret values, `$(VAR)` references that resolve,
 *   and every Service, HPA and PDB pointing at a workload that exists.
 *
 * Exits 1 naming each problem.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const kubernetesDir = join(root, 'deploy', 'kubernetes');

/** A Kubernetes object as rendered. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Runs `kubectl kustomize` on a folder and parses the objects it prints. */
export function render(dir: string): KubeObject[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is needed to render the manifests (`kubectl kustomize`)');
    throw new Error(`kubectl kustomize ${relative(root, dir)} failed: ${e.stderr?.trim() ?? e.message}`);
  }
  return parseAllDocuments(output)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** The kustomizations CI renders: the base and every overlay. */
export function kustomizations(): string[] {
  const overlays = join(kubernetesDir, 'overlays');
  return [
    join(kubernetesDir, 'base'),
    ...readdirSync(overlays)
      .map((name) => join(overlays, name))
      .filter((dir) => existsSync(join(dir, 'kustomization.yaml'))),
  ];
}

const id = (o: KubeObject) => `${o.kind}/${o.metadata?.name ?? '(no name)'}`;

const crdSchemas: Record<string, string> = {
  'postgresql.cnpg.io/v1 Cluster': 'postgresql.cnpg.io_v1_Cluster.schema.json',
  'rabbitmq.com/v1beta1 RabbitmqCluster': 'rabbitmq.com_v1beta1_RabbitmqCluster.schema.json',
};
const ajv = new Ajv({ allErrors: true, strict: false });
const crdValidators = new Map<string, ValidateFunction>();

function crdValidator(key: string): ValidateFunction | undefined {
  const file = crdSchemas[key];
  if (!file) return undefined;
  let validate = crdValidators.get(key);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(join(kubernetesDir, 'schemas', file), 'utf8')) as object);
    crdValidators.set(key, validate);
  }
  return validate;
}

/** The kubernetes-models module of a built-in kind, e.g. kubernetes-models/apps/v1/Deployment. */
const modelModule = (o: KubeObject) => `kubernetes-models/${o.apiVersion}/${o.kind}`;

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

async function schemaProblems(objects: KubeObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    const crd = crdValidator(`${o.apiVersion} ${o.kind}`);
    if (crd) {
      if (!crd(o)) {
        for (const e of crd.errors ?? []) {
          const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params.additionalProperty)}"` : '';
          problems.push(`${id(o)}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra}`);
        }
      }
      continue;
    }
    let Model: ModelClass | undefined;
    try {
      Model = ((await import(modelModule(o))) as Record<string, ModelClass>)[o.kind];
    } catch {
      Model = undefined;
    }
    if (!Model) {
      problems.push(`${id(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (error) {
      const details = (error as { details?: { instancePath?: string; message?: string }[] }).details;
      if (details) {
        for (const d of details) problems.push(`${id(o)}: ${d.instancePath || '/'} ${d.message ?? 'is invalid'}`);
      } else {
        problems.push(`${id(o)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return problems;
}

/**
 * The OpenAPI schemas accept any extra field, so a misspelt one would pass.
 * The models' TypeScript types list every field: each object becomes an
 * object literal of its type, and the compiler reports any it does not know.
 */
function unknownFieldProblems(objects: KubeObject[]): string[] {
  const builtIn = objects.map((o, i) => ({ o, i })).filter(({ o }) => !crdSchemas[`${o.apiVersion} ${o.kind}`]);
  const lines = builtIn.map(
    ({ o, i }) => `export const o${i}: import(${JSON.stringify(modelModule(o))}).I${o.kind} = ${JSON.stringify(o)};`,
  );
  const file = join(root, 'deploy', 'kubernetes', '.rendered.ts');
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = (name) => name === file || fileExists(name);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!d.file || d.start === undefined) return text;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line;
    const entry = builtIn[line];
    return entry ? `${id(entry.o)}: ${text}` : text;
  });
}

interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: { containers?: Container[] };
}

const podTemplate = (o: KubeObject): PodTemplate | undefined =>
  (o.spec as { template?: PodTemplate } | undefined)?.template;

/** What these manifests promise beyond the schemas. */
function ruleProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const configMaps = new Map(
    objects
      .filter((o) => o.kind === 'ConfigMap')
      .map((o) => [o.metadata.name, (o.data ?? {}) as Record<string, string>]),
  );
  const workloads = objects.filter((o) => ['Deployment', 'Job', 'StatefulSet'].includes(o.kind));
  for (const o of objects) {
    if (o.kind === 'Secret') problems.push(`${id(o)}: Secrets are created in the cluster, never committed`);
  }
  for (const w of workloads) {
    for (const c of podTemplate(w)?.spec?.containers ?? []) {
      const where = `${id(w)} container ${c.name}`;
      if (!c.resources?.requests?.cpu || !c.resources.requests.memory)
        problems.push(`${where}: no CPU/memory requests`);
      if (!c.resources?.limits?.memory) problems.push(`${where}: no memory limit`);
      if (!c.image || c.image.endsWith(':latest')) problems.push(`${where}: image must name a release, not latest`);
      if (w.kind === 'Deployment') {
        if (c.livenessProbe?.httpGet?.path !== '/health') problems.push(`${where}: liveness probe must be GET /health`);
        if (c.readinessProbe?.httpGet?.path !== '/ready') problems.push(`${where}: readiness probe must be GET /ready`);
      }
      // $(VAR) resolves only against variables defined before it.
      const defined = new Set<string>();
      for (const from of c.envFrom ?? []) {
        const name = from.configMapRef?.name;
        if (name && !configMaps.has(name)) problems.push(`${where}: ConfigMap ${name} is not part of the manifests`);
        for (const key of Object.keys(configMaps.get(name ?? '') ?? {})) defined.add(key);
      }
      for (const variable of c.env ?? []) {
        for (const [, ref] of (variable.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!defined.has(ref!)) problems.push(`${where}: ${variable.name} refers to $(${ref}) before it is defined`);
        }
        defined.add(variable.name);
      }
    }
  }
  const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  for (const o of objects) {
    const spec = (o.spec ?? {}) as {
      selector?: Record<string, string> & { matchLabels?: Record<string, string> };
      scaleTargetRef?: { kind?: string; name?: string };
    };
    if (o.kind === 'Service' && spec.selector) {
      const selector = spec.selector;
      if (!workloads.some((w) => matches(selector, podTemplate(w)?.metadata?.labels))) {
        problems.push(`${id(o)}: selects no workload's pods`);
      }
    }
    if (o.kind === 'PodDisruptionBudget') {
      const selector = spec.selector?.matchLabels ?? {};
      if (!workloads.some((w) => matches(selector, podTemplate(w)?.metadata?.labels))) {
        problems.push(`${id(o)}: selects no workload's pods`);
      }
    }
    if (o.kind === 'HorizontalPodAutoscaler') {
      const target = spec.scaleTargetRef ?? {};
      if (!workloads.some((w) => w.kind === target.kind && w.metadata.name === target.name)) {
        problems.push(`${id(o)}: scales ${target.kind}/${target.name}, which does not exist`);
      }
    }
  }
  return problems;
}

/** Every problem with a rendered set of objects; empty when it is valid. */
export async function validate(objects: KubeObject[]): Promise<string[]> {
  if (objects.length === 0) return ['nothing rendered'];
  return [...(await schemaProblems(objects)), ...unknownFieldProblems(objects), ...ruleProblems(objects)];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : kustomizations();
  let failed = false;
  for (const dir of dirs) {
    const name = relative(root, dir) || '.';
    try {
      const objects = render(dir);
      const problems = await validate(objects);
      if (problems.length === 0) {
        process.stdout.write(`ok   ${name}: ${objects.length} objects\n`);
      } else {
        failed = true;
        process.stdout.write(`FAIL ${name}:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      }
    } catch (error) {
      failed = true;
      process.stdout.write(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  process.exit(failed ? 1 : 0);
}
