import { runSubgraphProcess } from '@shopgraph/lib';
import { startCustomer } from './app.js';
import type { CustomerDatabase } from './database.js';

await runSubgraphProcess<CustomerDatabase>('customer', 4001, (options) => startCustomer(options));
