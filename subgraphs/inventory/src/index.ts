export { startInventory, type InventoryServiceOptions } from './app.js';
export type { InventoryDatabase } from './database.js';
