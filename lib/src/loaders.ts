import DataLoader from 'dataloader';

/**
 * A per-request DataLoader of rows by id: one `fetch` (one SQL query) per
 * tick for every id asked for; unknown ids load as null.
 */
export function rowByIdLoader<Row extends { id: string }>(
  fetch: (ids: readonly string[]) => Promise<Row[]>,
): DataLoader<string, Row | null> {
  return new DataLoader(async (ids) => {
    const byId = new Map((await fetch(ids)).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * A per-request DataLoader of the rows belonging to each key (an order's
 * lines, a customer's addresses): one `fetch` per tick, rows kept in the
 * order `fetch` returns them, an empty list for a key without rows.
 */
export function rowsByKeyLoader<Row>(
  fetch: (keys: readonly string[]) => Promise<Row[]>,
  keyOf: (row: Row) => string,
): DataLoader<string, Row[]> {
  return new DataLoader(async (keys) => {
    const groups = new Map<string, Row[]>(keys.map((key) => [key, []]));
    for (const row of await fetch(keys)) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key) ?? []);
  });
}
