import { ServiceClient, type ServiceAuth } from '@shopgraph/lib';
import { RESERVATIONS_PATH, reservationPath, ReservationResult, type ReserveRequest } from '@shopgraph/schema';

/**
 * The inventory service as the order subgraph sees it: its reservation API
 * (docs/adr/0014), the one seam between the two. Every method resolves to the
 * API's result (a refusal included) and throws `ServiceUnavailableError` when
 * inventory cannot answer.
 */
export interface InventoryProxy {
  /** Reserves stock for a new order; idempotent by order id. */
  reserve(request: ReserveRequest): Promise<ReservationResult>;
  /** Confirms an order's reservation; idempotent. */
  confirm(orderId: string, actor: string): Promise<ReservationResult>;
  /** Releases an order's reservation; idempotent, and final. */
  release(orderId: string, actor: string): Promise<ReservationResult>;
  /** Closes the connections to the inventory service. */
  close(): Promise<void>;
}

export interface NeighbourOptions {
  /** Base URL of the service, e.g. http://inventory:4002 */
  baseUrl: string;
  /** The order service's identity and the shared service secrets. */
  auth: ServiceAuth;
  /** Longest a call may take. */
  timeoutMs: number;
}

export function inventoryProxy(options: NeighbourOptions): InventoryProxy {
  const client = new ServiceClient({ ...options, service: 'inventory' });
  return {
    reserve: (request) => client.call('POST', RESERVATIONS_PATH, request, ReservationResult, 'reserve'),
    confirm: (orderId, actor) =>
      client.call('POST', reservationPath(orderId, 'confirm'), { actor }, ReservationResult, 'confirm'),
    release: (orderId, actor) =>
      client.call('POST', reservationPath(orderId, 'release'), { actor }, ReservationResult, 'release'),
    close: () => client.close(),
  };
}
