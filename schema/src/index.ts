/**
 * Shopgraph's published contracts: the subgraph SDLs, the composed supergraph,
 * the order events, the address rules and the internal service APIs.
 */
export * from './files.js';
export * from './events/order-events.js';
export * from './address.js';
export * from './services/common.js';
export * from './services/inventory-reservations.js';
export * from './services/customer-addresses.js';
