/**
 * Hono wiring of route declarations: `pagesFunction` for one file under `functions/`, `buildApp`
 * for the whole API (tests, OpenAPI). Both mount routes the same way, so what the tests exercise
 * is what Pages serves.
 *
 * @module
 */
import { Hono } from "hono";
import { handle } from "hono/cloudflare-pages";
import { AppError, toErrorResponse } from "./errors";
import { type AnyRoute, runRoute } from "./route";

/** Hono environment of the API. */
export type AppEnv = { Bindings: Env };

function mount(app: Hono<AppEnv>, route: AnyRoute): void {
  // `all`, not `on(method)`: a wrong method on a known path gets a JSON 405 from the pipeline.
  app.all(route.path, (c) => runRoute(route, c.req.raw, c.env, { params: c.req.param(), waitUntil: waitUntilOf(c) }));
}

/** The invocation's `waitUntil`, or undefined when there is no execution context (`app.request` in tests). */
function waitUntilOf(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): ((p: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined;
  }
}

function base(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.notFound(() => toErrorResponse(new AppError(404, "not_found", "no such route")));
  app.onError((err) => toErrorResponse(err));
  return app;
}

/** A Hono app serving all `routes`. */
export function buildApp(routes: readonly AnyRoute[]): Hono<AppEnv> {
  const app = base();
  for (const r of routes) mount(app, r);
  return app;
}

/** The Pages Function for one route file: `export const onRequest = pagesFunction(route)`. */
export function pagesFunction(route: AnyRoute): PagesFunction<Env> {
  const app = base();
  mount(app, route);
  return handle(app) as unknown as PagesFunction<Env>;
}
