import { ConfigError, DEFAULT_TRUST_PROXY, env, type CorsSettings } from '@shopgraph/lib';
import { z } from 'zod';
import { DEFAULT_LIMITS, type OperationLimits } from './operation-limits.js';
import { readManifest, type PersistedOperationSettings } from './persisted-operations.js';
import { DEFAULT_SUBGRAPH_CALLS, type SubgraphCallSettings } from './subgraph-fetcher.js';
import type { SubgraphName } from './app.js';

/**
 * Origins allowed outside production when CORS_ORIGINS is not set: the usual
 * local dev servers (Vite, Create React App and Next.js, Angular, webpack and
 * others) on localhost and 127.0.0.1, and the hosted Apollo Sandbox.
 */
export const DEVELOPMENT_CORS_ORIGINS: readonly string[] = [
  ...[3000, 3001, 4173, 4200, 5173, 5174, 8000, 8080].flatMap((port) => [
    `http://localhost:${port}`,
    `http://127.0.0.1:${port}`,
  ]),
  'https://studio.apollographql.com',
];

const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}, 'each origin must be scheme://host[:port] with no path or trailing slash');

const positiveInt = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);
const optionalMs = () => z.coerce.number().int().min(50).optional();

/** The gateway's settings from the environment (shared by its own process and `pnpm start`). */
export const gatewayEnvShape = {
  /** Comma-separated origins; `none` allows none. */
  CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v.trim() === 'none'
        ? []
        : v
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean),
    )
    .pipe(z.array(origin))
    .optional(),
  CORS_ALLOW_CREDENTIALS: env.bool(false),
  TRUST_PROXY: z.string().default(DEFAULT_TRUST_PROXY),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(50).default(DEFAULT_LIMITS.maxDepth),
  MAX_QUERY_COST: positiveInt(DEFAULT_LIMITS.maxCost, 100),
  MAX_QUERY_ALIASES: positiveInt(DEFAULT_LIMITS.maxAliases, 0),
  MAX_QUERY_TOKENS: positiveInt(DEFAULT_LIMITS.maxTokens, 200),
  MAX_QUERY_DIRECTIVES: positiveInt(DEFAULT_LIMITS.maxDirectives, 0),
  MAX_MUTATION_FIELDS: positiveInt(DEFAULT_LIMITS.maxRootMutationFields),
  INTROSPECTION: env.optionalBool(),
  SUBGRAPH_TIMEOUT_MS: positiveInt(DEFAULT_SUBGRAPH_CALLS.timeoutMs, 50),
  CUSTOMER_TIMEOUT_MS: optionalMs(),
  INVENTORY_TIMEOUT_MS: optionalMs(),
  ORDER_TIMEOUT_MS: optionalMs(),
  SUBGRAPH_QUERY_RETRIES: z.coerce.number().int().min(0).max(5).default(DEFAULT_SUBGRAPH_CALLS.queryRetries),
  SUBGRAPH_BREAKER_FAILURES: positiveInt(DEFAULT_SUBGRAPH_CALLS.breakerFailures),
  SUBGRAPH_BREAKER_COOLDOWN_MS: positiveInt(DEFAULT_SUBGRAPH_CALLS.breakerCooldownMs, 100),
  PERSISTED_QUERIES_MANIFEST: z.string().optional(),
  PERSISTED_QUERIES_SAFELIST: env.bool(false),
};

export type GatewayEnv = z.infer<z.ZodObject<typeof gatewayEnvShape>>;

/** Everything about the gateway's edge that the environment decides. */
export interface GatewaySettings {
  introspection: boolean;
  limits: OperationLimits;
  cors: CorsSettings;
  trustProxy: string;
  subgraphCalls: SubgraphCallSettings;
  /** Per-subgraph call deadlines that differ from `subgraphCalls.timeoutMs`. */
  subgraphTimeouts: Partial<Record<SubgraphName, number>>;
  persistedOperations?: PersistedOperationSettings | undefined;
}

/** Turns the parsed environment into gateway settings; `production` picks the safe defaults. */
export function gatewaySettingsFromEnv(config: GatewayEnv, production: boolean): GatewaySettings {
  if (config.PERSISTED_QUERIES_SAFELIST && !config.PERSISTED_QUERIES_MANIFEST) {
    throw new ConfigError([
      'PERSISTED_QUERIES_SAFELIST: needs PERSISTED_QUERIES_MANIFEST, the list of allowed operations',
    ]);
  }
  let persistedOperations: PersistedOperationSettings | undefined;
  if (config.PERSISTED_QUERIES_MANIFEST) {
    try {
      persistedOperations = {
        manifest: readManifest(config.PERSISTED_QUERIES_MANIFEST),
        safelist: config.PERSISTED_QUERIES_SAFELIST,
      };
    } catch (error) {
      throw new ConfigError([`PERSISTED_QUERIES_MANIFEST: ${error instanceof Error ? error.message : String(error)}`]);
    }
  }
  return {
    introspection: config.INTROSPECTION ?? !production,
    limits: {
      maxDepth: config.MAX_QUERY_DEPTH,
      maxCost: config.MAX_QUERY_COST,
      maxAliases: config.MAX_QUERY_ALIASES,
      maxTokens: config.MAX_QUERY_TOKENS,
      maxDirectives: config.MAX_QUERY_DIRECTIVES,
      maxRootMutationFields: config.MAX_MUTATION_FIELDS,
    },
    cors: {
      origins: config.CORS_ORIGINS ?? (production ? [] : DEVELOPMENT_CORS_ORIGINS),
      allowCredentials: config.CORS_ALLOW_CREDENTIALS,
    },
    trustProxy: config.TRUST_PROXY,
    subgraphCalls: {
      ...DEFAULT_SUBGRAPH_CALLS,
      timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
      queryRetries: config.SUBGRAPH_QUERY_RETRIES,
      breakerFailures: config.SUBGRAPH_BREAKER_FAILURES,
      breakerCooldownMs: config.SUBGRAPH_BREAKER_COOLDOWN_MS,
    },
    subgraphTimeouts: {
      customer: config.CUSTOMER_TIMEOUT_MS,
      inventory: config.INVENTORY_TIMEOUT_MS,
      order: config.ORDER_TIMEOUT_MS,
    },
    persistedOperations,
  };
}
