/**
 * Fixed-window rate limit of writes per (route, caller) in D1: one atomic upsert per request, so
 * concurrent isolates share the counter and no read-then-write race can let extra requests in.
 *
 * The upsert rides along with the handler's first D1 round trip instead of costing a round trip of
 * its own; it is always settled before any write commits. Reads are limited without D1 writes
 * (`./read-limit.ts`).
 *
 * @module
 */
import { type Placeholder, eq, sql } from "drizzle-orm";
import { type Db, type Statement, isGuardAbort } from "../db/client";
import { precompiled } from "../db/precompiled";
import { rateLimits, writeGuards } from "../db/schema";
import { AppError } from "../core/errors";
import type { BatchCheck } from "./unit-of-work";

/** Length of a rate-limit window. */
export const WINDOW_MS = 60_000;

/**
 * Counts one request against `limit` per window for `key`, as a check of the request's unit of
 * work: the count rides in the request's first D1 batch (a read batch, or the commit, where a
 * count over the limit aborts the whole batch).
 */
export class RateLimiter implements BatchCheck {
  private settled = false;
  private readonly windowStart: number;

  constructor(
    private readonly db: Db,
    private readonly key: string,
    private readonly limit: number,
    private readonly now: number,
  ) {
    this.windowStart = windowOf(now);
  }

  get done(): boolean {
    return this.settled;
  }

  readStatements(): Statement[] {
    return this.settled ? [] : [this.statement()];
  }

  checkRead(rows: unknown[]): void {
    this.check((rows[0] as { count: number }[] | undefined) ?? []);
  }

  /**
   * The count and a guard that aborts the batch when the count is over the limit (the abort rolls
   * the count back with everything else; `explainAbort` turns it into the 429).
   */
  writeStatements(): Statement[] {
    if (this.settled) return [];
    return [this.statement(), overLimitGuard(this.db, { key: this.key, limit: this.limit })];
  }

  settle(): void {
    this.settled = true;
  }

  /** Throws 429 when an aborted batch was aborted by this limiter's guard (the count was over). */
  async explainAbort(err: unknown): Promise<void> {
    if (!isGuardAbort(err)) return;
    const row = await this.db
      .select({ count: rateLimits.count, windowStart: rateLimits.windowStart })
      .from(rateLimits)
      .where(eq(rateLimits.key, this.key))
      .get();
    if (row && row.windowStart === this.windowStart && row.count >= this.limit) this.check([{ count: row.count + 1 }]);
  }

  private statement() {
    return countStatement(this.db, { key: this.key, windowStart: this.windowStart });
  }

  private check(rows: { count: number }[]): void {
    this.settled = true;
    const count = rows[0]?.count ?? 0;
    if (count <= this.limit) return;
    throw rateLimited(this.limit, secondsLeft(this.now));
  }
}

/** 429 `rate_limited` with `Retry-After` (seconds) and the limit in the details. */
export function rateLimited(limit: number, retryAfter: number): AppError {
  return new AppError(429, "rate_limited", "rate limit exceeded", { limit, retryAfter }, { "retry-after": String(retryAfter) });
}

/** The start of the window `now` falls in. */
export const windowOf = (now: number) => now - (now % WINDOW_MS);

/** Seconds until the window of `now` ends (at least 1), for `Retry-After`. */
export const secondsLeft = (now: number) => Math.max(1, Math.ceil((windowOf(now) + WINDOW_MS - now) / 1000));

/** Upsert that counts one request for `key` in the window starting at `windowStart` (a new window restarts at 1). */
export function countRequest(db: Db, key: string | Placeholder, windowStart: number | Placeholder) {
  return db
    .insert(rateLimits)
    .values({ key, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStart} = excluded.window_start THEN ${rateLimits.count} + 1 ELSE 1 END`,
        windowStart: sql`excluded.window_start`,
      },
    });
}

// The limiter rides in every write batch: its statements are rendered once per isolate.
const countStatement = precompiled<{ key: string; windowStart: number }>(
  (db, p) => countRequest(db, p("key"), p("windowStart")).returning({ count: rateLimits.count }),
  (r) => r.results ?? [],
);
const overLimitGuard = precompiled<{ key: string; limit: number }>((db, p) =>
  db.insert(writeGuards).select(sql`SELECT NULL WHERE (SELECT count FROM rate_limits WHERE key = ${p("key")}) > ${p("limit")}`),
);
