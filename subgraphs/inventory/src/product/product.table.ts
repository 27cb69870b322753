import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** inventory.product: the catalog and each product's stock on hand. */
export interface ProductTable {
  id: Generated<string>;
  sku: string;
  name: string;
  description: Generated<string>;
  /** Unit price in minor units (cents). */
  price_minor: number;
  currency: Generated<string>;
  image_url: string | null;
  active: Generated<boolean>;
  /** Units available to order; never negative (CHECK constraint). */
  stock: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type ProductRow = Selectable<ProductTable>;
export type NewProductRow = Insertable<ProductTable>;
export type ProductUpdate = Updateable<ProductTable>;
