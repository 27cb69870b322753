import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { decodeOrderEvent } from '@shopgraph/customer';
import { PoisonMessageError } from '@shopgraph/lib';

// The examples in docs/events.md are the contract as people read it; they
// must stay valid against the JSON Schema consumers enforce.
const doc = readFileSync(new URL('../docs/events.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as Record<string, any>);

const decode = (value: unknown) => decodeOrderEvent(Buffer.from(JSON.stringify(value)));
const rejects = (value: unknown, reason: RegExp) => {
  expect(() => decode(value)).toThrow(PoisonMessageError);
  expect(() => decode(value)).toThrow(reason);
};

describe('the order event schema', () => {
  it('accepts the documented example of each event type', () => {
    expect(examples.map((e) => e.type)).toEqual(['order.created', 'order.updated']);
    for (const example of examples) expect(decode(example)).toEqual(example);
  });

  it('ignores fields it does not know (producers may add optional fields)', () => {
    const [created] = examples;
    expect(decode({ ...created, traceId: 'x', data: { ...created!.data, channel: 'web' } }).id).toBe(created!.id);
  });

  it('rejects malformed and unknown-version messages as poison, naming the problem', () => {
    const [created, updated] = examples as [Record<string, any>, Record<string, any>];
    expect(() => decodeOrderEvent(Buffer.from('{"schemaVersion":'))).toThrow(/not JSON/);
    rejects({ ...created, schemaVersion: 2 }, /unknown envelope schemaVersion 2/);
    rejects({ ...created, id: 'not-a-uuid' }, /\/id must match pattern/);
    rejects({ ...created, type: 'order.deleted' }, /\/type must be equal to one of the allowed values/);
    rejects({ ...created, aggregateVersion: 0 }, /aggregateVersion must be >= 1/);
    rejects({ ...created, occurredAt: '14 March 2026' }, /occurredAt must match pattern/);
    rejects(
      { ...created, data: { ...created.data, total: { amountMinor: 47.5, currency: 'USD' } } },
      /amountMinor must be integer/,
    );
    rejects({ ...created, data: { ...created.data, lines: [] } }, /lines must NOT have fewer than 1 items/);
    const { customerId: _dropped, ...withoutCustomer } = updated.data;
    rejects({ ...updated, data: withoutCustomer }, /must have required property 'customerId'/);
    // Numbers the consumers' columns cannot hold are poison now, not a failure after retries in the database.
    rejects({ ...created, aggregateVersion: 2 ** 31 }, /aggregateVersion must be <= 2147483647/);
    rejects(
      { ...created, data: { ...created.data, total: { amountMinor: 2 ** 53, currency: 'USD' } } },
      /amountMinor must be <= 9007199254740991/,
    );
    const line = created.data.lines[0];
    rejects(
      { ...created, data: { ...created.data, lines: [{ ...line, quantity: 2 ** 31 }] } },
      /quantity must be <= 2147483647/,
    );
    rejects(
      { ...created, data: { ...created.data, lines: [{ ...line, unitPriceMinor: 2 ** 53 }] } },
      /unitPriceMinor must be <= 9007199254740991/,
    );
    expect(decode({ ...created, aggregateVersion: 2 ** 31 - 1 }).aggregateVersion).toBe(2 ** 31 - 1);
    // An order.created body under the order.updated type.
    rejects({ ...created, type: 'order.updated' }, /must have required property 'previousStatus'/);
  });
});
