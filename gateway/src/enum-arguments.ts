import type { ApolloServerPlugin } from '@apollo/server';
import { argumentPath } from '@shopgraph/lib';
import {
  getNamedType,
  GraphQLEnumType,
  GraphQLError,
  Kind,
  type ASTVisitor,
  type GraphQLFormattedError,
  type ValidationContext,
  type ValueNode,
} from 'graphql';

/**
 * An unknown enum value written in a query (`sortBy: CHEAPEST`,
 * `filter: { status: SOLD }`) is the client's bad input: this rule reports it
 * as BAD_USER_INPUT naming the argument (`sortBy`, `filter.status`) and the
 * values it accepts. graphql-js reports the same literal too, in its own
 * words; {@link preferArgumentErrors} keeps only ours.
 */
export function enumArguments(context: ValidationContext): ASTVisitor {
  const path: string[] = [];
  const check = (node: ValueNode) => {
    const type = context.getInputType();
    const named = type && getNamedType(type);
    if (!(named instanceof GraphQLEnumType)) return;
    if ((node.kind === Kind.ENUM || node.kind === Kind.STRING) && named.getValue(node.value)) return;
    if (node.kind !== Kind.ENUM && node.kind !== Kind.STRING && node.kind !== Kind.INT && node.kind !== Kind.FLOAT) {
      return;
    }
    const field = path.join('.');
    const allowed = named
      .getValues()
      .map((v) => v.name)
      .join(', ');
    context.reportError(
      new GraphQLError(`"${field}" has no value ${String(node.value)}; expected one of ${allowed}`, {
        nodes: [node],
        extensions: { code: 'BAD_USER_INPUT', field },
      }),
    );
  };
  return {
    ...argumentPath(path),
    EnumValue: check,
    StringValue: check,
    IntValue: check,
    FloatValue: check,
  };
}

const at = (error: GraphQLFormattedError) => JSON.stringify(error.locations ?? []);

/**
 * Drops graphql-js's own message for a value that {@link enumArguments}
 * already reported as BAD_USER_INPUT at the same place, so the client gets one
 * error per mistake.
 */
export const preferArgumentErrors: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
        const errors = response.body.singleResult.errors;
        const ours = new Set(
          errors.filter((e) => e.extensions?.code === 'BAD_USER_INPUT' && e.extensions.field).map(at),
        );
        if (ours.size === 0) return;
        response.body.singleResult.errors = errors.filter(
          (e) => e.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED' || !ours.has(at(e)),
        );
      },
    };
  },
};
