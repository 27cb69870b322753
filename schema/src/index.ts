/** Shopgraph's published contracts: the subgraph SDLs, the composed supergraph and the order events. */
export * from './files.js';
export * from './events/order-events.js';
