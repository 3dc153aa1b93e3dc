/**
 * The shared route adapter. A route is declared once (`defineRoute`) with its zod schemas, its
 * auth and rate-limit class and a small handler; `runRoute` gives every route the same pipeline:
 *
 *   request id → body cap → JSON → session → zod → uid claims → rate limit → idempotency
 *   → handler → one D1 batch (writes + event + fee event + idempotency record) → JSON response
 *
 * and maps every error in one place (`toErrorResponse`). The same declarations feed the
 * OpenAPI document, so docs and validation cannot drift.
 *
 * @module
 */
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { z } from "zod";
import { type Db, type Statement, createDb, isGuardAbort } from "../db/client";
import { newId } from "../db/ids";
import { sessionToken, verifySession } from "../identity/session";
import { readBodyText, parseJson } from "./body";
import { ADMIN_CALLER, verifyAdmin } from "./admin";
import { type Config, loadConfig, sessionKeys } from "./config";
import { AppError, badRequest, forbidden, toErrorResponse, unauthorized } from "./errors";
import { type IdempotencyClaim, bodyHash, claimKey, parseIdempotencyKey, releaseClaim, storeResponse } from "./idempotency";
import { type Logger, log, requestLogger, setLogLevel } from "./log";
import { RateLimiter } from "./rate-limit";

/**
 * Who may call a route: a verified session is `required`, `optional`, or never looked at (`none`);
 * `verified` is `required` that AUTH_MODE=compat cannot relax (an asserted uid is never enough —
 * room tickets, which stand in for a session); `admin` routes need the `ADMIN_TOKEN` bearer token
 * instead (503 while it is unset).
 */
export type AuthPolicy = "required" | "verified" | "optional" | "none" | "admin";

/** What a handler returns: HTTP status (default 200), JSON body (or a string with a content-type header), extra headers. */
export interface HandlerResult {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  /**
   * A response to return exactly as is instead of a JSON body (the `101` of a WebSocket upgrade
   * the Room DO answered). Only for routes without idempotency; never stored.
   */
  raw?: Response;
}

/** What the Hono mount passes besides the request: path parameters and the execution context. */
export interface RouteExtras {
  /** Path parameters (`/api/rooms/:roomId` → `{ roomId }`), already URL-decoded. */
  params?: Record<string, string>;
  /** `ctx.waitUntil` of the invocation, when there is one (Pages, Workers; not `app.request`). */
  waitUntil?: (p: Promise<unknown>) => void;
}

/** Everything a handler needs, already validated. */
export interface HandlerContext<B, Q> {
  body: B;
  query: Q;
  /** The verified uid of the caller (or, in AUTH_MODE=compat, the uid an unsigned client asserted). */
  caller: string | null;
  /** True when `caller` comes from a verified session; false when anonymous or asserted (AUTH_MODE=compat). */
  verified: boolean;
  env: Env;
  config: Config;
  db: Db;
  /** Request start, epoch ms: the one clock reading a request uses. */
  now: number;
  requestId: string;
  url: URL;
  req: Request;
  log: Logger;
  /** Path parameters of the matched route (empty when the route has none). */
  params: Record<string, string>;
  /** Keeps background work (a room push after the commit) alive past the response, if possible. */
  waitUntil?: (p: Promise<unknown>) => void;
  /**
   * Runs read queries as one D1 batch; the rate-limit count rides along in the same round trip.
   */
  read<T extends readonly [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]>(queries: T): Promise<BatchResponse<T>>;
  /** True when the request carries an `Idempotency-Key`: its response is stored in the commit batch. */
  idempotent: boolean;
  /**
   * Runs `statements` as one D1 batch (one SQL transaction) together with the rate-limit count
   * (if not counted yet) and the idempotency record, then returns `result`. `result` may be a
   * function of the statements' batch results (e.g. a trailing SELECT of the new state), but
   * only when `idempotent` is false: a stored response must be known before the batch runs.
   * `onRows` sees the statements' results in both modes (what happens after the commit, e.g.
   * whether to push into a room, may depend on them). Call at most once.
   */
  commit<R extends HandlerResult>(
    statements: Statement[],
    result: R | ((rows: unknown[]) => R),
    onRows?: (rows: unknown[]) => void,
  ): Promise<R>;
}

/** Inputs that name uids; each must be the caller's own uid. */
export interface ClaimSource<B, Q> {
  body: B;
  query: Q;
  headers: Headers;
}

