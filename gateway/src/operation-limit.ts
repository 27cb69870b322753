import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** The fields a selection set selects, with inline fragments and fragment spreads expanded. */
export type FieldsOf = (set: SelectionSetNode | undefined) => FieldNode[];

/**
 * Root fields that read the schema rather than data. They are measured apart:
 * graphql-js's MaxIntrospectionDepthRule bounds how deep they recurse, and the
 * token limit bounds their size, so schema tools' standard introspection
 * queries (nested about 13 levels) are not refused as deep data queries.
 */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/**
 * A validation rule that measures each operation over its fields (fragments
 * expanded, introspection root fields left out) and refuses it, before any
 * planning, when the measure exceeds `max`. `measure` may stop early once it
 * is past `max`, so a document whose fragments multiply cannot make the walk
 * itself expensive.
 */
export function operationLimit(
  max: number,
  measure: (root: SelectionSetNode, fieldsOf: FieldsOf, operation: OperationDefinitionNode) => number,
  message: (value: number) => string,
) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    // A fragment spread twice in one selection selects the same fields (they
    // merge), so each fragment is expanded once per selection set: this keeps
    // the walk linear, also for fragments that spread each other repeatedly,
    // and ends fragment cycles (which graphql's NoFragmentCycles reports).
    const expand = (set: SelectionSetNode | undefined, expanded: Set<string>): FieldNode[] =>
      (set?.selections ?? []).flatMap((selection) => {
        if (selection.kind === Kind.FIELD) return [selection];
        if (selection.kind === Kind.INLINE_FRAGMENT) return expand(selection.selectionSet, expanded);
        const fragment = fragments.get(selection.name.value);
        if (!fragment || expanded.has(fragment.name.value)) return [];
        expanded.add(fragment.name.value);
        return expand(fragment.selectionSet, expanded);
      });
    return {
      OperationDefinition(operation) {
        const root = operation.selectionSet;
        const fieldsOf: FieldsOf = (set) => {
          const fields = expand(set, new Set());
          return set === root ? fields.filter((f) => !INTROSPECTION_ROOTS.has(f.name.value)) : fields;
        };
        const value = measure(root, fieldsOf, operation);
        if (value > max) context.reportError(new GraphQLError(message(value), { nodes: [operation] }));
      },
    };
  };
}
