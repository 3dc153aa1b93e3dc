/**
 * Token buckets, pure. The Room keeps one bucket per connection and message type in the socket's
 * attachment (so limits survive hibernation) and refills lazily from timestamps: there is no timer.
 */

/** A bucket's persisted state: small and structured-clone friendly (it lives in an attachment). */
export interface Bucket {
  /** Tokens left (fractional: refill is continuous). */
  readonly tokens: number;
  /** When `tokens` was last computed, epoch ms. */
  readonly at: number;
}

/** Sustained rate and burst of one limit. */
export interface RateLimit {
  /** Tokens added per second (the sustained rate). */
  readonly perSecond: number;
  /** Bucket size (the burst allowed after a quiet period). */
  readonly burst: number;
}

/** Outcome of {@link take}. */
export type TakeResult =
  | { readonly ok: true; readonly bucket: Bucket }
  | {
      readonly ok: false;
      readonly bucket: Bucket /** ms until `cost` tokens are available again. */;
      readonly retryAfterMs: number;
    };

/** A full bucket at `now`: a new connection starts with its whole burst. */
export function fullBucket(limit: RateLimit, now: number): Bucket {
  return { tokens: limit.burst, at: now };
}

/**
 * Refills `bucket` for the time elapsed up to `now`, then takes `cost` tokens if there are enough.
 * A refused take still returns the refilled bucket, so callers can persist it either way.
 * A clock that goes backwards (`now < bucket.at`) refills nothing instead of draining.
 *
 * @example
 * const r = take(undefined, { perSecond: 5, burst: 20 }, Date.now());
 * if (!r.ok) send({ type: "error", code: "rate_limited", retryAfter: r.retryAfterMs });
 */
export function take(bucket: Bucket | undefined, limit: RateLimit, now: number, cost = 1): TakeResult {
  const start = bucket ?? fullBucket(limit, now);
  const elapsed = Math.max(0, now - start.at) / 1000;
  const tokens = Math.min(limit.burst, start.tokens + elapsed * limit.perSecond);
  const at = Math.max(now, start.at);
  if (tokens >= cost) return { ok: true, bucket: { tokens: tokens - cost, at } };
  const retryAfterMs = Math.ceil(((cost - tokens) / limit.perSecond) * 1000);
  return { ok: false, bucket: { tokens, at }, retryAfterMs };
}
