import type { Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely';

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
  /** Units available to order; never negative (CHECK constraint). Changed only with a stock ledger row. */
  stock: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Full-text search document over name and description, maintained by Postgres. Never selected. */
  search: GeneratedAlways<string>;
}

export type ProductRow = Omit<Selectable<ProductTable>, 'search'>;
export type NewProductRow = Insertable<ProductTable>;
export type ProductUpdate = Updateable<ProductTable>;

/** Every column of a {@link ProductRow}: what product queries select (not the search document). */
export const productColumns = [
  'id',
  'sku',
  'name',
  'description',
  'price_minor',
  'currency',
  'image_url',
  'active',
  'stock',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof ProductRow)[];