/** A route declaration. */
export interface RouteSpec<BS extends z.ZodType | undefined, QS extends z.ZodType | undefined> {
  /** Stable id, e.g. `voucher.book`: rate-limit and idempotency scope, OpenAPI operationId. */
  id: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Public path, e.g. `/api/voucher/book`. */
  path: string;
  summary: string;
  tag: string;
  auth: AuthPolicy;
  /** Rate-limit class. */
  access: "read" | "write";
  /**
   * Counted by the per-caller rate limiter (default true). `false` only for routes that must work
   * without a D1 write (the health check reports a D1 outage instead of failing on its counter).
   */
  rateLimited?: boolean;
  /** Accepts `Idempotency-Key` (default: every POST). */
  idempotent?: boolean;
  body?: BS;
  query?: QS;
  /** Schema of the success body, for the OpenAPI document. */
  response?: z.ZodType;
  /** Error codes this route can answer with (documented in OpenAPI). */
  errors?: Record<string, string>;
  /** Uids the client names (`issuerUid`, `X-MOT-User`…); each must equal the caller. */
  claims?: (input: ClaimSource<Infer<BS>, Infer<QS>>) => Array<string | null | undefined>;
  /**
   * AUTH_MODE=compat only: the identity an unsigned legacy client asserts when it sends no session
   * and names no uid (presence routes: their `thinker_id`). Never consulted when a session is present.
   */
  asserts?: (input: ClaimSource<Infer<BS>, Infer<QS>>) => string | null | undefined;
  handler: (ctx: HandlerContext<Infer<BS>, Infer<QS>>) => Promise<HandlerResult>;
}

/** Output type of an optional schema. */
export type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

/** Any route, for registries. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds routes of every input type.
export type AnyRoute = RouteSpec<any, any>;

/** Declares a route (identity function that fixes the generic types). */
export function defineRoute<BS extends z.ZodType | undefined = undefined, QS extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<BS, QS>,
): RouteSpec<BS, QS> {
  return spec;
}

const JSON_TYPE = "application/json; charset=utf-8";
let compatWarned = false;

