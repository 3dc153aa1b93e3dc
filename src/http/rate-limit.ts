/**
 * Fixed-window rate limit per (route, caller) in D1: one atomic upsert per request, so
 * concurrent isolates share the counter and no read-then-write race can let extra requests in.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { AppError } from "./errors";

/** Length of a rate-limit window. */
export const WINDOW_MS = 60_000;

/** Counts this request; throws 429 with `Retry-After` once `limit` requests used the window. */
export async function enforceRateLimit(db: Db, key: string, limit: number, now: number): Promise<void> {
  const windowStart = now - (now % WINDOW_MS);
  const row = await db.get<{ count: number }>(sql`
    INSERT INTO rate_limits (key, window_start, count) VALUES (${key}, ${windowStart}, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END,
      window_start = excluded.window_start
    RETURNING count`);
  if (row && row.count > limit) {
    const retryAfter = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
    throw new AppError(
      429,
      "rate_limited",
      "rate limit exceeded",
      { limit, retryAfter },
      {
        "retry-after": String(retryAfter),
      },
    );
  }
}
