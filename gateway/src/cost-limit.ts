import { Kind, type FieldNode, type SelectionSetNode } from 'graphql';
import { operationLimit, type FieldsOf } from './operation-limit.js';

/** Page size assumed when `first` comes from a variable (the API's cap). */
const ASSUMED_PAGE = 100;

/** How many items a field's `first` argument asks for, 1 when it has none. */
function fanOut(field: FieldNode): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (!first) return 1;
  if (first.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  return ASSUMED_PAGE;
}

/**
 * A validation rule that estimates what an operation can make the subgraphs
 * load, before any planning: every field costs 1 for each time it can appear,
 * and a paginated field multiplies what is under it by its `first`. Depth
 * alone does not stop `orders(first: 100) { … customer { orders(first: 100) … } }`
 * from asking for 10,000 orders; this does.
 */
export function costLimit(maxCost: number) {
  const costOf = (set: SelectionSetNode | undefined, multiplier: number, fieldsOf: FieldsOf): number => {
    let cost = 0;
    for (const field of fieldsOf(set)) {
      cost += multiplier + costOf(field.selectionSet, multiplier * fanOut(field), fieldsOf);
      if (cost > maxCost) break;
    }
    return cost;
  };
  return operationLimit(
    maxCost,
    (root, fieldsOf) => costOf(root, 1, fieldsOf),
    (cost) => `Query is too expensive: estimated cost ${cost} exceeds the limit of ${maxCost}`,
  );
}
