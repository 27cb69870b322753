import { describe, expect, it } from '@jest/globals';
import type { OrderCreatedEvent, OrderUpdatedData, OrderUpdatedEvent } from '@shopgraph/schema';
import { normaliseAddress } from '@shopgraph/schema';
import { InputChecker } from '../src/customer/validation.js';
import { notificationFor } from '../src/notification/notification.service.js';

// The customer subgraph's rules as plain functions: no database, no gateway.

const ORDER = '3f2a9c4e-1b7d-4e2a-9c1f-0a8b7c6d5e4f';
const CUSTOMER = '8d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a';
const base = {
  schemaVersion: 1 as const,
  id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  aggregateId: ORDER,
  occurredAt: '2026-03-01T10:00:00.000Z',
};
const total = { amountMinor: 12_345, currency: 'EUR' };

const created = (quantities: number[]): OrderCreatedEvent => ({
  ...base,
  type: 'order.created',
  aggregateVersion: 1,
  data: {
    orderId: ORDER,
    customerId: CUSTOMER,
    status: 'PENDING',
    total,
    lines: quantities.map((quantity, i) => ({ productId: `p${i}`, quantity, unitPriceMinor: 100 })),
    placedAt: base.occurredAt,
  },
});
const updated = (data: Partial<OrderUpdatedData>): OrderUpdatedEvent => ({
  ...base,
  type: 'order.updated',
  aggregateVersion: 2,
  data: {
    orderId: ORDER,
    customerId: CUSTOMER,
    previousStatus: 'PENDING',
    status: 'PENDING',
    total,
    placedAt: base.occurredAt,
    changed: ['status'],
    ...data,
  },
});

describe('notification rendering', () => {
  it.each([
    [
      'a new order (one item)',
      created([1]),
      'ORDER_CONFIRMED',
      'Order confirmed',
      'Thank you! We received your order 3f2a9c4e: 1 item, 123.45 EUR.',
    ],
    [
      'a new order (several items)',
      created([2, 3]),
      'ORDER_CONFIRMED',
      'Order confirmed',
      'Thank you! We received your order 3f2a9c4e: 5 items, 123.45 EUR.',
    ],
    [
      'a payment',
      updated({ status: 'PAID' }),
      'PAYMENT_RECEIVED',
      'Payment received',
      'We received your payment of 123.45 EUR for order 3f2a9c4e.',
    ],
    [
      'a shipment',
      updated({
        previousStatus: 'PAID',
        status: 'SHIPPED',
        changed: ['status', 'tracking'],
        tracking: { carrier: 'DHL', trackingNumber: 'JD1' },
      }),
      'ORDER_SHIPPED',
      'Your order has shipped',
      'Your order 3f2a9c4e is on its way with DHL, tracking number JD1.',
    ],
    [
      'a delivery',
      updated({ previousStatus: 'SHIPPED', status: 'DELIVERED' }),
      'ORDER_DELIVERED',
      'Your order was delivered',
      'Your order 3f2a9c4e was delivered. Enjoy!',
    ],
    [
      'a cancellation with a reason',
      updated({ status: 'CANCELLED', reason: 'stock reservation expired before confirmation' }),
      'ORDER_CANCELLED',
      'Your order was cancelled',
      'Your order 3f2a9c4e was cancelled; you will not be charged 123.45 EUR. Reason: stock reservation expired before confirmation.',
    ],
    [
      'a new shipping address',
      updated({ changed: ['shippingAddress'] }),
      'ORDER_UPDATED',
      'Your order was updated',
      'Your order 3f2a9c4e was updated.',
    ],
  ])('renders %s', (_label, event, kind, title, message) => {
    const note = notificationFor(event);
    expect(note).toMatchObject({ kind, title, message, customer_id: CUSTOMER, order_id: ORDER, event_id: base.id });
    expect(note.occurred_at).toEqual(new Date(base.occurredAt));
  });

  it('keeps the tracking of a shipment', () => {
    const note = notificationFor(
      updated({ status: 'SHIPPED', tracking: { carrier: 'UPS', trackingNumber: '1Z' }, changed: ['status'] }),
    );
    expect(note).toMatchObject({ tracking_carrier: 'UPS', tracking_number: '1Z' });
  });
});

describe('address rules', () => {
  it('trims, upper-cases the country and turns blank optional fields into null', () => {
    expect(
      normaliseAddress({
        name: ' Ada ',
        line1: ' 1 St ',
        line2: '  ',
        city: 'Bath',
        region: null,
        postalCode: 'BA1',
        countryCode: 'gb ',
      }),
    ).toEqual({
      address: {
        name: 'Ada',
        line1: '1 St',
        line2: null,
        city: 'Bath',
        region: null,
        postalCode: 'BA1',
        countryCode: 'GB',
      },
      problems: [],
    });
  });

  it('names every problem: required, too long, country', () => {
    const { problems } = normaliseAddress({
      name: '',
      line1: 'x'.repeat(201),
      city: 'Bath',
      postalCode: 'B',
      countryCode: 'GBR',
    });
    expect(problems.map((p) => [p.field, p.reason])).toEqual([
      ['name', 'REQUIRED'],
      ['line1', 'TOO_LONG'],
      ['countryCode', 'INVALID_COUNTRY'],
    ]);
  });
});

describe('InputChecker', () => {
  it('collects userErrors under the input path and normalises what is valid', () => {
    const check = new InputChecker(['input']);
    expect(check.email('email', ' Ada@Example.COM ')).toBe('ada@example.com');
    expect(check.text('name', '  Ada  ', 100)).toBe('Ada');
    expect(check.ok).toBe(true);
    check.email('email', 'not-an-email');
    check.newPassword('password', 'short');
    check.text('name', ' ', 100);
    expect(check.ok).toBe(false);
    expect(check.errors.map((e) => [e.field, e.code])).toEqual([
      [['input', 'email'], 'INVALID_EMAIL'],
      [['input', 'password'], 'PASSWORD_TOO_SHORT'],
      [['input', 'name'], 'REQUIRED'],
    ]);
  });
});
