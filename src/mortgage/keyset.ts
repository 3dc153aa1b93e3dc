/**
 * Newest-first keyset pages for the mortgage lists, over any `(created_at, id)` pair of columns:
 * the same opaque cursor as `src/db/pagination.ts`, so a client pages every list the same way,
 * and pages never skip or repeat rows while new ones are inserted.
 *
 * @module
 */
import { type Column, type SQL, desc } from "drizzle-orm";
import { afterCursor, encodeCursor } from "../db/pagination";

/** The two columns a list is ordered by: creation time, then a unique id as tie-breaker. */
export interface SortKey {
  createdAt: Column;
  id: Column;
}

/** WHERE fragment: the rows after `cursor` in `(createdAt DESC, id DESC)` order (400 `invalid_cursor` if malformed). */
export function afterKey(key: SortKey, cursor: string | undefined): SQL | undefined {
  // `afterCursor` reads only these two columns; its parameter type names the tables it was first written for.
  return afterCursor(key as unknown as Parameters<typeof afterCursor>[0], cursor);
}

/** ORDER BY of a newest-first page. */
export const newestFirstOrder = (key: SortKey) => [desc(key.createdAt), desc(key.id)];

/**
 * One page from rows fetched with `limit + 1`: the first `limit` items and the cursor of the next
 * page (null on the last one). `keyOf` gives a row's `(createdAt, id)`.
 */
export function pageOf<R>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => [number, string],
): { items: R[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  if (rows.length <= limit || last === undefined) return { items, nextCursor: null };
  const [createdAt, id] = keyOf(last);
  return { items, nextCursor: encodeCursor(createdAt, id) };
}
