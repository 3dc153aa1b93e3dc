/**
 * Time-sortable ids: `<prefix>-<ms since epoch, base36, 9 chars>-<80 random bits, base36>`.
 * Lexicographic order follows creation time (for cursors), and no central generator is needed.
 *
 * @module
 */

const RANDOM_BYTES = 10;

/** New id such as `b-mhx3k2p0a-3kq0c9x7d1m2w8z`. */
export function newId(prefix: string, now: number = Date.now()): string {
  const time = now.toString(36).padStart(9, "0");
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_BYTES));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `${prefix}-${time}-${n.toString(36).padStart(16, "0")}`;
}
