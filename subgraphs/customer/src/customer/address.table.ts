import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** customer.address: postal addresses; at most one default shipping address per customer. */
export interface AddressTable {
  id: Generated<string>;
  customer_id: string;
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postal_code: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country_code: string;
  is_default_shipping: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type AddressRow = Selectable<AddressTable>;
export type NewAddressRow = Insertable<AddressTable>;
export type AddressUpdate = Updateable<AddressTable>;
