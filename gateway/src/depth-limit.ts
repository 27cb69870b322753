import type { SelectionSetNode } from 'graphql';
import { operationLimit, type FieldsOf } from './operation-limit.js';

/**
 * A validation rule that rejects operations nested deeper than `maxDepth`
 * fields (fragments expanded; introspection is bounded apart), so a
 * malicious query cannot fan out without bound before any subgraph is asked.
 */
export function depthLimit(maxDepth: number) {
  const depthOf = (set: SelectionSetNode | undefined, depth: number, fieldsOf: FieldsOf): number => {
    let deepest = depth;
    for (const field of fieldsOf(set)) {
      deepest = Math.max(deepest, depthOf(field.selectionSet, depth + 1, fieldsOf));
      if (deepest > maxDepth) break;
    }
    return deepest;
  };
  return operationLimit(
    maxDepth,
    (root, fieldsOf) => depthOf(root, 0, fieldsOf),
    (depth) => `Query is nested too deeply: depth ${depth} exceeds the limit of ${maxDepth}`,
  );
}
