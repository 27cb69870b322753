import { authenticatorFromEnv, runSubgraphProcess } from '@shopgraph/lib';
import { startOrder } from './app.js';
import type { OrderDatabase } from './database.js';

await runSubgraphProcess<OrderDatabase>('order', 4003, (options) =>
  startOrder({ ...options, auth: authenticatorFromEnv(options.env) }),
);
