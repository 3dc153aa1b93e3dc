/**
 * Stateless session tokens: `s1.<kid>.<payload b64url>.<HMAC-SHA256 b64url>` with payload
 * `{uid, iat, exp}` (seconds). The key id selects the verifying key, so keys rotate without
 * logging anyone out: sign with the first key of `SESSION_KEYS`, accept all of them.
 *
 * @module
 */
import type { SessionKey } from "../http/config";
import { fromBase64Url, hmac, hmacVerify, toBase64Url } from "./crypto";

/** Name of the session cookie. */
export const SESSION_COOKIE = "ts_session";

/** What a valid session proves. */
export interface Session {
  uid: string;
  /** Expiry, epoch ms. */
  expiresAt: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Signs a session for `uid`, valid for `ttlSeconds` from `now` (ms). */
export async function signSession(uid: string, keys: SessionKey[], now: number, ttlSeconds: number) {
  const [key] = keys;
  if (!key) throw new Error("no session key");
  const iat = Math.floor(now / 1000);
  const payload = toBase64Url(enc.encode(JSON.stringify({ uid, iat, exp: iat + ttlSeconds })));
  const signed = `s1.${key.kid}.${payload}`;
  const sig = toBase64Url(await hmac(key.secret, signed));
  return { token: `${signed}.${sig}`, expiresAt: (iat + ttlSeconds) * 1000 };
}

/** Verifies a token; `null` for anything malformed, forged, from an unknown key or expired. */
export async function verifySession(token: string, keys: SessionKey[], now: number): Promise<Session | null> {
  if (token.length > 2048) return null;
  const parts = token.split(".");
  if (parts.length !== 4 || parts[0] !== "s1") return null;
  const [, kid, payload, sigText] = parts as [string, string, string, string];
  const key = keys.find((k) => k.kid === kid);
  const sig = fromBase64Url(sigText);
  if (!key || !sig || sig.length !== 32) return null;
  if (!(await hmacVerify(key.secret, `s1.${kid}.${payload}`, sig))) return null;
  const raw = fromBase64Url(payload);
  if (!raw) return null;
  try {
    const data = JSON.parse(dec.decode(raw)) as { uid?: unknown; exp?: unknown };
    if (typeof data.uid !== "string" || typeof data.exp !== "number") return null;
    if (data.exp * 1000 <= now) return null;
    return { uid: data.uid, expiresAt: data.exp * 1000 };
  } catch {
    return null;
  }
}

/** The session token of a request: `Authorization: Bearer …` first, then the cookie. */
export function sessionToken(req: Request): string | null {
  const auth = req.headers.get("authorization");
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  const cookie = req.headers.get("cookie");
  if (!cookie) return null;
  for (const part of cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === SESSION_COOKIE) return rest.join("=");
  }
  return null;
}

/**
 * True when `req` would authenticate by the session cookie (no Bearer header) and comes from a
 * page of another origin (`Origin` header). WebSocket upgrades are not covered by CORS, so a
 * cookie-authenticated upgrade must check it (cross-site WebSocket hijacking); `SameSite=Lax`
 * already keeps the cookie off cross-site requests, this also covers same-site other origins.
 */
export function crossOriginCookie(req: Request): boolean {
  if (req.headers.get("authorization")?.startsWith("Bearer ")) return false;
  const origin = req.headers.get("origin");
  if (origin === null || !sessionToken(req)) return false;
  try {
    return new URL(origin).origin !== new URL(req.url).origin;
  } catch {
    return true; // "null" or garbage: not our page
  }
}

/** `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure unless the host is localhost. */
export function sessionCookie(token: string, expiresAt: number, now: number, url: URL): string {
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${local ? "" : "; Secure"}`;
}
