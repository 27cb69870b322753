import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  type ArgumentNode,
  type ASTVisitor,
  type ObjectFieldNode,
  type StringValueNode,
  type ValidationContext,
} from 'graphql';

/**
 * Characters a Postgres `text` value cannot hold as given: NUL is refused by
 * Postgres outright, and a lone UTF-16 surrogate (not a character at all)
 * would be stored as U+FFFD, silently changing the value.
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const unstorableMessage = (field: string) =>
  `"${field}" contains a character that cannot be stored (a NUL or an unpaired surrogate)`;

/** The dotted path of the first string under `value` that Postgres cannot store, if any. */
export function findUnstorableString(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableString(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = findUnstorableString(inner, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Visitor entries that keep `path` at the argument and input-object fields
 * being visited (`filter.status`), so a rule can name the field at fault.
 */
export function argumentPath(path: string[]): ASTVisitor {
  return {
    Argument: {
      enter: (node: ArgumentNode) => void path.push(node.name.value),
      leave: () => void path.pop(),
    },
    ObjectField: {
      enter: (node: ObjectFieldNode) => void path.push(node.name.value),
      leave: () => void path.pop(),
    },
  };
}

/**
 * A validation rule refusing string literals that Postgres cannot store, as
 * BAD_USER_INPUT naming the argument (`input.name`). One rule for every
 * service, so no resolver has to remember it and the database never sees
 * such a value (it would fail there as an internal error).
 */
export function storableStringLiterals(context: ValidationContext): ASTVisitor {
  const path: string[] = [];
  return {
    ...argumentPath(path),
    StringValue(node: StringValueNode) {
      if (!UNSTORABLE.test(node.value)) return;
      const field = path.join('.') || 'query';
      context.reportError(
        new GraphQLError(unstorableMessage(field), { nodes: [node], extensions: { code: 'BAD_USER_INPUT', field } }),
      );
    },
  };
}

/**
 * The same check for variables, before the operation runs: the field is the
 * variable's path (`input.line1` for `$input`). Refused with HTTP 400 like
 * any variable the operation cannot take; the gateway's subgraph data source
 * relays a subgraph's BAD_USER_INPUT from such an answer.
 */
export function storableStringVariables(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request }) {
          const field = request.variables && findUnstorableString(request.variables, '')?.slice(1);
          if (field) {
            throw new GraphQLError(unstorableMessage(field), {
              extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/**
 * No service here has a Subscription type: graphql-js 16 would only notice at
 * execution and fail as an internal error. This rule refuses a subscription
 * during validation as the client's mistake (graphql-js 17 has it built in as
 * KnownOperationTypesRule).
 */
export function noSubscriptions(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation !== 'subscription' || context.getSchema().getSubscriptionType()) return;
      context.reportError(
        new GraphQLError('Subscriptions are not supported: this API answers queries and mutations only', {
          nodes: [node],
        }),
      );
    },
  };
}
