/**
 * Session tokens: `s1.<kid>.<payload b64url>.<HMAC-SHA256 b64url>` with payload
 * `{uid, tid, gen, iat, exp}` (`iat`/`exp` in seconds). The key id selects the verifying key, so
 * keys rotate without logging anyone out: sign with the first key of `SESSION_KEYS`, accept all.
 *
 * The signed string is unambiguous: `kid` is `[A-Za-z0-9_-]` and the payload base64url, neither
 * contains the separator `.`, and the payload is JSON, whose fields cannot run into each other.
 *
 * The signature proves who; `tid` (the thinker row) and `gen` (its session generation when the
 * token was signed) let a request prove the session is still live inside the D1 round trip it
 * makes anyway (see `src/http/session-check.ts`): logout and erasure revoke without a lookup table.
 *
 * @module
 */
import type { SessionKey } from "../core/config";
import { fromBase64Url, hmac, hmacVerify, toBase64Url } from "../core/crypto";

/** Name of the session cookie. */
export const SESSION_COOKIE = "ts_session";

/** What a valid session signature proves (whether it is still live is a D1 question). */
export interface Session {
  uid: string;
  /** The thinker row the session belongs to. */
  thinkerId: string;
  /** The row's session generation when the token was signed. */
  gen: number;
  /** Expiry, epoch ms. */
  expiresAt: number;
}

/** Whom a new session is for. */
export interface SessionSubject {
  uid: string;
  thinkerId: string;
  gen: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Signs a session for `who`, valid for `ttlSeconds` from `now` (ms). */
export async function signSession(who: SessionSubject, keys: SessionKey[], now: number, ttlSeconds: number) {
  const [key] = keys;
  if (!key) throw new Error("no session key");
  const iat = Math.floor(now / 1000);
  const claims = { uid: who.uid, tid: who.thinkerId, gen: who.gen, iat, exp: iat + ttlSeconds };
  const payload = toBase64Url(enc.encode(JSON.stringify(claims)));
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
    const data = JSON.parse(dec.decode(raw)) as { uid?: unknown; tid?: unknown; gen?: unknown; exp?: unknown };
    const { uid, tid, gen, exp } = data;
    // A token from before revocation existed carries no tid/gen: it cannot be checked, so it is refused.
    if (typeof uid !== "string" || typeof tid !== "string" || !Number.isSafeInteger(gen) || typeof exp !== "number") {
      return null;
    }
    if (exp * 1000 <= now) return null;
    return { uid, thinkerId: tid, gen: gen as number, expiresAt: exp * 1000 };
  } catch {
    return null;
  }
}

/**
 * The session token of a request and how it came: `Authorization: Bearer …` first, then the
 * cookie. How matters: a cookie is ambient authority (CSRF rules apply), a bearer token is not.
 */
export function sessionTokenOf(req: Request): { token: string; via: "bearer" | "cookie" } | null {
  const auth = req.headers.get("authorization");
  if (auth?.startsWith("Bearer ")) return present(auth.slice(7).trim(), "bearer");
  const cookie = req.headers.get("cookie");
  if (!cookie) return null;
  for (const part of cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === SESSION_COOKIE) return present(rest.join("="), "cookie");
  }
  return null;
}

/** An empty token (`ts_session=`, `Bearer `) is no token: the request is anonymous, not forged. */
const present = (token: string, via: "bearer" | "cookie") => (token === "" ? null : { token, via });

/** The session token of a request (see {@link sessionTokenOf}). */
export const sessionToken = (req: Request): string | null => sessionTokenOf(req)?.token ?? null;

/** `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure unless the host is localhost. */
export function sessionCookie(token: string, expiresAt: number, now: number, url: URL): string {
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${local ? "" : "; Secure"}`;
}

/**
 * `Set-Cookie` value that removes the session cookie: same attributes, `Max-Age=0`, and an
 * `Expires` in the past for clients that only read that.
 */
export function clearSessionCookie(url: URL): string {
  return `${sessionCookie("", 0, 0, url)}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}
