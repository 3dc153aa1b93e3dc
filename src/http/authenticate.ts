/**
 * The session steps: who the request is (`authenticate`) and whether a cookie-carried identity may
 * act from where the request comes (`originCheck`).
 *
 * @module
 */
import { type Session, sessionTokenOf, verifySession } from "../identity/session";
import { sessionKeys } from "../core/config";
import type { Step } from "./context";
import { AppError, unauthorized } from "../core/errors";
import { UNSAFE_METHODS, badOrigin, requestSite } from "./origin";
import type { AnyRoute } from "./route";

/** 401 `unauthenticated`: the route needs a verified session and the request has none. */
export const unauthenticated = () =>
  unauthorized("unauthenticated", "a verified session is required (POST /api/presence/verify)");

/**
 * The caller of a handler whose route requires a session (the pipeline has already refused a
 * request without one; this narrows the type and keeps the refusal if a route forgot its policy).
 */
export function callerOf(ctx: { caller: string | null }): string {
  if (!ctx.caller) throw unauthenticated();
  return ctx.caller;
}

/**
 * The verified session (thinker, expiry) of a handler whose route requires one: as
 * {@link callerOf}, it narrows the type and keeps the refusal should a route lack the policy.
 */
export function sessionOf(ctx: { session: Session | null }): Session {
  if (!ctx.session) throw unauthenticated();
  return ctx.session;
}

/**
 * Verifies the session token's signature and expiry (whether the session is still live is checked
 * in the request's first D1 round trip, `./session-check.ts`). `required`/`verified` routes refuse
 * a bad token (401 `invalid_session`) and, unless AUTH_MODE=compat may fill the caller in later
 * (`required` only), a missing one (401 `unauthenticated`). `optional` routes treat a bad token as
 * no token.
 */
export function authenticate(route: AnyRoute): Step {
  const needs = route.auth === "required" || route.auth === "verified";
  return async (c, next) => {
    c.set("session", null);
    c.set("sessionVia", null);
    if (route.auth !== "none" && route.auth !== "admin") {
      const found = sessionTokenOf(c.req.raw);
      const session = found ? await verifySession(found.token, sessionKeys(c.env), c.var.now) : null;
      if (found && !session && needs) throw unauthorized("invalid_session", "session is invalid or expired");
      if (!session && (route.auth === "verified" || (route.auth === "required" && c.var.config.authMode === "strict"))) {
        throw unauthenticated();
      }
      c.set("session", session);
      c.set("sessionVia", session && found ? found.via : null);
    }
    await next();
  };
}

/** CSRF (see `./origin.ts`): a cookie-authenticated unsafe request must come from the site's own pages. */
export const originCheck: Step = async (c, next) => {
  if (c.var.sessionVia === "cookie" && UNSAFE_METHODS.has(c.req.method)) {
    if (requestSite(c.req.raw, c.var.config.allowedOrigins) !== "same") throw badOrigin();
  }
  await next();
};

/**
 * Login CSRF (see `./origin.ts`): a login must not come from a cross-site page, and must be JSON
 * (a form post, the one thing a foreign page can send without CORS, is refused unread).
 */
export const loginGuard: Step = async (c, next) => {
  if (requestSite(c.req.raw, c.var.config.allowedOrigins) === "cross") throw badOrigin();
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new AppError(415, "unsupported_media_type", "send the link as Content-Type: application/json");
  }
  await next();
};
