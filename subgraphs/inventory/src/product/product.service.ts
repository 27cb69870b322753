import {
  createLogger,
  isUniqueViolation,
  parseDecimalToMinorUnits,
  parseId,
  refuse,
  succeed,
  transactionWithRetry,
  type Viewer,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { InventoryDatabase } from '../database.js';
import type { CreateProductInput, UpdateProductInput } from '../generated/graphql.js';
import { MAX_STOCK, recordInitialStock } from '../stock/stock.service.js';
import { userError, type InventoryResult, type InventoryUserError } from '../user-errors.js';
import { findProductsByIds, insertProduct, updateProduct as updateProductRow } from './product.repository.js';
import type { ProductRow } from './product.table.js';

const log = createLogger('inventory.product');

const SKU = /^[A-Za-z0-9._-]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_NAME_LENGTH = 200;
const MAX_DESCRIPTION_LENGTH = 5000;
const MAX_URL_LENGTH = 2048;

/** A product mutation's result: the product as it is now, or why nothing changed. */
export type ProductResult = InventoryResult<{ product: ProductRow }>;

/** Catalog details as columns: only the ones the input sets. */
interface ProductDetails {
  sku?: string;
  name?: string;
  description?: string;
  price_minor?: number;
  currency?: string;
  image_url?: string | null;
}

/** The editable details shared by create and update; null or absent leaves a detail unset. */
type DetailsInput = Partial<
  Record<'sku' | 'name' | 'description' | 'price' | 'currencyCode' | 'imageUrl', string | null | undefined>
>;

const invalid = (field: string, message: string) => userError('INVALID_VALUE', message, ['input', field]);

function isHttpUrl(text: string): boolean {
  if (text.length > MAX_URL_LENGTH || !URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'http:' || protocol === 'https:';
}

/** Checks every given detail and reports all problems at once, each naming its input field. */
function parseDetails(input: DetailsInput): { details: ProductDetails; errors: InventoryUserError[] } {
  const details: ProductDetails = {};
  const errors: InventoryUserError[] = [];
  if (input.sku != null) {
    const sku = input.sku.trim();
    if (SKU.test(sku)) details.sku = sku;
    else errors.push(invalid('sku', "SKU must be 1 to 64 letters, digits, '-', '_' or '.'"));
  }
  if (input.name != null) {
    const name = input.name.trim();
    if (name.length >= 1 && name.length <= MAX_NAME_LENGTH) details.name = name;
    else errors.push(invalid('name', `Name must be 1 to ${MAX_NAME_LENGTH} characters`));
  }
  if (input.description != null) {
    const description = input.description.trim();
    if (description.length <= MAX_DESCRIPTION_LENGTH) details.description = description;
    else errors.push(invalid('description', `Description must be at most ${MAX_DESCRIPTION_LENGTH} characters`));
  }
  if (input.price != null) {
    // The Decimal scalar has already checked the format.
    const minor = parseDecimalToMinorUnits(input.price)!;
    if (minor >= 0) details.price_minor = minor;
    else errors.push(userError('NEGATIVE_PRICE', 'Price must be zero or more', ['input', 'price']));
  }
  if (input.currencyCode != null) {
    const currency = input.currencyCode.trim().toUpperCase();
    if (CURRENCY.test(currency)) details.currency = currency;
    else errors.push(invalid('currencyCode', 'Currency must be a three-letter ISO-4217 code'));
  }
  if (input.imageUrl === null || input.imageUrl?.trim() === '') {
    details.image_url = null;
  } else if (input.imageUrl !== undefined) {
    const url = input.imageUrl.trim();
    if (isHttpUrl(url)) details.image_url = url;
    else errors.push(invalid('imageUrl', `Image URL must be an http(s) URL of at most ${MAX_URL_LENGTH} characters`));
  }
  return { details, errors };
}

const duplicateSku = () => userError('DUPLICATE_SKU', 'Another product already has this SKU', ['input', 'sku']);
const notFound = (field: string[]) => userError('PRODUCT_NOT_FOUND', 'No product has this id', field);

/**
 * Runs a product write and turns the SKU unique constraint into a
 * DUPLICATE_SKU user error. The constraint, not a prior lookup, decides, so
 * two admins racing for one SKU cannot both win.
 */
async function withUniqueSku(write: () => Promise<ProductResult>): Promise<ProductResult> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) return refuse(duplicateSku());
    throw error;
  }
}

/** Adds a product and records its initial stock in the ledger, in one transaction. */
export async function createProduct(
  db: Kysely<InventoryDatabase>,
  admin: Viewer,
  input: CreateProductInput,
): Promise<ProductResult> {
  const stock = input.initialStock ?? 0;
  const { details, errors } = parseDetails(input);
  if (!Number.isSafeInteger(stock) || stock < 0 || stock > MAX_STOCK) {
    errors.push(
      userError('INVALID_QUANTITY', `Initial stock must be from 0 to ${MAX_STOCK} units`, ['input', 'initialStock']),
    );
  }
  // Required fields that are blank after trimming are reported by parseDetails.
  if (errors.length > 0) return refuse(...errors);
  const { sku, name, price_minor } = details;
  return withUniqueSku(() =>
    transactionWithRetry(db, async (trx) => {
      const product = await insertProduct(trx, {
        ...details,
        sku: sku!,
        name: name!,
        price_minor: price_minor!,
        active: input.active ?? true,
        stock,
      });
      await recordInitialStock(trx, product, admin.customerId);
      log.info({ productId: product.id, sku: product.sku, actor: admin.customerId }, 'product created');
      return succeed({ product });
    }),
  );
}

/** Changes a product's catalog details; an input without changes returns the product as it is. */
export async function updateProduct(
  db: Kysely<InventoryDatabase>,
  admin: Viewer,
  input: UpdateProductInput,
): Promise<ProductResult> {
  const id = parseId(input.id, 'input.id');
  const { details, errors } = parseDetails(input);
  if (errors.length > 0) return refuse(...errors);
  if (Object.keys(details).length === 0) {
    const [product] = await findProductsByIds(db, [id]);
    return product ? succeed({ product }) : refuse(notFound(['input', 'id']));
  }
  return withUniqueSku(async () => {
    const product = await updateProductRow(db, id, details);
    if (!product) return refuse(notFound(['input', 'id']));
    log.info({ productId: id, fields: Object.keys(details), actor: admin.customerId }, 'product updated');
    return succeed({ product });
  });
}

/** Takes a product off the catalog. It stays resolvable by id for the orders that refer to it. */
export async function archiveProduct(
  db: Kysely<InventoryDatabase>,
  admin: Viewer,
  rawId: string,
): Promise<ProductResult> {
  const id = parseId(rawId, 'id');
  const [current] = await findProductsByIds(db, [id]);
  if (!current) return refuse(notFound(['id']));
  if (!current.active) return succeed({ product: current });
  const product = await updateProductRow(db, id, { active: false });
  log.info({ productId: id, actor: admin.customerId }, 'product archived');
  return product ? succeed({ product }) : refuse(notFound(['id']));
}
