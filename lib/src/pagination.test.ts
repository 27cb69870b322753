import { describe, expect, it } from '@jest/globals';
import { GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor, pageSize, toConnection } from './pagination.js';

describe('pagination', () => {
  it('round-trips cursors for the sort they were made for', () => {
    const cursor = encodeCursor('newest', [1700000000000, 'abc']);
    expect(decodeCursor(cursor, 'newest', ['number', 'string'] as const)).toEqual([1700000000000, 'abc']);
    const id = '00000000-0000-4000-8000-000000000000';
    expect(decodeCursor(encodeCursor('newest', [1700000000000, id]), 'newest', ['timestamp', 'uuid'] as const)).toEqual(
      [1700000000000, id],
    );
  });

  it.each([
    ['another sort', encodeCursor('price', [1, 'abc'])],
    ['wrong value types', encodeCursor('newest', ['x', 'abc'])],
    ['too few values', encodeCursor('newest', [1])],
    ['not base64url JSON', 'bm9wZQ'],
    ['not base64url at all', '!!!'],
    ['an id that is not a UUID', encodeCursor('newest', [1, "x' or 1=1"])],
    ['a time out of range', encodeCursor('newest', [1e300, '00000000-0000-4000-8000-000000000000'])],
  ])('rejects a cursor with %s as BAD_USER_INPUT on "after"', (_label, cursor) => {
    try {
      decodeCursor(cursor, 'newest', ['timestamp', 'uuid'] as const);
      throw new Error('expected a rejection');
    } catch (error) {
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });

  it('caps page sizes', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(0)).toThrow(/"first"/);
    expect(() => pageSize(101)).toThrow(/"first"/);
    expect(() => pageSize(-1)).toThrow(/"first"/);
  });

  it('uses the extra row only to tell that a next page exists', () => {
    const page = toConnection(
      [1, 2, 3],
      2,
      (n) => `c${n}`,
      (n) => n * 10,
      false,
    );
    expect(page.edges).toEqual([
      { cursor: 'c1', node: 10 },
      { cursor: 'c2', node: 20 },
    ]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: 'c1', endCursor: 'c2' });
    expect(toConnection([], 2, String, (n) => n, true).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
  });
});
