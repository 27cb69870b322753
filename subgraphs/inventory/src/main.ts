import { authenticatorFromEnv, runSubgraphProcess } from '@shopgraph/lib';
import { startInventory } from './app.js';
import type { InventoryDatabase } from './database.js';

await runSubgraphProcess<InventoryDatabase>('inventory', 4002, (options) =>
  startInventory({ ...options, auth: authenticatorFromEnv(options.env) }),
);
