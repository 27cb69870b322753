import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import { costLimit } from './cost-limit.js';
import { depthLimit } from './depth-limit.js';
import { operationLimit } from './operation-limit.js';

/** How big an operation the gateway accepts; each is checked before planning. */
export interface OperationLimits {
  /** Deepest field nesting. */
  maxDepth: number;
  /** Largest estimated cost: fields times the page sizes above them. */
  maxCost: number;
  /** Most aliases in one operation (fragments expanded). */
  maxAliases: number;
  /** Most lexical tokens in one document; the parser stops at the first one over. */
  maxTokens: number;
  /** Most directives in one operation. */
  maxDirectives: number;
  /** Most root fields in one mutation, so one request cannot repeat `login` or `placeOrder` many times. */
  maxRootMutationFields: number;
}

export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxCost: 10_000,
  maxAliases: 15,
  maxTokens: 1000,
  maxDirectives: 50,
  maxRootMutationFields: 5,
};

/**
 * graphql-armor's rules report through callbacks; this one files their
 * refusal as a validation error like our own limits, without armor's
 * misleading "Syntax Error:" prefix.
 */
const reportToValidation = (context: ValidationContext | null, error: GraphQLError) =>
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')));

const armor = { exposeLimits: true, propagateOnRejection: false, onReject: [reportToValidation] };

/** Refuses a mutation with more than `max` root fields (aliases and fragments count). */
function rootMutationFieldsLimit(max: number) {
  return operationLimit(
    max,
    (root, fieldsOf, operation) => (operation.operation === 'mutation' ? fieldsOf(root).length : 0),
    (count) => `Mutation has ${count} root fields; at most ${max} are allowed in one operation`,
  );
}

/**
 * The validation rules and parse options that enforce `limits`. Aliases and
 * directives are counted by graphql-armor's rules; the token count by
 * graphql-js's own parser (`maxTokens`), so a huge document is abandoned
 * while it is read, without a second parse.
 */
export function operationLimits(limits: OperationLimits): {
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
} {
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [
      depthLimit(limits.maxDepth),
      costLimit(limits.maxCost),
      rootMutationFieldsLimit(limits.maxRootMutationFields),
      maxAliasesRule({ ...armor, n: limits.maxAliases }) as unknown as ValidationRule,
      maxDirectivesRule({ ...armor, n: limits.maxDirectives }) as unknown as ValidationRule,
    ],
  };
}
