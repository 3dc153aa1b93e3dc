/**
 * The request pipeline of a declared route, as Hono middleware. Each step is small and owns one
 * concern; the order is the contract:
 *
 *   method → prepare → [admin] → [login guard] → [capped body → JSON] → authenticate → origin
 *   → validate → claims → unit of work (session check, rate limit) → idempotency → handler
 *
 * Around every route (see `./app.ts`): request id → request log → security headers, and one error
 * mapper. A handler's reads and its one commit go through the unit of work, so the session check,
 * the write rate limit, the writes, their event and fee event and the idempotency record share
 * the request's D1 round trips.
 *
 * @module
 */
import { openSession } from "../db/session";
import { adminAuth } from "./admin";
import { authenticate, loginGuard, originCheck } from "./authenticate";
import { jsonBody } from "./body";
import { loadConfig } from "../core/config";
import type { AppContext, Step } from "./context";
import { AppError } from "../core/errors";
import { idempotency } from "./idempotency";
import { log } from "../core/log";
import { RateLimiter } from "./rate-limit";
import { limitRead } from "./read-limit";
import type { AnyRoute, HandlerContext, HandlerResult } from "./route";
import { SessionCheck } from "./session-check";
import { type BatchCheck, UnitOfWork } from "./unit-of-work";
import { claims, validate } from "./validate";

const JSON_TYPE = "application/json; charset=utf-8";

/** 405 with `Allow` for any method but the route's (HEAD is served as GET). */
export function allowMethod(route: AnyRoute): Step {
  return async (c, next) => {
    const m = c.req.method;
    if (m !== route.method && !(m === "HEAD" && route.method === "GET")) {
      throw new AppError(405, "method_not_allowed", `use ${route.method} for ${route.path}`, undefined, {
        allow: route.method,
      });
    }
    await next();
  };
}

let compatWarned = false;

/** A request that only reads: served from a D1 replica at the client's bookmark, limited without D1 writes. */
export const isRead = (route: AnyRoute) => route.method === "GET";

/**
 * Settings, the request's clock reading, and its D1 client: a D1 session (reads may go to a
 * replica no older than the client's bookmark; writes start on the primary), whose bookmark goes
 * back with the answer (`bookmarkReply` in `./request.ts`).
 */
export function prepare(route: AnyRoute): Step {
  const access = isRead(route) ? "read" : "write";
  return async (c, next) => {
    const config = loadConfig(c.env);
    if (config.authMode === "compat" && !compatWarned) {
      compatWarned = true;
      log("warn", "AUTH_MODE=compat: unsigned clients may assert their uid; do not run this in production");
    }
    c.set("route", route);
    c.set("config", config);
    c.set("now", Date.now());
    c.set("url", new URL(c.req.url));
    const d1 = openSession(c.env.DB, c.req.raw.headers, access);
    c.set("d1", d1);
    c.set("db", d1.db);
    c.set("idempotency", undefined);
    await next();
  };
}

/**
 * Opens the unit of work with the request's checks: the session still live (when there is a
 * session) and the rate limit. A read is counted here, without D1 (`./read-limit.ts`); a write is
 * counted inside its first D1 batch, and a refused write that was not counted yet is counted on
 * the way out (no free signature guesses); over the limit, the answer becomes the 429.
 */
export function unitOfWork(route: AnyRoute): Step {
  const counted = route.rateLimited !== false;
  const read = isRead(route);
  return async (c, next) => {
    const { db, session, config, now } = c.var;
    const key = `${route.id}|${c.var.callerKey}`;
    if (counted && read) await limitRead(c.env, key, { limit: config.rateLimitRead, now, log: c.var.log });
    const limiter =
      counted && !read
        ? new RateLimiter(db, key, route.access === "write" ? config.rateLimitWrite : config.rateLimitRead, now)
        : null;
    const checks: BatchCheck[] = [];
    if (limiter) checks.push(limiter);
    if (session) checks.push(new SessionCheck(db, session));
    const uow = new UnitOfWork(db, checks);
    c.set("uow", uow);
    try {
      await next();
    } catch (err) {
      // Counted now if nothing counted it yet; over the limit, the 429 replaces the refusal.
      if (limiter && !limiter.done) await uow.settle([limiter]);
      throw err;
    }
  };
}

