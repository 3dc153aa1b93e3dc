/**
 * Rate limit of reads that writes nothing to D1: a read must stay a read (no counter row, no
 * write on the primary), so it can be served by a D1 read replica and costs no write round trip.
 *
 * Two mechanisms, chosen per request:
 *
 * 1. **The Workers Rate Limiting binding** `READ_LIMITER` (`limit({ key })` → `{ success }`), when
 *    the environment has one. Its counters live in Cloudflare's rate-limit service, shared by all
 *    isolates of one Cloudflare location; its limit and period are configured on the binding, not
 *    here. A Pages project cannot declare it: `wrangler pages deploy` refuses both `[[ratelimits]]`
 *    and `[[unsafe.bindings]] type = "ratelimit"` in a Pages config (while `wrangler pages dev`
 *    accepts them), so it reaches Pages only as a service binding to a Worker that owns the
 *    binding and exposes the same `limit({ key })` method. Anything with that method is used.
 * 2. **A fixed window per isolate** otherwise (no binding configured, or the binding failed): a
 *    bounded in-memory map of counts for the current window. It writes nothing anywhere and costs
 *    a map lookup, but each isolate counts on its own, so a caller spread over several isolates
 *    gets up to `limit` per isolate: it bounds a tight loop against one isolate, not a distributed
 *    crawl. That trade is deliberate: a read that writes to D1 to be counted is what this module
 *    exists to avoid, and writes keep their exact, shared D1 limiter (`./rate-limit.ts`).
 *
 * @module
 */
import { rateLimited } from "./rate-limit";
import type { Logger } from "../core/log";

/** Length of a read window, ms: the fallback's window and the binding's configured period. */
export const READ_WINDOW_MS = 60_000;

/** Keys the per-isolate fallback holds at most; when full, the oldest key is forgotten first. */
export const MAX_TRACKED_KEYS = 10_000;

/** The binding's shape: the Workers Rate Limiting binding, or a service stub exposing the same method. */
export interface ReadLimiterBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** What `limitRead` needs to know besides the key. */
export interface ReadLimitOptions {
  /**
   * Requests per window and key. The fallback enforces it; with the binding it is only reported
   * in the 429 (keep the binding's `simple.limit` equal to it, `RATE_LIMIT_READ_PER_MIN`).
   */
  limit: number;
  /** The request's clock reading, epoch ms. */
  now: number;
  /** Where a failing binding is reported (the request still gets the fallback's answer). */
  log?: Logger;
}

/**
 * Counts one read for `key` (e.g. `slots.available|uid:alice`) and throws the 429 `rate_limited`
 * AppError (`Retry-After`, details `{limit, retryAfter}`) when the key is over its limit. Never
 * touches D1.
 */
export async function limitRead(env: Env, key: string, opts: ReadLimitOptions): Promise<void> {
  const binding = readLimiterOf(env);
  if (binding) {
    let success: boolean | undefined;
    try {
      success = (await binding.limit({ key })).success;
    } catch (err) {
      // A broken binding must not turn every read into a 500, nor let every read through. Said
      // once per window and isolate: a binding that is down fails every read.
      if (opts.now - lastBindingWarning >= READ_WINDOW_MS) {
        lastBindingWarning = opts.now;
        opts.log?.("warn", "read limiter binding failed; using the per-isolate window", {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    if (success === true) return;
    if (success === false) {
      // The binding does not say when its window ends; its period is READ_WINDOW_MS at most.
      throw rateLimited(opts.limit, READ_WINDOW_MS / 1000);
    }
  }
  isolateWindow.hit(key, opts.limit, opts.now);
}

/** The `READ_LIMITER` binding of `env`, if it has one with a `limit` method. */
export function readLimiterOf(env: Env): ReadLimiterBinding | null {
  const candidate = (env as Env & { READ_LIMITER?: unknown }).READ_LIMITER;
  return candidate && typeof (candidate as ReadLimiterBinding).limit === "function" ? (candidate as ReadLimiterBinding) : null;
}

/**
 * Fixed-window counts of one isolate. All keys share one window: when the clock enters a new
 * window the whole map is dropped, so no per-key timestamps are kept and stale keys never
 * accumulate. The size bound keeps memory flat under a flood of distinct keys.
 */
export class IsolateWindow {
  private windowStart = Number.NEGATIVE_INFINITY;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly windowMs: number = READ_WINDOW_MS,
    private readonly maxKeys: number = MAX_TRACKED_KEYS,
  ) {}

  /** Counts one request for `key`; throws the 429 when it is over `limit` in the current window. */
  hit(key: string, limit: number, now: number): void {
    const start = now - (now % this.windowMs);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts.clear();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    if (count === 1 && this.counts.size >= this.maxKeys) {
      // Forgetting the oldest key only ever lets that key in again: a bounded leak, never a false 429.
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
    this.counts.set(key, count);
    if (count > limit) {
      throw rateLimited(limit, Math.max(1, Math.ceil((start + this.windowMs - now) / 1000)));
    }
  }

  /** Keys currently counted (for tests of the size bound). */
  get size(): number {
    return this.counts.size;
  }
}

/** The per-isolate fallback; module state, so it lives as long as the isolate. */
const isolateWindow = new IsolateWindow();

/** When this isolate last reported a failing binding (epoch ms). */
let lastBindingWarning = Number.NEGATIVE_INFINITY;
