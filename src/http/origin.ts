/**
 * Where a request comes from, as a browser tells it (`Origin`, `Sec-Fetch-Site`), and the CSRF
 * rules built on it:
 *
 * - A cookie-authenticated unsafe request (POST, PUT, PATCH, DELETE) is served only when the
 *   browser shows it comes from the site itself (or an origin in `ALLOWED_ORIGINS`). Browsers send
 *   `Origin` on every such request, so "no evidence" is refused too. Bearer requests carry no
 *   ambient authority and are exempt.
 * - A login (`POST /api/presence/verify`) from a cross-site page is refused (login CSRF: a foreign
 *   page must not sign the visitor into the attacker's identity); a client that is not a browser
 *   sends no `Origin` and is served.
 * - A cookie-authenticated WebSocket upgrade from a cross-site page is refused (cross-site
 *   WebSocket hijacking: upgrades are not covered by CORS).
 *
 * @module
 */
import { sessionTokenOf } from "../identity/session";
import { forbidden } from "../core/errors";

/** What the browser says of a request's origin. */
export type Site = "same" | "cross" | "unknown";

/** Methods that change state. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * `same` when `Origin` is this site's origin or an allowed one (or, without `Origin`,
 * `Sec-Fetch-Site: same-origin`); `cross` when either header names anything else (`null` and
 * garbage included); `unknown` when the request carries neither (not a browser, or a top-level
 * navigation the user typed).
 */
export function requestSite(req: Request, allowed: readonly string[]): Site {
  const origin = req.headers.get("origin");
  if (origin !== null) {
    const own = new URL(req.url).origin;
    return origin === own || allowed.includes(origin) ? "same" : "cross";
  }
  const fetchSite = req.headers.get("sec-fetch-site");
  if (fetchSite === null || fetchSite === "none") return "unknown";
  return fetchSite === "same-origin" ? "same" : "cross";
}

/** 403 `bad_origin`: a cookie (or login) request from a page that is not this site's. */
export const badOrigin = () =>
  forbidden("bad_origin", "a cookie session acts only from this site's pages (or send the session as a Bearer token)");

/**
 * True when `req` would authenticate by the session cookie (no Bearer header) and a browser says
 * it comes from a page of another site: such a WebSocket upgrade is refused (cross-site WebSocket
 * hijacking; upgrades are not covered by CORS).
 */
export function crossSiteCookie(req: Request, allowed: readonly string[]): boolean {
  return sessionTokenOf(req)?.via === "cookie" && requestSite(req, allowed) === "cross";
}
