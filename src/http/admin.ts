/**
 * Admin authentication: a bearer token compared with the `ADMIN_TOKEN` secret. Every admin route
 * refuses with 503 while the secret is unset (a secret that is not configured disables the
 * feature instead of opening it) and with 401 when the token is wrong.
 *
 * Guessing is throttled per client address: after `ADMIN_AUTH_FAILURES_PER_MIN` failures in a
 * minute, every admin request from that address gets 429 until the window ends — the right token
 * too, or the limit would not stop a guesser. Each failure is logged as a warning.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import { rateLimits } from "../db/schema";
import { hmac, hmacVerify } from "../core/crypto";
import type { Step } from "./context";
import { AppError } from "../core/errors";
import { countRequest, rateLimited, secondsLeft, windowOf } from "./rate-limit";

/** The caller id admin requests carry (rate-limit key, event actor). */
export const ADMIN_CALLER = "admin";

/**
 * True when `given` is the admin token. The comparison is an HMAC verification under a per-check
 * key: equal MACs ⇔ equal tokens, and `crypto.subtle.verify` compares in constant time, whatever
 * position the first difference is at.
 */
export async function isAdminToken(secret: string, given: string | undefined): Promise<boolean> {
  if (given === undefined) return false;
  const key = crypto.randomUUID();
  return hmacVerify(key, secret, await hmac(key, given));
}

/** Client address as Cloudflare reports it. */
export function clientIp(req: Request): string {
  return req.headers.get("cf-connecting-ip") ?? req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? "unknown";
}

/**
 * The admin step: 503 without `ADMIN_TOKEN`, 429 while the client is locked out, 401 for a
 * missing or wrong token (counted). Runs before the body is read, so a caller without the token
 * learns nothing about its input.
 */
export const adminAuth: Step = async (c, next) => {
  const secret = c.env.ADMIN_TOKEN;
  if (!secret) throw new AppError(503, "admin_not_configured", "ADMIN_TOKEN is not set: the admin API is disabled");
  const { db, now, config } = c.var;
  const key = `admin-auth|ip:${clientIp(c.req.raw)}`;
  const windowStart = windowOf(now);
  const limit = config.adminAuthFailuresPerMin;
  const row = await db
    .select({ count: rateLimits.count, windowStart: rateLimits.windowStart })
    .from(rateLimits)
    .where(eq(rateLimits.key, key))
    .get();
  if (row && row.windowStart === windowStart && row.count >= limit) throw rateLimited(limit, secondsLeft(now));

  const given = /^Bearer\s+(\S{1,512})$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!(await isAdminToken(secret, given))) {
    await countRequest(db, key, windowStart);
    c.var.log("warn", "admin authentication failed", { ip: clientIp(c.req.raw), given: given !== undefined });
    throw new AppError(401, "admin_unauthorized", "admin token missing or wrong", undefined, {
      "www-authenticate": 'Bearer realm="admin"',
    });
  }
  await next();
};
