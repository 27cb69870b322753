/**
 * A small demo data set for the embedded default: two customers, a catalog
 * and a few orders. Runs once: it does nothing when the catalog has products.
 * Stock goes through inventory's stock module, so the stock ledger sums to
 * each product's stock: INITIAL rows for the catalog, reservations for the
 * orders.
 */
import { randomUUID } from 'node:crypto';
import type { CustomerDatabase, PasswordHasher } from '@shopgraph/customer';
import { asInventoryTransaction, recordInitialStock, reserveStock, type InventoryDatabase } from '@shopgraph/inventory';
import { appendOutboxEvent, type OrderDatabase } from '@shopgraph/order';
import type { Kysely, Transaction } from 'kysely';

export type DemoDatabase = CustomerDatabase & InventoryDatabase & OrderDatabase;

/** Demo logins for the embedded default; their passwords are public, so they are never seeded into a real database by default. */
export const DEMO_ACCOUNTS = [
  { email: 'ada@example.com', password: 'ada-demo-password', name: 'Ada Lovelace', role: 'CUSTOMER' },
  { email: 'admin@example.com', password: 'admin-demo-password', name: 'Grace Hopper', role: 'ADMIN' },
] as const;
export const DEMO_CUSTOMER_EMAIL = DEMO_ACCOUNTS[0].email;

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

/** Seeds the demo data set unless the catalog already has products. */
export async function seedDemoData(db: Kysely<DemoDatabase>, hasher: PasswordHasher): Promise<boolean> {
  const hashes = await Promise.all(DEMO_ACCOUNTS.map((a) => hasher.hash(a.password)));
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('inventory.product').select('id').limit(1).executeTakeFirst();
    if (existing) return false;

    const customers = await trx
      .insertInto('customer.customer')
      .values(DEMO_ACCOUNTS.map((a, i) => ({ email: a.email, name: a.name, role: a.role, password_hash: hashes[i]! })))
      .returning(['id', 'email'])
      .execute();
    const ada = customers.find((c) => c.email === DEMO_CUSTOMER_EMAIL)!;

    const products = await trx
      .insertInto('inventory.product')
      .values(
        PRODUCTS.map(([sku, name, description, price_minor, stock]) => ({
          sku,
          name,
          description,
          price_minor,
          stock,
        })),
      )
      .returning(['id', 'sku', 'price_minor', 'stock'])
      .execute();
    for (const product of products) await recordInitialStock(asInventoryTransaction(trx), product, 'seed');
    const bySku = new Map(products.map((p) => [p.sku, p]));

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
    for (const [status, lines] of orders) {
      const orderId = randomUUID();
      const reserved = await reserveStock(
        trx,
        lines.map(([sku, quantity]) => ({ productId: bySku.get(sku)!.id, quantity })),
        { reference: orderId, actor: ada.id },
      );
      if (!reserved.ok) throw new Error(`demo order cannot be stocked: ${JSON.stringify(reserved.failures)}`);
      const priced = reserved.lines.map((line, i) => ({
        line_no: i + 1,
        product_id: line.productId,
        quantity: line.quantity,
        unit_price_minor: line.unitPriceMinor,
      }));
      const total = priced.reduce((sum, l) => sum + l.quantity * l.unit_price_minor, 0);
      const order = await trx
        .insertInto('orders.order')
        .values({ id: orderId, customer_id: ada.id, status, currency: 'USD', total_minor: total })
        .returning(['version', 'placed_at'])
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('orders.order_line')
        .values(priced.map((l) => ({ ...l, order_id: orderId })))
        .execute();
      // As placeOrder does: the order's event in its own transaction, so the
      // customer subgraph's statistics and notifications see the demo orders.
      await appendOutboxEvent(trx as unknown as Transaction<OrderDatabase>, {
        type: 'order.created',
        aggregateId: orderId,
        aggregateVersion: order.version,
        data: {
          orderId,
          customerId: ada.id,
          status,
          total: { amountMinor: total, currency: 'USD' },
          lines: priced.map((l) => ({
            productId: l.product_id,
            quantity: l.quantity,
            unitPriceMinor: l.unit_price_minor,
          })),
          placedAt: order.placed_at.toISOString(),
        },
      });
    }
    return true;
  });
}
