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

/** Parses `schema/events/<name>.schema.json`: the JSON Schema of an event contract. */
export function loadEventSchema(name: 'order-events'): Record<string, unknown> {
  return JSON.parse(readFileSync(`${schemaDir}events/${name}.schema.json`, 'utf8')) as Record<string, unknown>;
}
