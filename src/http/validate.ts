/**
 * The input steps: zod validation of body and query (`validate`), then the uids the request names
 * checked against the caller (`claims`).
 *
 * @module
 */
import type { z } from "zod";
import { ADMIN_CALLER, clientIp } from "./admin";
import { unauthenticated } from "./authenticate";
import type { Step } from "./context";
import { badRequest, forbidden } from "../core/errors";
import type { AnyRoute } from "./route";

/** Parses `input` with `schema`; 400 `validation_failed` with every issue in the details. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, where: "body" | "query"): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    path: i.path.map(String).join("."),
    code: i.code,
    message: i.message,
    ...("keys" in i ? { keys: i.keys } : {}),
  }));
  const first = issues[0];
  const message = first ? `${where}${first.path ? `.${first.path}` : ""}: ${first.message}` : `invalid ${where}`;
  throw badRequest("validation_failed", message, issues);
}

/** Validates the parsed body and the query string with the route's schemas (strict: unknown fields are refused). */
export function validate(route: AnyRoute): Step {
  return async (c, next) => {
    c.set("body", route.body ? parseWith(route.body, c.var.rawBody, "body") : undefined);
    // A repeated parameter counts once, its last value (as a cursor appended to a query string).
    const query = route.query ? Object.fromEntries(c.var.url.searchParams) : undefined;
    c.set("query", route.query ? parseWith(route.query, query, "query") : undefined);
    await next();
  };
}

/**
 * Decides the caller and checks every uid the request names (`route.claims`, and `X-MOT-User`,
 * how the original clients named themselves, on every route) against it: 403 `uid_mismatch`. In
 * AUTH_MODE=compat a request without a session may assert its uid (never on `verified` routes).
 */
export function claims(route: AnyRoute): Step {
  const needs = route.auth === "required" || route.auth === "verified";
  return async (c, next) => {
    const source = { body: c.var.body, query: c.var.query, headers: c.req.raw.headers };
    const named = [...(route.claims?.(source) ?? []), c.req.header("x-mot-user")];
    const claimed = named.filter((u): u is string => typeof u === "string" && u !== "");
    let caller = route.auth === "admin" ? ADMIN_CALLER : (c.var.session?.uid ?? null);
    if (!caller && c.var.config.authMode === "compat" && route.auth !== "none" && route.auth !== "verified") {
      caller = claimed[0] ?? (route.asserts?.(source) || null);
    }
    if (!caller && needs) throw unauthenticated();
    if (caller && claimed.some((u) => u !== caller)) {
      throw forbidden("uid_mismatch", "the uid in the request does not match the verified session");
    }
    c.set("caller", caller);
    c.set("callerKey", caller ? `uid:${caller}` : `ip:${clientIp(c.req.raw)}`);
    await next();
  };
}
