/**
 * A small demo data set for the embedded default: two customers, a catalog
 * and a few orders. Runs once: it does nothing when the catalog has products.
 * Each subgraph's rows go into its own database; stock is recorded in the
 * stock ledger, and orders go through the order service, which reserves and
 * confirms their stock through the running inventory service, so every order
 * has its reservation, history and events.
 */
import type { CustomerDatabase, PasswordHasher } from '@shopgraph/customer';
import { recordInitialStock, type InventoryDatabase } from '@shopgraph/inventory';
import type { Viewer } from '@shopgraph/lib';
import { changeOrderStatus, placeOrder, type Neighbours, type OrderDatabase } from '@shopgraph/order';
import type { Kysely } from 'kysely';

/** Each subgraph's database. */
export interface DemoDatabases {
  customer: Kysely<CustomerDatabase>;
  inventory: Kysely<InventoryDatabase>;
  order: Kysely<OrderDatabase>;
}

/** Demo logins for the embedded default; their passwords are public, so they are never seeded into a real database by default. */
export const DEMO_ACCOUNTS = [
  {
    id: 'c0000000-0000-4000-8000-000000000001',
    email: 'ada@example.com',
    password: 'ada-demo-password',
    name: 'Ada Lovelace',
    role: 'CUSTOMER',
  },
  {
    id: 'c0000000-0000-4000-8000-000000000002',
    email: 'admin@example.com',
    password: 'admin-demo-password',
    name: 'Grace Hopper',
    role: 'ADMIN',
  },
] as const;
export const DEMO_CUSTOMER_EMAIL = DEMO_ACCOUNTS[0].email;

/**
 * The demo catalog. Ids are fixed (`b0000000-0000-4000-8000-0000000000NN`, NN
 * the row number) so the README's example variables work as pasted.
 */
const PRODUCTS: [sku: string, name: string, description: string, priceMinor: number, stock: number][] = [
  ['MUG-001', 'Stoneware mug', 'A 350 ml stoneware mug, dishwasher safe.', 1450, 120],
  ['MUG-002', 'Enamel camping mug', 'Light enamel mug for the trail.', 1200, 60],
  ['TEE-001', 'Organic cotton tee', 'Heavyweight organic cotton t-shirt.', 2500, 200],
  ['TEE-002', 'Merino wool tee', 'Soft merino tee that keeps you cool.', 6500, 35],
  ['BAG-001', 'Canvas tote bag', 'Waxed canvas tote with leather handles.', 3900, 80],
  ['BAG-002', 'Roll-top backpack', 'Waterproof roll-top backpack, 22 litres.', 11900, 15],
  ['NTB-001', 'Dot grid notebook', 'A5 notebook with 192 dot grid pages.', 1800, 300],
  ['PEN-001', 'Brass fountain pen', 'Solid brass fountain pen, fine nib.', 5400, 25],
  ['KEY-001', 'Mechanical keyboard', 'Tenkeyless keyboard with hot-swap switches.', 12900, 10],
  ['LMP-001', 'Desk lamp', 'Dimmable LED desk lamp with warm light.', 4900, 40],
  ['BTL-001', 'Insulated bottle', 'Keeps drinks cold for 24 hours, 750 ml.', 2900, 150],
  ['SCK-001', 'Wool socks', 'Cushioned wool hiking socks, two pairs.', 1900, 0],
];

