/**
 * Keyset pagination, newest first: an opaque cursor over `(created_at DESC, id DESC)`, so pages
 * never skip or repeat rows while new ones are inserted.
 *
 * @module
 */
import { type Column, type SQL, and, desc, eq, lt, or } from "drizzle-orm";
import { badRequest } from "../core/errors";
import { fromBase64Url, toBase64Url } from "../core/crypto";
import type { Db } from "./client";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** Opaque cursor over (created_at DESC, id DESC). */
export function encodeCursor(createdAt: number, id: string): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([createdAt, id])));
}

function decodeCursor(cursor: string): [number, string] {
  const bytes = fromBase64Url(cursor);
  try {
    const v = bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : null;
    if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "string") return [v[0], v[1]];
  } catch {
    // fall through to the 400 below
  }
  throw badRequest("invalid_cursor", "cursor is not valid");
}

/** The two columns a list is ordered by: creation time, then a unique id as tie-breaker. */
export interface SortKey {
  createdAt: Column;
  id: Column;
}

/** Tables with `created_at` and a time-sortable `id`, paged newest first by {@link newestFirst}. */
type Sortable = SQLiteTable & SortKey & { $inferSelect: { createdAt: number; id: string } };

/** WHERE fragment: the rows after `cursor` in `(createdAt DESC, id DESC)` order (400 `invalid_cursor` if malformed). */
export function afterCursor(key: SortKey, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const [createdAt, id] = decodeCursor(cursor);
  return or(lt(key.createdAt, createdAt), and(eq(key.createdAt, createdAt), lt(key.id, id)));
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

/** One newest-first page of `table` rows matching `where`, continuing after `cursor`. */
export async function newestFirst<T extends Sortable>(
  db: Db,
  table: T,
  where: SQL | undefined,
  q: { limit: number; cursor?: string },
): Promise<{ items: T["$inferSelect"][]; nextCursor: string | null }> {
  const rows = (await db
    .select()
    .from(table as SQLiteTable)
    .where(and(where, afterCursor(table, q.cursor)))
    .orderBy(...newestFirstOrder(table))
    .limit(q.limit + 1)
    .all()) as T["$inferSelect"][];
  return pageOf(rows, q.limit, (r) => [r.createdAt, r.id]);
}
