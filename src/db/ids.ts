/**
 * Time-sortable ids: `<prefix>-<ms since epoch, base36, 9 chars>-<80 random bits, base36>`.
 * Lexicographic order follows creation time (for cursors), and no central generator is needed.
 *
 * @module
 */

import { type SQL, sql } from "drizzle-orm";

const RANDOM_BYTES = 10;

/** `<prefix>-<time>-`: the part of an id that orders it. */
const head = (prefix: string, now: number) => `${prefix}-${now.toString(36).padStart(9, "0")}-`;

/** New id such as `b-mhx3k2p0a-3kq0c9x7d1m2w8z`. */
export function newId(prefix: string, now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_BYTES));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `${head(prefix, now)}${n.toString(36).padStart(16, "0")}`;
}

/**
 * The same kind of id generated inside SQL, one per row of an `INSERT … SELECT` (the random part
 * is 80 bits as hex there): sorts with {@link newId}'s ids of the same prefix and time.
 */
export function sqlNewId(prefix: string, now: number): SQL {
  return sql`${head(prefix, now)} || lower(hex(randomblob(${RANDOM_BYTES})))`;
}