/** The fixed id of the n-th demo product (1-based, in catalog order). */
export const demoProductId = (n: number) => `b0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** What {@link seedDemoCatalog} made that the demo orders need. */
export interface DemoCatalog {
  ada: Viewer;
  admin: Viewer;
  bySku: Map<string, string>;
}

/**
 * Seeds the demo accounts, Ada's default address and the catalog (its stock
 * recorded in the ledger), straight into the customer and inventory
 * databases, unless the catalog already has products. Resolves to what the
 * demo orders need, or undefined when there was nothing to do.
 */
export async function seedDemoCatalog(
  dbs: Pick<DemoDatabases, 'customer' | 'inventory'>,
  hasher: PasswordHasher,
): Promise<DemoCatalog | undefined> {
  const existing = await dbs.inventory.selectFrom('inventory.product').select('id').limit(1).executeTakeFirst();
  if (existing) return undefined;
  const hashes = await Promise.all(DEMO_ACCOUNTS.map((a) => hasher.hash(a.password)));
  const people = await dbs.customer.transaction().execute(async (trx) => {
    const customers = await trx
      .insertInto('customer.customer')
      .values(
        DEMO_ACCOUNTS.map((a, i) => ({
          id: a.id,
          email: a.email,
          name: a.name,
          role: a.role,
          password_hash: hashes[i]!,
        })),
      )
      .returning(['id', 'email', 'role'])
      .execute();
    const ada = customers.find((c) => c.email === DEMO_CUSTOMER_EMAIL)!;
    const admin = customers.find((c) => c.role === 'ADMIN')!;
    await trx
      .insertInto('customer.address')
      .values({
        customer_id: ada.id,
        name: 'Ada Lovelace',
        line1: '12 St James Square',
        line2: null,
        city: 'London',
        region: null,
        postal_code: 'SW1Y 4JH',
        country_code: 'GB',
        is_default_shipping: true,
      })
      .execute();
    return { ada, admin };
  });

  const bySku = await dbs.inventory.transaction().execute(async (trx) => {
    const products = await trx
      .insertInto('inventory.product')
      .values(
        PRODUCTS.map(([sku, name, description, price_minor, stock], i) => ({
          id: demoProductId(i + 1),
          sku,
          name,
          description,
          price_minor,
          stock,
        })),
      )
      .returning(['id', 'sku', 'price_minor', 'stock'])
      .execute();
    for (const product of products) await recordInitialStock(trx, product, 'seed');
    return new Map(products.map((p) => [p.sku, p.id]));
  });

  return {
    ada: { customerId: people.ada.id, role: 'CUSTOMER' },
    admin: { customerId: people.admin.id, role: 'ADMIN' },
    bySku,
  };
}

/**
 * Places the demo orders through the order service like any client's: stock
 * reserved and confirmed at the running inventory service (`neighbours`
 * reach it), history and events recorded.
 */
export async function placeDemoOrders(
  db: Kysely<OrderDatabase>,
  neighbours: Neighbours,
  { ada, admin, bySku }: DemoCatalog,
): Promise<void> {
  const orders: [status: 'PENDING' | 'PAID' | 'DELIVERED', lines: [sku: string, quantity: number][]][] = [
    [
      'DELIVERED',
      [
        ['MUG-001', 2],
        ['NTB-001', 1],
      ],
    ],
    ['PAID', [['TEE-001', 1]]],
    [
      'PENDING',
      [
        ['BTL-001', 1],
        ['PEN-001', 1],
      ],
    ],
  ];
  const path = { PENDING: [], PAID: ['PAID'], DELIVERED: ['PAID', 'SHIPPED', 'DELIVERED'] } as const;
  for (const [index, [status, lines]] of orders.entries()) {
    const placed = await placeOrder(db, neighbours, ada, {
      lines: lines.map(([sku, quantity]) => ({ productId: bySku.get(sku)!, quantity })),
      idempotencyKey: `demo-order-${index}`,
    });
    if (!placed.ok) throw new Error(`demo order cannot be placed: ${JSON.stringify(placed.userErrors)}`);
    for (const to of path[status]) {
      const request = to === 'SHIPPED' ? { to, carrier: 'Royal Mail', trackingNumber: `RM${1000 + index}GB` } : { to };
      const changed = await changeOrderStatus(db, neighbours, admin, placed.order.id, request);
      if (!changed.ok) throw new Error(`demo order cannot move to ${to}: ${JSON.stringify(changed.userErrors)}`);
    }
  }
}

/** The whole demo data set ({@link seedDemoCatalog}, then {@link placeDemoOrders}); false when it was there already. */
export async function seedDemoData(
  dbs: DemoDatabases,
  neighbours: Neighbours,
  hasher: PasswordHasher,
): Promise<boolean> {
  const catalog = await seedDemoCatalog(dbs, hasher);
  if (catalog) await placeDemoOrders(dbs.order, neighbours, catalog);
  return catalog !== undefined;
}
