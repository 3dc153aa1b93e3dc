/**
 * Hono wiring of route declarations: `pagesFunction` for a file under `functions/` (one route, or
 * all of them in the API's catch-all file), `buildApp` for the whole API (tests). All of them
 * share the same outer steps and error mapper, so what the tests exercise is what Pages serves.
 *
 * @module
 */
import { Hono } from "hono";
import { AppError } from "../core/errors";
import { handle } from "hono/cloudflare-pages";
import type { AppEnv } from "./context";
import { routeHandler } from "./pipeline";
import { allowedOriginsCors, apiHeaders, bookmarkReply, notFoundJson, onError, requestId, requestLog } from "./request";
import type { AnyRoute } from "./route";

export type { AppEnv } from "./context";

function base(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId(), requestLog, apiHeaders, allowedOriginsCors, bookmarkReply);
  app.notFound(notFoundJson);
  app.onError(onError);
  return app;
}

/**
 * Mounts the routes of one path. `all`, not `on(method)`: a wrong method on a known path gets a
 * JSON 405 naming every method the path serves. One route is served by its own pipeline (whose
 * first step answers the 405); several (`PUT` and `DELETE` of one resource) by method.
 */
function mount(app: Hono<AppEnv>, path: string, routes: readonly AnyRoute[]): void {
  const [only] = routes;
  if (only && routes.length === 1) {
    app.all(path, routeHandler(only));
    return;
  }
  const byMethod = new Map(routes.map((r) => [r.method as string, routeHandler(r)]));
  const allow = routes.map((r) => r.method).join(", ");
  app.all(path, (c, next) => {
    const handler = byMethod.get(c.req.method === "HEAD" ? "GET" : c.req.method);
    if (!handler) throw new AppError(405, "method_not_allowed", `use ${allow} for ${path}`, undefined, { allow });
    return handler(c, next);
  });
}

/** A Hono app serving all `routes`. */
export function buildApp(routes: readonly AnyRoute[]): Hono<AppEnv> {
  const app = base();
  const byPath = new Map<string, AnyRoute[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, rs] of byPath) mount(app, path, rs);
  return app;
}

/**
 * The Pages Function of `routes`. A route file exports it under its route's method
 * (`export const onRequestPost = pagesFunction(book)`): Pages' router then skips the file for
 * other methods without compiling its path pattern — it compiles every candidate's pattern per
 * request, a cost that grows with the number of route files. The API's catch-all file serves all
 * routes, so a wrong method still gets a JSON 405 and an unknown path a JSON 404.
 */
export function pagesFunction(...routes: AnyRoute[]): PagesFunction<Env> {
  return handle(buildApp(routes)) as unknown as PagesFunction<Env>;
}

/** True when a path has an empty segment (`/api/rooms//ws`, `/api/`). */
export const hasEmptySegment = (pathname: string) => pathname.includes("//") || pathname.endsWith("/");

/** The path of an absolute URL, without parsing the rest (this runs in front of every API request). */
const pathOf = (url: string) => {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  return url.slice(start, query < 0 ? undefined : query);
};

/**
 * The API's Pages middleware: a path with an empty segment is a JSON 404. Pages' router matches
 * no route file to such a path (a `[param]` or `[[path]]` segment is never empty), so without this
 * it would fall through to the static site and answer a page.
 *
 * Pages hands every function in the chain its own `request.clone()`, and a clone is a tee of the
 * body: a branch nobody reads keeps a copy of every byte that passes. The middleware never reads
 * the body, so it cancels its branch before passing the request on; otherwise a 10 MiB upload
 * would be buffered once more, in memory, beside the branch the route streams.
 */
export function apiMiddleware(): PagesFunction<Env> {
  const notFound = pagesFunction();
  return (ctx) => {
    if (hasEmptySegment(pathOf(ctx.request.url))) return notFound(ctx);
    // Cancelling one branch of a tee leaves the other (the route's) untouched.
    ctx.request.body?.cancel().catch(() => {});
    return ctx.next();
  };
}
