/**
 * Fixed-window rate limit per (route, caller) in D1: one atomic upsert per request, so
 * concurrent isolates share the counter and no read-then-write race can let extra requests in.
 *
 * The upsert rides along with the handler's first D1 round trip (`withReads`) instead of costing
 * a round trip of its own; it is always settled before any write commits.
 *
 * @module
 */
import { eq, sql } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { Db, Statement } from "../db/client";
import { rateLimits, writeGuards } from "../db/schema";
import { AppError } from "./errors";

/** Length of a rate-limit window. */
export const WINDOW_MS = 60_000;

/** Counts one request against `limit` per window for `key`. */
export class RateLimiter {
  private settled = false;
  private readonly windowStart: number;

  constructor(
    private readonly db: Db,
    private readonly key: string,
    private readonly limit: number,
    private readonly now: number,
  ) {
    this.windowStart = now - (now % WINDOW_MS);
  }

  /**
   * A limiter that never counts (born settled): for the rare route that must answer without a D1
   * write, such as the health check, which has to report a D1 outage instead of failing on it.
   */
  static unlimited(db: Db, now: number): RateLimiter {
    const limiter = new RateLimiter(db, "", Number.POSITIVE_INFINITY, now);
    limiter.settled = true;
    return limiter;
  }

  /** Counts the request in its own round trip, unless it was already counted. */
  async enforce(): Promise<void> {
    if (this.settled) return;
    const [rows] = await this.db.batch([this.statement()]);
    this.check(rows);
  }

  /** Runs `queries` as one batch, counting the request in the same round trip if still due. */
  async withReads<T extends readonly [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]>(queries: T): Promise<BatchResponse<T>> {
    if (this.settled) return this.db.batch(queries);
    const [rows, ...rest] = (await this.db.batch([this.statement(), ...queries])) as unknown[];
    this.check(rows as { count: number }[]);
    return rest as BatchResponse<T>;
  }

  /**
   * Statements that count the request inside a write batch and abort the batch when the limit
   * is exceeded (empty once counted). After such a batch, call `settle()` on success, or
   * `explainAbort()` when it aborted, to turn an over-limit abort into the 429.
   */
  inBatch(): Statement[] {
    if (this.settled) return [];
    return [
      this.statement(),
      this.db
        .insert(writeGuards)
        .select(sql`SELECT NULL WHERE (SELECT count FROM rate_limits WHERE key = ${this.key}) > ${this.limit}`),
    ];
  }

  /** The batch that carried `inBatch()` committed: the request is counted and within the limit. */
  settle(): void {
    this.settled = true;
  }

  /** A batch carrying `inBatch()` aborted (and rolled the count back): throws 429 if the limit was the cause. */
  async explainAbort(): Promise<void> {
    const row = await this.db
      .select({ count: rateLimits.count, windowStart: rateLimits.windowStart })
      .from(rateLimits)
      .where(eq(rateLimits.key, this.key))
      .get();
    if (row && row.windowStart === this.windowStart && row.count >= this.limit) this.check([{ count: row.count + 1 }]);
  }

  private statement() {
    return this.db
      .insert(rateLimits)
      .values({ key: this.key, windowStart: this.windowStart, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`CASE WHEN ${rateLimits.windowStart} = excluded.window_start THEN ${rateLimits.count} + 1 ELSE 1 END`,
          windowStart: sql`excluded.window_start`,
        },
      })
      .returning({ count: rateLimits.count });
  }

  private check(rows: { count: number }[]): void {
    this.settled = true;
    const count = rows[0]?.count ?? 0;
    if (count <= this.limit) return;
    const retryAfter = Math.max(1, Math.ceil((this.windowStart + WINDOW_MS - this.now) / 1000));
    throw new AppError(
      429,
      "rate_limited",
      "rate limit exceeded",
      { limit: this.limit, retryAfter },
      {
        "retry-after": String(retryAfter),
      },
    );
  }
}
