/** The published contracts that are not GraphQL: order events, address rules and the internal service APIs. */
export * from './events/order-events.js';
export * from './address.js';
export * from './services/common.js';
export * from './services/inventory-reservations.js';
export * from './services/customer-addresses.js';
