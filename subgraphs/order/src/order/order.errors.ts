import type { Result, UserError } from '@shopgraph/lib';
import type { OrderErrorCode, OrderStatus } from '../generated/graphql.js';
import type { OrderRow } from './order.table.js';

/** A business failure of an order mutation, returned to the client as data (docs/adr/0016). */
export type OrderUserError = UserError<OrderErrorCode> & {
  /** INSUFFICIENT_STOCK: units available for the line's product. */
  available?: number;
  currentStatus?: OrderStatus;
  requestedStatus?: OrderStatus;
};

/** What the order services return: the order, or why it was refused. */
export type OrderResult = Result<{ order: OrderRow }, OrderUserError>;

export const orderNotFound = (field = ['id']): OrderUserError => ({
  field,
  code: 'ORDER_NOT_FOUND',
  message: 'There is no such order, or it is not yours',
});
