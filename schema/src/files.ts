import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

/**
 * The schema package's root folder, which holds the SDL and JSON Schema
 * files. This module sits one level below it both as source (src/) and
 * compiled (dist/), so the same relative path works in the repository and in
 * a deployed image.
 */
export const schemaDir = new URL('../', import.meta.url);

const read = (file: string) => readFileSync(new URL(file, schemaDir), 'utf8');

/** Parses `<name>.graphql`: a subgraph's SDL, the source of truth for its API. */
export function loadSubgraphSdl(name: 'customer' | 'inventory' | 'order'): DocumentNode {
  return parse(read(`${name}.graphql`));
}

/** Reads the composed `supergraph.graphql` the gateway plans queries over. */
export function loadSupergraphSdl(): string {
  return read('supergraph.graphql');
}

/** Parses `events/<name>.schema.json`: the JSON Schema of an event contract. */
export function loadEventSchema(name: 'order-events'): Record<string, unknown> {
  return JSON.parse(read(`events/${name}.schema.json`)) as Record<string, unknown>;
}
