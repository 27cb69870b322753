import type { OrderErrorCode, OrderUserError } from '../generated/graphql.js';
import type { OrderRow } from './order.table.js';

/** A business failure of an order mutation, returned to the client as data. */
export type UserError = OrderUserError & { code: OrderErrorCode };

export type OrderResult = { ok: true; order: OrderRow } | { ok: false; userErrors: UserError[] };

export const fail = (...userErrors: UserError[]): OrderResult => ({ ok: false, userErrors });

/**
 * Thrown inside an order transaction to roll it back and answer with these
 * userErrors instead: nothing the transaction did is kept.
 */
export class OrderRejected extends Error {
  constructor(readonly userErrors: UserError[]) {
    super(userErrors.map((e) => e.code).join(', '));
    this.name = 'OrderRejected';
  }
}

/** Runs `work`; an {@link OrderRejected} becomes a failed result. */
export async function rejectionsAsResult(work: () => Promise<OrderResult>): Promise<OrderResult> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OrderRejected) return { ok: false, userErrors: error.userErrors };
    throw error;
  }
}

export const orderNotFound = (field = ['id']): UserError => ({
  field,
  code: 'ORDER_NOT_FOUND',
  message: 'There is no such order, or it is not yours',
});
