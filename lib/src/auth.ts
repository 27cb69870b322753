import { forbidden, unauthenticated } from './errors.js';

export type Role = 'CUSTOMER' | 'ADMIN';

/** The authenticated caller of a request, from a verified access token. */
export interface Viewer {
  /** The customer id (the token's `sub`). */
  customerId: string;
  role: Role;
}

/** The caller, or UNAUTHENTICATED when the request carries no valid token. */
export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** The caller if an admin; UNAUTHENTICATED when anonymous, FORBIDDEN otherwise. */
export function requireAdmin(viewer: Viewer | null): Viewer {
  const v = requireViewer(viewer);
  if (v.role !== 'ADMIN') throw forbidden('This operation requires the ADMIN role');
  return v;
}

/** Whether the caller may read or change data owned by `customerId`. */
export function canActFor(viewer: Viewer | null, customerId: string): boolean {
  return viewer !== null && (viewer.role === 'ADMIN' || viewer.customerId === customerId);
}
