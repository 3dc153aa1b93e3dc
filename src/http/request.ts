/**
 * The steps every answer of the API passes, known route or not: the request id, the request log
 * line, the security headers, and the one place that maps a thrown error to HTTP.
 *
 * @module
 */
import type { ErrorHandler, NotFoundHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { newId } from "../db/ids";
import { applyBookmark } from "../db/session";
import type { AppEnv, Step } from "./context";
import { loadConfig } from "../core/config";
import { AppError, toErrorResponse } from "../core/errors";
import { log, requestLogger, setLogLevel } from "../core/log";

/**
 * `x-request-id`: the client's own (1-64 characters of `A-Z a-z 0-9 _ - =`, so it is safe in a log
 * line and a header), else a new one. Set on every answer but a 101, and on every log line.
 */
export const requestId = (): Step =>
  honoRequestId({ headerName: "x-request-id", limitLength: 64, generator: () => newId("req") });

/** Binds the request logger and writes one `request` line per answer (route, status, time). */
export const requestLog: Step = async (c, next) => {
  const started = Date.now();
  setLogLevel(c.env?.LOG_LEVEL);
  const rlog = requestLogger(c.var.requestId);
  c.set("log", rlog);
  await next();
  rlog("info", "request", {
    route: c.var.route?.id,
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
  });
};

/**
 * The API's content security policy: answers are data, never a document that may run or embed
 * anything. A route that serves a page (the docs) sends its own policy, which wins.
 */
const secure = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
  crossOriginOpenerPolicy: "same-origin",
  crossOriginResourcePolicy: "same-origin",
  referrerPolicy: "no-referrer",
  xContentTypeOptions: "nosniff",
  xFrameOptions: "DENY",
  // A header the route set itself (the docs page's CSP, a cache rule) is kept.
  overwrite: false,
});

/**
 * hono's secure headers on every answer, and `Cache-Control: no-store` unless the route set its
 * own (answers carry tokens and personal data). A 101 is passed through untouched: a WebSocket
 * handshake is no document, and a handshake answer's headers must not be rebuilt.
 */
export const apiHeaders: Step = async (c, next) => {
  let upgrade: Response | null = null;
  await secure(c, async () => {
    await next();
    if (c.res.status === 101) {
      upgrade = c.res;
      // A blank answer takes the headers in its place; the handshake is put back below.
      c.res = undefined;
    } else if (!c.res.headers.has("cache-control")) {
      c.res.headers.set("cache-control", "no-store");
    }
  });
  if (upgrade) {
    c.res = undefined;
    c.res = upgrade;
  }
};

const corsForAllowed = cors({
  origin: (origin) => origin,
  credentials: true,
  allowMethods: ["GET", "HEAD", "POST", "PUT", "DELETE"],
  allowHeaders: ["content-type", "authorization", "idempotency-key", "x-request-id", "x-d1-bookmark", "x-mot-user"],
  exposeHeaders: ["x-request-id", "x-d1-bookmark", "retry-after", "idempotent-replayed"],
  maxAge: 600,
});

/**
 * CORS for the origins in `ALLOWED_ORIGINS` only (a portal served elsewhere): their pages may read
 * answers, send the session cookie and see the request id and the D1 bookmark. Any other origin
 * gets no CORS headers, so a browser keeps its pages from reading anything; its preflight is not
 * answered either (it reaches the route, which refuses the method).
 */
export const allowedOriginsCors: Step = async (c, next) => {
  const origin = c.req.header("origin");
  if (!origin || !loadConfig(c.env).allowedOrigins.includes(origin)) return next();
  return corsForAllowed(c, next);
};

/**
 * Sends the request's D1 bookmark back (header and cookie) on every answer of a route, errors
 * included, so the client's next request reads a copy at least this new (see `../db/session.ts`).
 */
export const bookmarkReply: Step = async (c, next) => {
  await next();
  const d1 = c.var.d1;
  if (d1 && c.res.status !== 101) applyBookmark(c.res.headers, d1, c.var.url);
};

/** Every unknown path under the API: the JSON 404 envelope (never the static site's page). */
export const notFoundJson: NotFoundHandler<AppEnv> = (c) =>
  toErrorResponse(new AppError(404, "not_found", "no such route"), c.var.requestId);

/**
 * The one place a thrown error becomes an answer. Expected failures (`AppError` below 500) are
 * results; anything else is logged with its cause and answered without internals.
 */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const res = toErrorResponse(err, c.var.requestId);
  if (!(err instanceof AppError) || res.status >= 500) {
    // A deliberately disabled feature (admin API without ADMIN_TOKEN) is not a failure of ours.
    const off = err instanceof AppError && err.code === "admin_not_configured";
    const fields = { requestId: c.var.requestId, route: c.var.route?.id, error: errorSummary(err) };
    log(off ? "warn" : "error", "request failed", fields);
  }
  return res;
};

/** An error and its causes, on one line. */
export function errorSummary(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}${err.cause ? ` (cause: ${errorSummary(err.cause)})` : ""}`;
  return String(err);
}