/** Runs one request through a route's pipeline. Never throws; every failure is a JSON response. */
export async function runRoute(route: AnyRoute, req: Request, env: Env, extras: RouteExtras = {}): Promise<Response> {
  const started = Date.now();
  const requestId = pickRequestId(req.headers.get("x-request-id"));
  const rlog = requestLogger(requestId);
  const url = new URL(req.url);
  let response: Response;
  let claim: IdempotencyClaim | null = null;
  let db: Db | null = null;
  let limiter: RateLimiter | null = null;
  try {
    if (req.method !== route.method && !(req.method === "HEAD" && route.method === "GET")) {
      throw new AppError(405, "method_not_allowed", `use ${route.method} for ${route.path}`, undefined, {
        allow: route.method,
      });
    }
    setLogLevel(env.LOG_LEVEL);
    const config = loadConfig(env);
    if (config.authMode === "compat" && !compatWarned) {
      compatWarned = true;
      log("warn", "AUTH_MODE=compat: unsigned clients may assert their uid; do not run this in production");
    }
    db = createDb(env.DB);
    const now = started;

    // 1. Admin routes: the token before anything looks at the input, so a caller without it
    //    learns nothing (not even whether its body would parse).
    if (route.auth === "admin") await verifyAdmin(req, env);

    // 2. Body (capped) and JSON, before anything else looks at the input.
    const rawBody = route.body ? parseJson(await readBodyText(req)) : undefined;

    // 3. Identity: the session (its absence is decided after validation, compat may fill it).
    const token = route.auth === "none" || route.auth === "admin" ? null : sessionToken(req);
    const session = token ? await verifySession(token, sessionKeys(env), now) : null;
    const needsSession = route.auth === "required" || route.auth === "verified";
    if (token && !session && needsSession) {
      throw unauthorized("invalid_session", "session is invalid or expired");
    }
    if (!session && (route.auth === "verified" || (route.auth === "required" && config.authMode === "strict"))) {
      throw unauthorized("unauthenticated", "a verified session is required (POST /api/presence/verify)");
    }

    // 4. Validation.
    const body = route.body ? validate(route.body, rawBody, "body") : undefined;
    const query = route.query ? validate(route.query, Object.fromEntries(url.searchParams), "query") : undefined;

    // 5. Claimed uids must be the caller's.
    // `X-MOT-User` is how the original mortgage clients named themselves: a claim on every route.
    const source = { body, query, headers: req.headers };
    const named = [...(route.claims?.(source) ?? []), req.headers.get("x-mot-user")];
    const claimed = named.filter((u): u is string => typeof u === "string" && u !== "");
    let caller = route.auth === "admin" ? ADMIN_CALLER : (session?.uid ?? null);
    if (!caller && config.authMode === "compat" && route.auth !== "none" && route.auth !== "verified") {
      caller = claimed[0] ?? (route.asserts?.(source) || null);
    }
    if (!caller && needsSession) {
      throw unauthorized("unauthenticated", "a verified session is required (POST /api/presence/verify)");
    }
    if (caller && claimed.some((u) => u !== caller)) {
      throw forbidden("uid_mismatch", "the uid in the request does not match the verified session");
    }

    // 6. Rate limit per caller (or client IP) and route.
    const callerKey = caller ? `uid:${caller}` : `ip:${clientIp(req)}`;
    const limit = route.access === "write" ? config.rateLimitWrite : config.rateLimitRead;
    const activeLimiter =
      route.rateLimited === false ? RateLimiter.unlimited(db, now) : new RateLimiter(db, `${route.id}|${callerKey}`, limit, now);
    limiter = activeLimiter;

    // 7. Idempotency.
    const idemKey =
      (route.idempotent ?? route.method === "POST") ? parseIdempotencyKey(req.headers.get("idempotency-key")) : null;
    if (idemKey) {
      await activeLimiter.enforce();
      const attempt = { callerKey, route: route.id, key: idemKey, claim: requestId };
      const stored = await claimKey(db, attempt, await bodyHash(rawBody ?? {}), now);
      if (stored) {
        rlog("info", "idempotent replay", { route: route.id });
        return finish(
          new Response(stored.body, {
            status: stored.status,
            headers: { "content-type": JSON_TYPE, "x-request-id": requestId, "idempotent-replayed": "true" },
          }),
        );
      }
      claim = attempt;
    }

    // 8. The handler; its writes and the idempotency record commit together.
    let committed = false;
    const activeDb = db;
    const activeClaim = claim;
    const ctx: HandlerContext<unknown, unknown> = {
      body,
      query,
      caller,
      verified: session !== null,
      env,
      config,
      db: activeDb,
      now,
      requestId,
      url,
      req,
      log: rlog,
      params: extras.params ?? {},
      ...(extras.waitUntil ? { waitUntil: extras.waitUntil } : {}),
      read: (queries) => activeLimiter.withReads(queries),
      idempotent: activeClaim !== null,
      async commit(statements, result, onRows) {
        if (committed) throw new Error("commit called twice");
        committed = true;
        const counting = activeLimiter.inBatch();
        let final: HandlerResult | null = typeof result === "function" ? null : result;
        if (activeClaim && !final) throw new Error("an idempotent commit needs its response before the batch");
        const record =
          activeClaim && final ? [storeResponse(activeDb, activeClaim, final.status ?? 200, JSON.stringify(final.body))] : [];
        const [first, ...rest] = [...counting, ...statements, ...record];
        let rows: unknown[] = [];
        if (first) {
          try {
            rows = await activeDb.batch([first, ...rest]);
          } catch (err) {
            if (counting.length > 0 && isGuardAbort(err)) await activeLimiter.explainAbort();
            throw err;
          }
        }
        activeLimiter.settle();
        const own = rows.slice(counting.length, counting.length + statements.length);
        onRows?.(own);
        final ??= (result as (rows: unknown[]) => HandlerResult)(own);
        return final as never;
      },
    };
    const result = await route.handler(ctx);
    // A handler that never read through `ctx.read` nor committed is counted now.
    await activeLimiter.enforce();
    if (result.raw) {
      if (claim) throw new Error("a raw response cannot be stored for idempotency");
      return finish(result.raw);
    }
    const status = result.status ?? 200;
    // A string body with its own content-type (the docs page) is sent as is; everything else is JSON.
    const text = typeof result.body === "string" ? result.body : JSON.stringify(result.body);
    if (claim && !committed) await storeResponse(db, claim, status, text);
    claim = null;
    response = new Response(text, {
      status,
      headers: { "content-type": JSON_TYPE, "x-request-id": requestId, ...result.headers },
    });
  } catch (err) {
    response = await failure(err);
  }
  return finish(response);

  async function failure(thrown: unknown): Promise<Response> {
    let err = thrown;
    // A request the handler refused before it was counted still counts (no free signature
    // guesses on verify); over the limit, the answer is the 429.
    if (limiter) {
      try {
        await limiter.enforce();
      } catch (e) {
        if (e instanceof AppError) err = e;
      }
    }
    const res = toErrorResponse(err, requestId);
    if (!(err instanceof AppError) || res.status >= 500) {
      // A deliberately disabled feature (admin API without ADMIN_TOKEN) is not a failure of ours.
      const off = err instanceof AppError && err.code === "admin_not_configured";
      rlog(off ? "warn" : "error", "request failed", { route: route.id, error: errorSummary(err) });
    }
    // A business refusal is a result like any other: store it so a retry sees the same answer.
    // An unexpected failure releases the key so a retry can run again.
    if (claim && db) {
      try {
        if (res.status < 500) await storeResponse(db, claim, res.status, await res.clone().text());
        else await releaseClaim(db, claim);
      } catch (e) {
        rlog("error", "idempotency bookkeeping failed", { error: errorSummary(e) });
      }
    }
    return res;
  }

  function finish(given: Response): Response {
    // Every answer but a 101 carries the request id (a raw one, e.g. the Room's 503, gets it here).
    let res = given;
    if (res.status !== 101 && !res.headers.has("x-request-id")) {
      res = new Response(res.body, res);
      res.headers.set("x-request-id", requestId);
    }
    rlog("info", "request", {
      route: route.id,
      method: req.method,
      path: url.pathname,
      status: res.status,
      ms: Date.now() - started,
    });
    return res;
  }
}

function validate<S extends z.ZodType>(schema: S, input: unknown, where: "body" | "query"): z.output<S> {
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

function pickRequestId(given: string | null): string {
  return given && /^[A-Za-z0-9._:-]{8,64}$/.test(given) ? given : newId("req");
}

/** Client IP as Cloudflare reports it. */
export function clientIp(req: Request): string {
  return req.headers.get("cf-connecting-ip") ?? req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? "unknown";
}

function errorSummary(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}${err.cause ? ` (cause: ${errorSummary(err.cause)})` : ""}`;
  return String(err);
}
