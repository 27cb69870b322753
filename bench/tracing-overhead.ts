/**
 * What tracing costs the gateway: the catalog query (20 products) through a
 * gateway and an inventory subgraph, each its own Node process started as in
 * production (`--import @shopgraph/lib/telemetry/register`), in three set-ups
 * running side by side:
 *
 *   disabled   OTEL_SDK_DISABLED=true: no SDK, no instrumentation at all;
 *   off        the default without an OTLP endpoint: instrumented, trace ids
 *              made and propagated, nothing recorded or exported;
 *   exporting  every span recorded and exported over OTLP/HTTP (protobuf, the
 *              default protocol) to a receiver in this process.
 *
 * CLIENTS concurrent keep-alive clients drive one set-up at a time for
 * ROUND_S seconds; rounds rotate through the set-ups ROUNDS times so machine
 * noise hits all alike. Printed per set-up: median throughput over the rounds
 * and the CPU time (user + system, from /proc) the gateway and the subgraph
 * spent per request, which is steadier than wall time on a shared machine.
 *
 *   pnpm bench:tracing                      (ROUNDS=5 ROUND_S=4 CLIENTS=8)
 *
 * Uses a fresh database on the Postgres of TEST_DATABASE_URL, dropped after.
 * The figures are printed, never asserted.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey, toJwks } from '@shopgraph/lib';
import pg from 'pg';
import { createTestDatabase } from '../test/support/database.js';
import { testServiceSecret } from '../test/support/process-stack.js';
import { startServiceProcess, type ServiceProcess } from '../test/support/processes.js';
import { fmt, log, percentile } from './support/timing.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_S ?? 4) * 1000;
const CLIENTS = Number(process.env.CLIENTS ?? 8);
const CATALOG = `query Catalog {
  products(first: 20) { edges { cursor node { id sku name price { amount currencyCode } available inStock } } }
}`;

/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  // Fields after the command name (which may contain spaces): utime is the 12th, stime the 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** An OTLP/HTTP endpoint that accepts and counts trace exports, as a collector would. */
async function startSink() {
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (stats.bytes += chunk.length));
    req.on('end', () => {
      stats.requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    stats,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Setup {
  label: string;
  gateway: ServiceProcess;
  inventory: ServiceProcess;
  rounds: { requests: number; failures: number; seconds: number; gatewayCpu: number; inventoryCpu: number }[];
}

async function drive(setup: Setup): Promise<void> {
  const url = `${setup.gateway.url}/graphql`;
  const body = JSON.stringify({ query: CATALOG });
  const cpu = () => [cpuSeconds(setup.gateway.child.pid!), cpuSeconds(setup.inventory.child.pid!)] as const;
  const [gatewayBefore, inventoryBefore] = cpu();
  let requests = 0;
  let failures = 0;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() - start < ROUND_MS) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const json = (await res.json()) as { data?: { products?: { edges: unknown[] } } };
        if (res.ok && json.data?.products?.edges.length === 20) requests++;
        else failures++;
      }
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  const [gatewayAfter, inventoryAfter] = cpu();
  setup.rounds.push({
    requests,
    failures,
    seconds,
    gatewayCpu: gatewayAfter - gatewayBefore,
    inventoryCpu: inventoryAfter - inventoryBefore,
  });
}

const database = await createTestDatabase('shopgraph_bench');
const sink = await startSink();
const setups: Setup[] = [];
try {
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  await pool.query(
    `insert into inventory.product (sku, name, description, price_minor, stock)
     select 'BENCH-' || i, 'Bench product ' || i, 'A product to list', 100 + i, 1000 from generate_series(1, 500) i`,
  );
  await pool.end();

  const key = generateSigningKey('bench');
  const common = {
    DATABASE_URL: database.url,
    // Required of every subgraph; the catalog query makes no service call.
    SERVICE_AUTH_SECRET: testServiceSecret(),
    JWT_PUBLIC_KEYS: JSON.stringify(toJwks([key])),
    NODE_ENV: 'production',
    // Access log lines on, as in production.
    LOG_LEVEL: 'info',
  };
  const variants: [string, Record<string, string>][] = [
    ['disabled', { OTEL_SDK_DISABLED: 'true' }],
    ['off', {}],
    ['exporting', { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint }],
  ];
  for (const [label, env] of variants) {
    const quiet = { retainLogs: false, listening: /listening$/ };
    const inventory = await startServiceProcess(
      'inventory',
      'subgraphs/inventory/src/main.ts',
      {
        ...common,
        ...env,
      },
      quiet,
    );
    const gateway = await startServiceProcess(
      'gateway',
      'gateway/src/main.ts',
      {
        ...common,
        ...env,
        INVENTORY_URL: `${inventory.url}/graphql`,
        // Not called by the catalog query; any URL will do.
        CUSTOMER_URL: `${inventory.url}/graphql`,
        ORDER_URL: `${inventory.url}/graphql`,
      },
      quiet,
    );
    setups.push({ label, gateway, inventory, rounds: [] });
  }

  log(
    `Catalog query (20 products) through gateway + inventory processes; ${CLIENTS} clients, ` +
      `${ROUNDS} rounds of ${ROUND_MS / 1000} s per set-up, rotating; Node ${process.version}.`,
  );
  // Warm-up: JIT, connection pools, keep-alive sockets.
  for (const setup of setups) {
    await drive(setup);
    setup.rounds.length = 0;
  }
  const exportsBefore = { ...sink.stats };
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < setups.length; i++) await drive(setups[(round + i) % setups.length]!);
  }

  log('');
  log(
    `${'tracing'.padEnd(11)}${'req/s'.padStart(9)}${'CPU ms/req'.padStart(12)}${'gateway'.padStart(10)}${'inventory'.padStart(11)}${'vs off'.padStart(9)}${'failed'.padStart(8)}`,
  );
  const cpuPerRequest = (setup: Setup, pick: (r: Setup['rounds'][number]) => number) =>
    (setup.rounds.reduce((sum, r) => sum + pick(r), 0) * 1000) / setup.rounds.reduce((sum, r) => sum + r.requests, 0);
  const off = setups.find((s) => s.label === 'off')!;
  const offCpu = cpuPerRequest(off, (r) => r.gatewayCpu + r.inventoryCpu);
  for (const setup of setups) {
    const throughput = percentile(
      setup.rounds.map((r) => r.requests / r.seconds),
      50,
    );
    const total = cpuPerRequest(setup, (r) => r.gatewayCpu + r.inventoryCpu);
    log(
      `${setup.label.padEnd(11)}${fmt(throughput, 0).padStart(9)}${fmt(total, 3).padStart(12)}` +
        `${fmt(
          cpuPerRequest(setup, (r) => r.gatewayCpu),
          3,
        ).padStart(10)}` +
        `${fmt(
          cpuPerRequest(setup, (r) => r.inventoryCpu),
          3,
        ).padStart(11)}` +
        `${`${fmt(total / offCpu, 2)}x`.padStart(9)}` +
        `${String(setup.rounds.reduce((sum, r) => sum + r.failures, 0)).padStart(8)}`,
    );
  }
  log('');
  log(
    `The exporting set-up sent ${sink.stats.requests - exportsBefore.requests} OTLP exports ` +
      `(${fmt((sink.stats.bytes - exportsBefore.bytes) / 1e6, 1)} MB) during the timed rounds.`,
  );
} finally {
  for (const setup of setups) {
    await setup.gateway.stop();
    await setup.inventory.stop();
  }
  await sink.close();
  await database.drop();
}
