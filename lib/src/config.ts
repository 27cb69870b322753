import { z } from 'zod';
import { SUBGRAPHS, type SubgraphName } from './subgraph-names.js';

/** Raised when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses environment variables with a zod object schema whose keys are the
 * variable names, and returns a frozen, typed config. Every missing or
 * malformed variable is named in one error, so an operator fixes them all in
 * one go.
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.infer<S>> {
  // Empty strings count as unset: `FOO=` in a compose file means "no value".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  return Object.freeze(result.data);
}

/** Common variable parsers, so every service spells them the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () =>
    z.string().refine((value) => URL.canParse(value), {
      message: 'must be an absolute URL',
    }),
  postgresUrl: () =>
    z.string().refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
      message: 'must be a postgres:// connection URL',
    }),
  nodeEnv: () => z.enum(['development', 'production', 'test']).default('development'),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  /** A boolean whose absence means "decide from other settings": undefined when unset. */
  optionalBool: () =>
    z
      .enum(['true', 'false', '1', '0'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
};

/** The environment variable naming a subgraph's own database, e.g. INVENTORY_DATABASE_URL. */
export const databaseUrlVariable = (subgraph: SubgraphName) => `${subgraph.toUpperCase()}_DATABASE_URL`;

/**
 * Each subgraph's database URL (docs/adr/0013): `<SUBGRAPH>_DATABASE_URL`,
 * falling back to `DATABASE_URL`; absent when neither is set. Malformed URLs
 * are reported together.
 */
export function subgraphDatabaseUrls(
  vars: Record<string, string | undefined> = process.env,
): Partial<Record<SubgraphName, string>> {
  const shape = Object.fromEntries(
    ['DATABASE_URL', ...SUBGRAPHS.map(databaseUrlVariable)].map((name) => [name, env.postgresUrl().optional()]),
  );
  const parsed = parseConfig(z.object(shape), vars) as Record<string, string | undefined>;
  const urls: Partial<Record<SubgraphName, string>> = {};
  for (const subgraph of SUBGRAPHS) {
    const url = parsed[databaseUrlVariable(subgraph)] ?? parsed.DATABASE_URL;
    if (url) urls[subgraph] = url;
  }
  return urls;
}

/** One subgraph's database URL; a configuration error naming both variables when neither is set. */
export function subgraphDatabaseUrl(
  subgraph: SubgraphName,
  vars: Record<string, string | undefined> = process.env,
): string {
  const url = subgraphDatabaseUrls(vars)[subgraph];
  if (!url) throw new ConfigError([`${databaseUrlVariable(subgraph)}: required (or DATABASE_URL) for this service`]);
  return url;
}

/**
 * Runs a service's start-up function and turns a configuration error into one
 * readable message and exit code 1, instead of a stack trace.
 */
export async function runMain(name: string, main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
    } else {
      process.stderr.write(`${name}: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exit(1);
  }
}
