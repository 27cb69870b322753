import type { Result, UserError } from '@shopgraph/lib';
import type { InventoryErrorCode } from './generated/graphql.js';

/** A refused business rule of an inventory mutation (docs/adr/0016). */
export type InventoryUserError = UserError<InventoryErrorCode>;

/** What the inventory services return: their values, or why they refused. */
export type InventoryResult<T extends object> = Result<T, InventoryUserError>;

/** A userError naming the input field at fault. */
export function userError(code: InventoryErrorCode, message: string, field?: readonly string[]): InventoryUserError {
  return { code, message, field: field ? [...field] : null };
}
