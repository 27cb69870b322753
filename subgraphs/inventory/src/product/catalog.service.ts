import { createHash } from 'node:crypto';
import {
  badUserInput,
  decodeCursor,
  encodeCursor,
  isUuid,
  pageSize,
  parseDecimalToMinorUnits,
  requireAdmin,
  toConnection,
  type Connection,
  type Viewer,
} from '@shopgraph/lib';
import type { InventoryDb } from '../database.js';
import type { ProductFilter, ProductSortKey } from '../generated/graphql.js';
import { countProducts, listProducts, type ProductCriteria, type ProductOrder } from './product.repository.js';
import type { ProductRow } from './product.table.js';

/** A page of the catalog; `totalCount` runs its count only when a client asks for it. */
export interface ProductPage extends Connection<ProductRow> {
  totalCount: () => Promise<number>;
}

interface SortSpec extends ProductOrder {
  /** Names the sort inside cursors, so a cursor only continues the list it came from. */
  tag: string;
  kind: 'string' | 'number';
  key: (row: ProductRow) => string | number;
  /** The cursor's key as the SQL value to compare with; undefined when it cannot be one. */
  fromCursor: (value: string | number) => string | number | Date | undefined;
}

const MAX_SEARCH_LENGTH = 200;
const asMinorUnits = (v: string | number) => (Number.isSafeInteger(v) ? v : undefined);

const SORTS: Record<ProductSortKey, SortSpec> = {
  NAME: {
    tag: 'name',
    column: 'name',
    direction: 'asc',
    kind: 'string',
    key: (row) => row.name,
    fromCursor: (v) => v,
  },
  PRICE_ASC: {
    tag: 'price',
    column: 'price_minor',
    direction: 'asc',
    kind: 'number',
    key: (row) => row.price_minor,
    fromCursor: asMinorUnits,
  },
  PRICE_DESC: {
    tag: 'price-desc',
    column: 'price_minor',
    direction: 'desc',
    kind: 'number',
    key: (row) => row.price_minor,
    fromCursor: asMinorUnits,
  },
  NEWEST: {
    tag: 'newest',
    column: 'created_at',
    direction: 'desc',
    kind: 'number',
    key: (row) => row.created_at.getTime(),
    fromCursor: (v) => {
      const date = new Date(v);
      return Number.isSafeInteger(v) && !Number.isNaN(date.getTime()) ? date : undefined;
    },
  },
};

function parsePrice(value: string | null | undefined, argument: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const minor = parseDecimalToMinorUnits(value);
  if (minor === undefined || minor < 0) throw badUserInput(`"${argument}" must be a price of zero or more`, argument);
  return minor;
}

/**
 * The filter argument as repository criteria. Listing archived products
 * (`activeOnly: false`) is for admins only.
 */
export function parseProductFilter(filter: ProductFilter | null | undefined, viewer: Viewer | null): ProductCriteria {
  const search = filter?.search?.trim() || undefined;
  if (search !== undefined && search.length > MAX_SEARCH_LENGTH) {
    throw badUserInput(`"filter.search" must be at most ${MAX_SEARCH_LENGTH} characters`, 'filter.search');
  }
  const minPriceMinor = parsePrice(filter?.minPrice, 'filter.minPrice');
  const maxPriceMinor = parsePrice(filter?.maxPrice, 'filter.maxPrice');
  if (minPriceMinor !== undefined && maxPriceMinor !== undefined && maxPriceMinor < minPriceMinor) {
    throw badUserInput('"filter.maxPrice" must not be below "filter.minPrice"', 'filter.maxPrice');
  }
  const activeOnly = filter?.activeOnly ?? true;
  if (!activeOnly) requireAdmin(viewer);
  return { search, minPriceMinor, maxPriceMinor, inStockOnly: filter?.inStockOnly ?? false, activeOnly };
}

/** The cursor tag of a sort under a filter: a cursor is only valid for the list it was made for. */
function cursorTag(spec: SortSpec, criteria: ProductCriteria): string {
  const filter = [
    criteria.search ?? null,
    criteria.minPriceMinor ?? null,
    criteria.maxPriceMinor ?? null,
    criteria.inStockOnly,
    criteria.activeOnly,
  ];
  const digest = createHash('sha256').update(JSON.stringify(filter)).digest('base64url').slice(0, 10);
  return `${spec.tag}:${digest}`;
}

function decodePosition(after: string, spec: SortSpec, tag: string): [string | number | Date, string] {
  const [value, id] = decodeCursor(after, tag, [spec.kind, 'string'] as const) as [string | number, string];
  const key = spec.fromCursor(value);
  if (key === undefined || !isUuid(id)) throw badUserInput('"after" is not a valid cursor for this list', 'after');
  return [key, id];
}

export interface ProductPageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: ProductFilter | null | undefined;
  sortBy?: ProductSortKey | null | undefined;
}

/**
 * A page of the catalog under a filter and a sort, with keyset cursors over
 * (sort key, id): no OFFSET, so a deep page costs what the first does.
 */
export async function productPage(db: InventoryDb, viewer: Viewer | null, args: ProductPageArgs): Promise<ProductPage> {
  const limit = pageSize(args.first);
  const sortBy = args.sortBy ?? 'NEWEST';
  // GraphQL validation already rejects unknown enum values; this guards other callers.
  if (!Object.hasOwn(SORTS, sortBy)) {
    throw badUserInput(`"sortBy" must be one of ${Object.keys(SORTS).join(', ')}`, 'sortBy');
  }
  const spec = SORTS[sortBy];
  const criteria = parseProductFilter(args.filter, viewer);
  const tag = cursorTag(spec, criteria);
  const after = args.after ? decodePosition(args.after, spec, tag) : undefined;
  const rows = await listProducts(db, { criteria, order: spec, limit, after });
  const page = toConnection(
    rows,
    limit,
    (row) => encodeCursor(tag, [spec.key(row), row.id]),
    (row) => row,
    Boolean(after),
  );
  return { ...page, totalCount: () => countProducts(db, criteria) };
}
