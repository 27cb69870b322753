import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

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
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const costOf = (set: SelectionSetNode | undefined, multiplier: number, seen: ReadonlySet<string>): number => {
      if (!set) return 0;
      let cost = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          cost += multiplier + costOf(selection.selectionSet, multiplier * fanOut(selection), seen);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          cost += costOf(selection.selectionSet, multiplier, seen);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // A fragment cycle is reported by graphql's own NoFragmentCycles rule.
          if (fragment && !seen.has(name)) cost += costOf(fragment.selectionSet, multiplier, new Set([...seen, name]));
        }
        if (cost > maxCost) return cost;
      }
      return cost;
    };
    return {
      OperationDefinition(operation) {
        const cost = costOf(operation.selectionSet, 1, new Set());
        if (cost > maxCost) {
          context.reportError(
            new GraphQLError(`Query is too expensive: estimated cost ${cost} exceeds the limit of ${maxCost}`, {
              nodes: [operation],
            }),
          );
        }
      },
    };
  };
}
