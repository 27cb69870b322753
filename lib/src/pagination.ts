import { badUserInput } from './errors.js';
import { isUuid } from './ids.js';

/** Relay page info. */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

export interface PageSizeLimits {
  defaultSize: number;
  maxSize: number;
}

/** Validates `first`: a page size between 1 and the cap, or the default when absent. */
export function pageSize(
  first: number | null | undefined,
  limits: PageSizeLimits = { defaultSize: 20, maxSize: 100 },
): number {
  if (first === null || first === undefined) return limits.defaultSize;
  if (!Number.isInteger(first) || first < 1 || first > limits.maxSize) {
    throw badUserInput(`"first" must be an integer from 1 to ${limits.maxSize}, got ${first}`, 'first');
  }
  return first;
}

/**
 * Keyset cursors are opaque to clients: base64url of the sort key values of
 * the row they point at, tagged with the sort they belong to so a cursor from
 * one ordering cannot be replayed against another.
 */
export function encodeCursor(sort: string, values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([sort, ...values]), 'utf8').toString('base64url');
}

/** What a cursor value must be: any string or finite number, a UUID, or a JS timestamp (ms). */
export type CursorValueKind = 'string' | 'number' | 'uuid' | 'timestamp';

type CursorValues<K extends readonly CursorValueKind[]> = {
  [I in keyof K]: K[I] extends 'number' | 'timestamp' ? number : string;
};

const validCursorValue: Record<CursorValueKind, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  uuid: (v) => isUuid(v),
  // The range of a JS Date, so a forged cursor cannot reach the database as an invalid time.
  timestamp: (v) => Number.isSafeInteger(v) && Math.abs(v as number) <= 8.64e15,
};

/**
 * Decodes a cursor made by {@link encodeCursor} for the same `sort`, checking
 * each value's kind, so a forged cursor is a BAD_USER_INPUT naming the
 * argument, never a database error.
 */
export function decodeCursor<const K extends readonly CursorValueKind[]>(
  cursor: string,
  sort: string,
  kinds: K,
  argument = 'after',
): CursorValues<K> {
  const invalid = () => badUserInput(`"${argument}" is not a valid cursor for this list`, argument);
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw invalid();
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== kinds.length + 1 || decoded[0] !== sort) throw invalid();
  const values = decoded.slice(1);
  values.forEach((value, i) => {
    if (!validCursorValue[kinds[i]!](value)) throw invalid();
  });
  return values as CursorValues<K>;
}

/**
 * Builds a forward connection from rows fetched with `limit + 1`: the extra
 * row only tells whether there is a next page.
 */
export function toConnection<Row, Node>(
  rows: readonly Row[],
  limit: number,
  cursorOf: (row: Row) => string,
  toNode: (row: Row) => Node,
  hasPreviousPage: boolean,
): Connection<Node> {
  const page = rows.slice(0, limit);
  const edges = page.map((row) => ({ cursor: cursorOf(row), node: toNode(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A keyset position in a newest-first list: the time and id of the last row seen. */
export interface NewestFirstPosition {
  at: Date;
  id: string;
}

/**
 * One page of a newest-first list ordered by (time desc, id desc): validates
 * `first`, decodes `after` (bound to `sort`, so a cursor of another list or
 * filter is refused), asks `fetch` for `limit + 1` rows after that position,
 * and builds the connection with cursors of (time, id).
 */
export async function newestFirstPage<Row extends { id: string }>(
  args: { first?: number | null | undefined; after?: string | null | undefined },
  sort: string,
  timeOf: (row: Row) => Date,
  fetch: (limit: number, after: NewestFirstPosition | undefined) => Promise<Row[]>,
): Promise<Connection<Row>> {
  const limit = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after, sort, ['timestamp', 'uuid'] as const) : undefined;
  const rows = await fetch(limit, after ? { at: new Date(after[0]), id: after[1] } : undefined);
  return toConnection(
    rows,
    limit,
    (row) => encodeCursor(sort, [timeOf(row).getTime(), row.id]),
    (row) => row,
    Boolean(after),
  );
}
