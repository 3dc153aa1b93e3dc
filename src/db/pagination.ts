/**
 * Keyset pagination, newest first: an opaque cursor over `(created_at DESC, id DESC)`, so pages
 * never skip or repeat rows while new ones are inserted.
 *
 * @module
 */
import { type SQL, and, desc, eq, lt, or } from "drizzle-orm";
import { badRequest } from "../core/errors";
import { fromBase64Url, toBase64Url } from "../core/crypto";
import type { Db } from "./client";
import type { settlements, voucherBookings, vouchers } from "./schema";

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

/** Tables with `created_at` and a time-sortable `id`, paged newest first. */
type Sortable = typeof vouchers | typeof voucherBookings | typeof settlements;

/** WHERE fragment for "after this cursor" in newest-first order. */
export function afterCursor(t: Sortable, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const [createdAt, id] = decodeCursor(cursor);
  return or(lt(t.createdAt, createdAt), and(eq(t.createdAt, createdAt), lt(t.id, id)));
}

/** One page of rows fetched with `limit + 1`: the items and the cursor of the next page. */
function page<R extends { createdAt: number; id: string }>(rows: R[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
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
    .from(table as typeof vouchers)
    .where(and(where, afterCursor(table, q.cursor)))
    .orderBy(desc(table.createdAt), desc(table.id))
    .limit(q.limit + 1)
    .all()) as T["$inferSelect"][];
  return page(rows, q.limit);
}
