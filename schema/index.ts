/** The published contracts that are not GraphQL: the order event types. */
export * from './events/order-events.js';
