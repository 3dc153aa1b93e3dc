/**
 * Admin authentication: a bearer token compared with the `ADMIN_TOKEN` secret. Every admin route
 * refuses with 503 while the secret is unset (no default token, seed 004: a secret that is not
 * configured disables the feature instead of opening it) and with 401 when the token is wrong.
 *
 * @module
 */
import { hmacVerify, hmac } from "../identity/crypto";
import { AppError } from "./errors";

/** The caller id admin requests carry (rate-limit key, event actor). */
export const ADMIN_CALLER = "admin";

/**
 * Throws 503 `admin_not_configured` when `ADMIN_TOKEN` is unset, 401 `admin_unauthorized` when
 * the request's `Authorization: Bearer` token is missing or wrong. The comparison is an HMAC
 * verification (constant time in the token's content, independent of where it first differs).
 */
export async function verifyAdmin(req: Request, env: Env): Promise<void> {
  const secret = env.ADMIN_TOKEN;
  if (!secret) throw new AppError(503, "admin_not_configured", "ADMIN_TOKEN is not set: the admin API is disabled");
  const given = /^Bearer\s+(\S{1,512})$/i.exec(req.headers.get("authorization") ?? "")?.[1];
  // MAC both with a per-check key: equal MACs ⇔ equal tokens, compared by crypto.subtle.verify.
  const key = crypto.randomUUID();
  const ok = given !== undefined && (await hmacVerify(key, secret, await hmac(key, given)));
  if (!ok) {
    throw new AppError(401, "admin_unauthorized", "admin token missing or wrong", undefined, {
      "www-authenticate": 'Bearer realm="admin"',
    });
  }
}
