import type { OrderStatus } from './order.table.js';

/**
 * The order state machine: the one table of allowed status changes.
 *
 *   PENDING → PAID → SHIPPED → DELIVERED
 *   PENDING → CANCELLED,  PAID → CANCELLED
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['PAID', 'CANCELLED'],
  PAID: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => TRANSITIONS[from].includes(to);

/** Statuses in which the shipping address may still change. */
export const ADDRESS_CHANGEABLE: readonly OrderStatus[] = ['PENDING', 'PAID'];
