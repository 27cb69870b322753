import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export type Role = 'CUSTOMER' | 'ADMIN';

/** customer.customer: accounts and their credentials. */
export interface CustomerTable {
  id: Generated<string>;
  /** Stored normalised: trimmed and lower-cased. */
  email: string;
  name: string;
  role: Generated<Role>;
  /** KDF hash of the password; never leaves the customer subgraph. */
  password_hash: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type CustomerRow = Selectable<CustomerTable>;
export type NewCustomerRow = Insertable<CustomerTable>;
export type CustomerUpdate = Updateable<CustomerTable>;
