import {
  getNamedType,
  GraphQLError,
  Kind,
  type ASTVisitor,
  type GraphQLScalarType,
  type ValueNode,
  type ValidationContext,
} from 'graphql';

/**
 * The gateway's schema comes from the supergraph, where custom scalars accept
 * anything; a malformed literal (say `minPrice: "1.234"`) would only be caught
 * by the subgraph, which the gateway would then report as its own failure.
 * This rule checks literals of the given scalars with their real parsers
 * before planning, so the client gets a validation error naming the value.
 */
export function customScalarLiterals(scalars: readonly GraphQLScalarType[]) {
  const byName = new Map(scalars.map((s) => [s.name, s]));
  return (context: ValidationContext): ASTVisitor => {
    const check = (node: ValueNode) => {
      const type = context.getInputType();
      const scalar = type && byName.get(getNamedType(type).name);
      if (!scalar) return;
      try {
        scalar.parseLiteral(node, undefined);
      } catch (error) {
        context.reportError(
          new GraphQLError(error instanceof Error ? error.message : `Invalid ${scalar.name} value`, { nodes: [node] }),
        );
      }
    };
    return {
      [Kind.STRING]: check,
      [Kind.INT]: check,
      [Kind.FLOAT]: check,
      [Kind.BOOLEAN]: check,
    };
  };
}
