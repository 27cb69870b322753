import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { ReservationResult } from '@shopgraph/schema';
import { ADDRESS_CHANGEABLE, canTransition, TRANSITIONS } from '../src/order/order.lifecycle.js';
import { mergeLines, requestHash, reservationErrors } from '../src/order/place-order.service.js';
import type { OrderStatus } from '../src/order/order.table.js';

// The order subgraph's rules as plain functions: no database, no gateway.

const STATUSES: OrderStatus[] = ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'];

describe('the lifecycle table', () => {
  // Every pair, written out: a change to the table must change this test.
  const allowed: [OrderStatus, OrderStatus][] = [
    ['PENDING', 'PAID'],
    ['PENDING', 'CANCELLED'],
    ['PAID', 'SHIPPED'],
    ['PAID', 'CANCELLED'],
    ['SHIPPED', 'DELIVERED'],
  ];
  it.each(STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.some(([a, b]) => a === from && b === to));
  });

  it('ends in DELIVERED and CANCELLED, and lets the address change only before shipping', () => {
    expect(TRANSITIONS.DELIVERED).toEqual([]);
    expect(TRANSITIONS.CANCELLED).toEqual([]);
    expect(ADDRESS_CHANGEABLE).toEqual(['PENDING', 'PAID']);
  });
});

describe('the idempotency hash', () => {
  const a = randomUUID();
  const b = randomUUID();
  const customer = randomUUID();
  const address = {
    name: 'A',
    line1: '1 St',
    line2: null,
    city: 'Bath',
    region: null,
    postalCode: 'B',
    countryCode: 'GB',
  };
  const hashOf = (lines: { productId: string; quantity: number }[], who = customer, where?: typeof address) =>
    requestHash(who, mergeLines({ lines }).lines, where);

  it('is the same for the same normalised request: merged lines, any id case', () => {
    const once = hashOf([{ productId: a, quantity: 3 }]);
    expect(hashOf([{ productId: a.toUpperCase(), quantity: 3 }])).toBe(once);
    expect(
      hashOf([
        { productId: a, quantity: 1 },
        { productId: a, quantity: 2 },
      ]),
    ).toBe(once);
    expect(once).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when the customer, a quantity, a product, the line order or the address differs', () => {
    const base = hashOf([
      { productId: a, quantity: 1 },
      { productId: b, quantity: 1 },
    ]);
    const others = [
      hashOf(
        [
          { productId: a, quantity: 1 },
          { productId: b, quantity: 1 },
        ],
        randomUUID(),
      ),
      hashOf([
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ]),
      hashOf([{ productId: a, quantity: 1 }]),
      hashOf([
        { productId: b, quantity: 1 },
        { productId: a, quantity: 1 },
      ]),
      hashOf(
        [
          { productId: a, quantity: 1 },
          { productId: b, quantity: 1 },
        ],
        customer,
        address,
      ),
    ];
    expect(new Set([base, ...others]).size).toBe(6);
  });
});

describe('line rules', () => {
  it('merges lines of a product, keeping the first line’s index, and names every bad quantity', () => {
    const a = randomUUID();
    const b = randomUUID();
    const { lines, userErrors } = mergeLines({
      lines: [
        { productId: a, quantity: 600 },
        { productId: b, quantity: 0 },
        { productId: a, quantity: 600 },
      ],
    });
    expect(lines).toEqual([
      { productId: a, quantity: 1200, index: 0 },
      { productId: b, quantity: 0, index: 1 },
    ]);
    expect(userErrors.map((e) => e.field)).toEqual([
      ['input', 'lines', '1', 'quantity'],
      ['input', 'lines', '2', 'quantity'],
    ]);
    expect(mergeLines({ lines: [] }).userErrors.map((e) => e.code)).toEqual(['EMPTY_ORDER']);
    expect(() => mergeLines({ lines: [{ productId: 'nope', quantity: 1 }] })).toThrow(/not a valid id/);
  });
});

describe('reservation outcomes as the client sees them', () => {
  const a = randomUUID();
  const b = randomUUID();
  // The client sent [a, b, a]: inventory saw the merged [a, b].
  const merged = mergeLines({
    lines: [
      { productId: a, quantity: 1 },
      { productId: b, quantity: 5 },
      { productId: a, quantity: 1 },
    ],
  }).lines;
  const refusal = (...userErrors: Extract<ReservationResult, { ok: false }>['userErrors']) =>
    ({ ok: false, userErrors }) as Extract<ReservationResult, { ok: false }>;

  it('puts each refusal on the client’s own line, with `available` for missing stock', () => {
    expect(
      reservationErrors(
        refusal(
          { field: ['lines', '1', 'quantity'], code: 'INSUFFICIENT_STOCK', message: 'Only 2 in stock', available: 2 },
          { field: ['lines', '0', 'productId'], code: 'PRODUCT_ARCHIVED', message: 'archived' },
        ),
        merged,
      ),
    ).toEqual([
      {
        field: ['input', 'lines', '1', 'quantity'],
        code: 'INSUFFICIENT_STOCK',
        message: 'Only 2 in stock',
        available: 2,
      },
      {
        field: ['input', 'lines', '0', 'productId'],
        code: 'PRODUCT_ARCHIVED',
        message: 'This product is no longer sold',
      },
    ]);
    expect(
      reservationErrors(
        refusal({ field: ['lines', '0', 'productId'], code: 'PRODUCT_NOT_FOUND', message: 'x' }),
        merged,
      ),
    ).toEqual([
      { field: ['input', 'lines', '0', 'productId'], code: 'PRODUCT_NOT_FOUND', message: 'There is no such product' },
    ]);
  });

  it('treats a refusal of the reservation as a whole as a bug, not as the client’s error', () => {
    expect(() =>
      reservationErrors(refusal({ field: null, code: 'RESERVATION_CONFLICT', message: 'conflict' }), merged),
    ).toThrow(/unexpected reservation refusal RESERVATION_CONFLICT/);
  });
});
