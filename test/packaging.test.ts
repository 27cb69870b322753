import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import dockerignore from '@balena/dockerignore';
import { validate as lintDockerfile } from 'dockerfile-utils';
import semver from 'semver';
import { parse } from 'yaml';

// What this machine can check of the images without a Docker daemon: the
// build context Docker would send, the Dockerfile's stages, the compose file
// that builds them, and the Node versions the dependencies accept. The
// workflow builds the images themselves.

// Its types declare `export default`, its code assigns `module.exports`.
const ignore = dockerignore as unknown as typeof dockerignore.default;
const root = new URL('..', import.meta.url).pathname;
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

describe('the Docker build context (.dockerignore, with Docker matching rules)', () => {
  const context = ignore().add(read('.dockerignore'));
  const sent = (path: string) => !context.ignores(path);

  it('never holds secrets: environment files and keys, at any depth', () => {
    for (const path of [
      '.env',
      '.env.keys',
      '.env.production',
      'deploy/.env',
      'subgraphs/customer/.env.local',
      'jwt.pem',
      'keys/signing.key',
      'deploy/kubernetes/jwt.pem',
      '.npmrc',
      'gateway/.npmrc',
    ]) {
      expect({ path, sent: sent(path) }).toEqual({ path, sent: false });
    }
  });

  it('leaves out local state, build output and every test folder at any depth', () => {
    for (const path of [
      '.data/pg/PG_VERSION',
      'node_modules/graphql/index.js',
      'lib/node_modules/pg/index.js',
      'gateway/dist/main.js',
      'test/readme.test.ts',
      'subgraphs/inventory/test/support.ts',
      'lib/src/money.test.ts',
      'a/b/c/test/fixture.ts',
      '.git/HEAD',
      'coverage/lcov.info',
    ]) {
      expect({ path, sent: sent(path) }).toEqual({ path, sent: false });
    }
  });

  it('holds everything the build stage needs', () => {
    const needed = tracked.filter(
      (f) =>
        ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.json', 'tsconfig.build.json'].includes(f) ||
        f.endsWith('/tsconfig.build.json') ||
        f.endsWith('/package.json') ||
        f === 'scripts/deploy-packages.sh' ||
        (/^(lib|gateway|subgraphs\/\w+|schema)\/src\//.test(f) && !f.endsWith('.test.ts')) ||
        /^schema\/[^/]+\.graphql$/.test(f) ||
        /^schema\/events\/[^/]+\.json$/.test(f) ||
        (/^migrations\/(\w+\/)?[^/]+\.ts$/.test(f) && !f.endsWith('.test.ts')),
    );
    expect(needed.length).toBeGreaterThan(50);
    expect(needed.filter((f) => !sent(f))).toEqual([]);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = new Map<string, { from: string; lines: string[] }>();
  let current: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const from = /^FROM (\S+) AS (\S+)$/.exec(line);
    if (from) {
      current = [];
      stages.set(from[2]!, { from: from[1]!, lines: current });
    } else {
      current.push(line);
    }
  }
  const services = ['gateway', 'customer', 'inventory', 'order', 'relay', 'migrate'];
  /** A stage's instructions, its parents' first (FROM another stage inherits USER, HEALTHCHECK, ...). */
  const lineage = (name: string): string[] => {
    const stage = stages.get(name)!;
    return [...(stages.has(stage.from) ? lineage(stage.from) : []), ...stage.lines];
  };
  const last = (name: string, instruction: string) =>
    lineage(name)
      .filter((l) => l.startsWith(`${instruction} `))
      .at(-1);

  it('has no syntax errors (dockerfile-utils)', () => {
    expect(lintDockerfile(dockerfile).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('builds on an in-support Node LTS line', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)-[a-z]+-slim$/m);
    for (const name of stages.keys()) expect(stages.get(name)!.from).toMatch(/^(\$\{NODE_IMAGE\}|build|runtime)$/);
  });

  it('has one target per service, each running compiled code as the non-root node user', () => {
    for (const service of services) {
      expect(stages.has(service)).toBe(true);
      expect(last(service, 'USER')).toBe('USER node');
      expect(last(service, 'ENTRYPOINT')).toContain('"node", "--conditions=shopgraph-dist"');
      // The folder it copies is one the deploy script writes, and its command a compiled source.
      const copied = /^COPY --from=build \/out\/(\w+) \/app$/m.exec(stages.get(service)!.lines.join('\n'))?.[1];
      expect(read('scripts/deploy-packages.sh')).toContain(`${copied}:@shopgraph/`);
      const command = /^CMD \["(dist\/[\w.]+)\.js"/m.exec(stages.get(service)!.lines.join('\n'))?.[1];
      const pkg = /(\w+):@shopgraph\/([\w-]+)/g;
      const dir = [...read('scripts/deploy-packages.sh').matchAll(pkg)].find((m) => m[1] === copied)?.[2];
      const packageDir = { gateway: 'gateway', migrations: 'migrations' }[dir!] ?? `subgraphs/${dir}`;
      const source = command!.replace(/^dist\//, packageDir === 'migrations' ? '' : 'src/');
      expect(existsSync(`${root}${packageDir}/${source}.ts`)).toBe(true);
    }
  });

  it('checks the health of each long-running service, and says the one-shot migrate job has none', () => {
    for (const service of services.filter((s) => s !== 'migrate')) {
      expect(last(service, 'HEALTHCHECK')).toMatch(/HEALTHCHECK --interval=\S+ .*\\$/);
    }
    expect(last('migrate', 'HEALTHCHECK')).toBe('HEALTHCHECK NONE');
  });

  it('installs production dependencies only into what it ships', () => {
    expect(read('scripts/deploy-packages.sh')).toMatch(/deploy --prod/);
    for (const service of services) expect(lineage(service).join('\n')).not.toMatch(/COPY \. \.|pnpm install/);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<
      string,
      {
        build?: { target: string };
        image?: string;
        environment?: Record<string, string>;
        healthcheck?: { test: string[] };
      }
    >;
  };
  const targets = new Set([...read('Dockerfile').matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]));

  it('builds every service from its own Dockerfile target and names each in its logs', () => {
    const built = Object.entries(compose.services).filter(([, s]) => s.build);
    expect(built.map(([name]) => name).sort()).toEqual(
      ['customer', 'gateway', 'inventory', 'migrate', 'order', 'order-relay'].sort(),
    );
    const names = new Set<string>();
    for (const [name, service] of built) {
      expect({ name, target: targets.has(service.build!.target) }).toEqual({ name, target: true });
      const serviceName = service.environment?.SERVICE_NAME;
      expect({ name, serviceName }).toEqual({ name, serviceName: expect.any(String) });
      names.add(serviceName!);
    }
    expect(names.size).toBe(built.length);
  });

  it('gives each subgraph its own database and role, the service secret, and the order subgraph its neighbours', () => {
    const env = (service: string) => compose.services[service]!.environment ?? {};
    const databaseVariables = (service: string) =>
      Object.keys(env(service)).filter((k) => /DATABASE(_ADMIN)?_URL$/.test(k));
    const roleAndDatabase = (url: string) => {
      const parsed = new URL(url.replace(/\$\{[^}]+\}/g, 'secret'));
      return [parsed.username, parsed.pathname.slice(1)];
    };
    const own = { customer: 'CUSTOMER', inventory: 'INVENTORY', order: 'ORDER' } as const;
    const targets = new Set<string>();
    for (const [service, prefix] of Object.entries(own)) {
      // Only its own database: a subgraph cannot even be pointed at another's.
      expect([service, databaseVariables(service)]).toEqual([service, [`${prefix}_DATABASE_URL`]]);
      const [role, database] = roleAndDatabase(env(service)[`${prefix}_DATABASE_URL`]!);
      expect(role).toBe(`shopgraph_${service}`);
      targets.add(`${role}@${database}`);
      expect([service, env(service).SERVICE_AUTH_SECRET]).toEqual([
        service,
        expect.stringContaining('SERVICE_AUTH_SECRET'),
      ]);
    }
    expect(targets.size).toBe(3);
    expect(env('order-relay').ORDER_DATABASE_URL).toBe(env('order').ORDER_DATABASE_URL);
    expect(databaseVariables('gateway')).toEqual([]);
    // The neighbours' internal APIs, at the compose services' own ports.
    for (const [variable, service] of [
      ['INVENTORY_SERVICE_URL', 'inventory'],
      ['CUSTOMER_SERVICE_URL', 'customer'],
    ] as const) {
      const url = new URL(env('order')[variable]!);
      expect([url.hostname, url.port]).toEqual([service, env(service).PORT]);
    }
    // The migrate job provisions (as the server's admin) and migrates every subgraph as its role.
    expect(databaseVariables('migrate').sort()).toEqual(
      ['DATABASE_ADMIN_URL', 'CUSTOMER_DATABASE_URL', 'INVENTORY_DATABASE_URL', 'ORDER_DATABASE_URL'].sort(),
    );
    for (const prefix of Object.values(own)) {
      expect(env('migrate')[`${prefix}_DATABASE_URL`]).toBe(env(prefix.toLowerCase())[`${prefix}_DATABASE_URL`]);
    }
  });

  it('checks Postgres over TCP, not its socket', () => {
    expect(compose.services.postgres!.healthcheck!.test).toEqual(expect.arrayContaining(['pg_isready', '-h']));
  });
});

describe('supported Node versions', () => {
  // The oldest release of each supported line that the engines field accepts.
  const lowest = ['22.22.2', '24.15.0'];

  it('are stated in engines: the root and every workspace package', () => {
    const manifests = tracked.filter((f) => f === 'package.json' || /^[\w/]+\/package\.json$/.test(f));
    expect(manifests.length).toBeGreaterThanOrEqual(8);
    for (const file of manifests) {
      const engines = (JSON.parse(read(file)) as { engines?: { node?: string } }).engines?.node;
      expect({ file, engines }).toEqual({ file, engines: '^22.22.2 || >=24.15.0' });
      for (const version of lowest) expect(semver.satisfies(version, engines!)).toBe(true);
      expect(semver.satisfies('20.20.0', engines!)).toBe(false);
    }
  });

  it('are accepted by every locked dependency, so installs there print no engine warning', () => {
    const lock = parse(read('pnpm-lock.yaml')) as { packages: Record<string, { engines?: { node?: string } }> };
    const refusing = Object.entries(lock.packages).flatMap(([name, entry]) => {
      const range = entry.engines?.node;
      return range && lowest.some((v) => !semver.satisfies(v, range)) ? [`${name} wants node ${range}`] : [];
    });
    expect(Object.keys(lock.packages).length).toBeGreaterThan(100);
    expect(refusing).toEqual([]);
  });
});
