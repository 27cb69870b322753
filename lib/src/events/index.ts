export * from './envelope.js';
export * from './transport.js';
export * from './amqp-transport.js';
export * from './in-process-transport.js';
export * from './relay.js';
export * from './pg-listener.js';
export * from './consumer.js';
export * from './config.js';
