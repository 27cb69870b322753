export { startInventory, type InventoryServiceOptions, type ReservationSettings } from './app.js';
export type { InventoryDatabase } from './database.js';
export { recordInitialStock } from './stock/stock.service.js';
export { expireDueReservations } from './reservation/reservation.service.js';
