import type { InventoryErrorCode, InventoryUserError } from './generated/graphql.js';

/** A refused business rule, as mutation payloads carry it. */
export function userError(code: InventoryErrorCode, message: string, field?: readonly string[]): InventoryUserError {
  return { code, message, field: field ? [...field] : null };
}

/** The payload of a refused mutation: no result, the reasons why. */
export function refused(...userErrors: InventoryUserError[]) {
  return { product: null, userErrors };
}