/** The handler step: builds the handler's context, runs it, sends its result. */
export function handle(route: AnyRoute): Step {
  return async (c) => {
    const result = await route.handler(handlerContext(c));
    // A handler that neither read nor committed through the unit of work is checked now.
    await c.var.uow.settle();
    if (result.raw) {
      if (c.var.idempotency) throw new Error("a raw response cannot be stored for idempotency");
      if (result.raw.status === 101) return result.raw;
      // A raw answer from elsewhere (the Room's 503) may have immutable headers: copy to add ours.
      const copy = new Response(result.raw.body, result.raw);
      copy.headers.set("x-request-id", c.var.requestId);
      return copy;
    }
    const text = typeof result.body === "string" ? result.body : JSON.stringify(result.body);
    return c.body(text, (result.status ?? 200) as 200, {
      "content-type": JSON_TYPE,
      ...(route.cacheControl ? { "cache-control": route.cacheControl } : {}),
      ...result.headers,
    });
  };
}

function handlerContext(c: AppContext): HandlerContext<unknown, unknown> {
  const v = c.var;
  const record = v.idempotency;
  return {
    body: v.body,
    query: v.query,
    caller: v.caller,
    verified: v.session !== null,
    session: v.session,
    env: c.env,
    config: v.config,
    db: v.db,
    now: v.now,
    requestId: v.requestId,
    url: v.url,
    req: c.req.raw,
    log: v.log,
    params: c.req.param() as Record<string, string>,
    ...waitUntilOf(c),
    read: (queries) => v.uow.read(queries),
    settle: () => v.uow.settle(),
    idempotent: record !== undefined,
    async commit(statements, result, onRows) {
      let final: HandlerResult | null = typeof result === "function" ? null : result;
      if (record && !final) throw new Error("an idempotent commit needs its response before the batch");
      const trailer = record && final ? [record.statement(final.status ?? 200, JSON.stringify(final.body))] : [];
      const own = await v.uow.commit(statements, trailer);
      if (trailer.length > 0) record?.markStored();
      onRows?.(own);
      final ??= (result as (rows: unknown[]) => HandlerResult)(own);
      return final as never;
    },
  };
}

/** The invocation's `waitUntil`, when there is an execution context (not under `app.request` in tests). */
function waitUntilOf(c: AppContext): { waitUntil?: (p: Promise<unknown>) => void } {
  try {
    const ctx = c.executionCtx;
    return { waitUntil: (p) => ctx.waitUntil(p) };
  } catch {
    return {};
  }
}

/**
 * The steps as one handler. One handler per route, not one per step: should the router match a
 * path twice (a request for the literal pattern `/api/admin/fees/:id` does), the first answer
 * ends the request instead of a second chain running over a consumed body. A step's failure
 * travels as an exception through the steps before it (each may act on it and rethrow) to the
 * app's one error mapper.
 */
export function routeHandler(route: AnyRoute): Step {
  const steps = routeSteps(route);
  return async (c) => {
    const run = async (i: number): Promise<void> => {
      const step = steps[i];
      if (!step) return;
      const res = await step(c, () => run(i + 1));
      if (res instanceof Response) c.res = res;
    };
    await run(0);
    return c.res;
  };
}

/** Every step of `route`, in order. */
export function routeSteps(route: AnyRoute): Step[] {
  return [
    allowMethod(route),
    prepare(route),
    ...(route.auth === "admin" ? [adminAuth] : []),
    ...(route.login ? [loginGuard] : []),
    ...(route.body ? [jsonBody] : []),
    authenticate(route),
    originCheck,
    validate(route),
    claims(route),
    unitOfWork(route),
    idempotency(route),
    handle(route),
  ];
}
