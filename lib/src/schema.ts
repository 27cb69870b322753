import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

/** The checked-in schema/ folder: the SDL source of truth for every subgraph. */
export const schemaDir = fileURLToPath(new URL('../../schema/', import.meta.url));

/** Parses `schema/<name>.graphql`. */
export function loadSubgraphSdl(name: 'customer' | 'inventory' | 'order'): DocumentNode {
  return parse(readFileSync(`${schemaDir}${name}.graphql`, 'utf8'));
}

/** Reads the composed `schema/supergraph.graphql`. */
export function loadSupergraphSdl(): string {
  return readFileSync(`${schemaDir}supergraph.graphql`, 'utf8');
}
