import { readFileSync } from 'node:fs';
import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { z } from 'zod';

type PersistedQueryCache = NonNullable<Exclude<ApolloServerOptions<BaseContext>['persistedQueries'], false>>['cache'];

/**
 * Apollo's persisted query list format, as `@apollo/generate-persisted-query-manifest`
 * writes it from a frontend's operations.
 */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string().optional(),
      type: z.enum(['query', 'mutation', 'subscription']).optional(),
      body: z.string().min(1),
    }),
  ),
});

export type PersistedQueryManifest = z.infer<typeof manifestSchema>;

/** Operations the gateway serves by id. */
export interface PersistedOperationSettings {
  manifest: PersistedQueryManifest;
  /** Refuse every operation whose text is not in the manifest (by id or as the same text). */
  safelist: boolean;
}

/** Parses a manifest document; throws naming what is wrong. */
export function parseManifest(document: unknown): PersistedQueryManifest {
  const result = manifestSchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`not an Apollo persisted query manifest: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return result.data;
}

/** Reads a manifest file, e.g. `persisted-query-manifest.json`. */
export function readManifest(path: string): PersistedQueryManifest {
  return parseManifest(JSON.parse(readFileSync(path, 'utf8')));
}

/**
 * Apollo Server's persisted query support backed by the manifest: a client
 * sends `extensions.persistedQuery.sha256Hash` set to an operation's id and no
 * query text, and the gateway runs the manifest's body. Nothing is registered
 * at run time (a client cannot add operations), and in safelist mode any
 * operation text that is not in the manifest is refused before it is planned.
 */
export function persistedOperations(settings: PersistedOperationSettings): {
  persistedQueries: { cache: PersistedQueryCache };
  plugin: ApolloServerPlugin;
} {
  const byId = new Map(settings.manifest.operations.map((op) => [op.id, op.body]));
  const bodies = new Set(byId.values());
  // Apollo Server prefixes the ids it looks up with "apq:".
  const cache: PersistedQueryCache = {
    get: async (key) => byId.get(key.startsWith('apq:') ? key.slice(4) : key),
    set: async () => {},
    delete: async () => {},
  };
  const plugin: ApolloServerPlugin = {
    async requestDidStart({ request }) {
      if (!settings.safelist) return;
      const id = (request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
      const unknownId = request.query === undefined && typeof id === 'string' && !byId.has(id);
      return {
        // Apollo Server answers an unknown id with PERSISTED_QUERY_NOT_FOUND,
        // which tells an automatic-persisted-query client to send the text
        // instead; in safelist mode that would only be refused, so say so.
        async willSendResponse({ response }) {
          if (!unknownId || response.body.kind !== 'single') return;
          response.body.singleResult = {
            errors: [
              {
                message: 'This persisted operation id is not in the operation list',
                extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
              },
            ],
          };
          response.http.status = 400;
        },
        // Checked once the operation is resolved (the earliest hook whose
        // error Apollo Server answers as a client error), before planning.
        async didResolveOperation({ source }) {
          if (!bodies.has(source)) {
            throw new GraphQLError('Only operations from the persisted operation list are accepted', {
              extensions: { code: 'QUERY_NOT_IN_SAFELIST', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
  return { persistedQueries: { cache }, plugin };
}
