/**
 * Route declarations. A route is declared once (`defineRoute`) with its zod schemas, its auth
 * and rate-limit class and a small handler. The middleware chain in `./pipeline.ts` serves every
 * declaration the same way, and the same declarations feed the OpenAPI document, so docs and
 * validation cannot drift.
 *
 * Declared here rather than with `@hono/zod-openapi`'s `createRoute`: a declaration also carries
 * what the pipeline acts on and the document must state — the auth policy, the uid claims, the
 * rate-limit class, idempotency, the login guard and the route's error codes — and
 * `src/docs/openapi.ts` derives the security schemes and per-status error envelopes from exactly
 * those fields. One declaration, read by both, is what keeps them from drifting.
 *
 * @module
 */
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { z } from "zod";
import type { Db, Statement } from "../db/client";
import type { Config } from "../core/config";
import type { Logger } from "../core/log";
import type { Session } from "../identity/session";

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

/** Everything a handler needs, already validated. */
export interface HandlerContext<B, Q> {
  body: B;
  query: Q;
  /** The verified uid of the caller (or, in AUTH_MODE=compat, the uid an unsigned client asserted). */
  caller: string | null;
  /** True when `caller` comes from a verified session; false when anonymous or asserted (AUTH_MODE=compat). */
  verified: boolean;
  /** The verified session (its thinker and expiry), as the pipeline checked it; null otherwise. */
  session: Session | null;
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
   * Runs read queries as one D1 batch; the request's pending checks (session still live, write
   * rate limit) ride along in the same round trip.
   */
  read<T extends readonly [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]>(queries: T): Promise<BatchResponse<T>>;
  /** True when the request carries an `Idempotency-Key`: its response is stored in the commit batch. */
  idempotent: boolean;
  /**
   * Runs the request's pending checks now, in one round trip, for a handler that must know them
   * before it acts without a read of its own (the legacy socket, before it opens). A no-op when a
   * read or commit already carried them.
   */
  settle(): Promise<void>;
  /**
   * Runs `statements` as one D1 batch (one SQL transaction) together with the pending checks
   * (session still live, write rate limit) and the idempotency record, then returns `result`. `result` may be a
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
  /**
   * A login: refused from cross-site pages and for any content type but JSON (login CSRF), before
   * its body is read.
   */
  login?: boolean;
  /** Rate-limit class. */
  access: "read" | "write";
  /**
   * Counted by the per-caller rate limiter (default true). `false` only for routes that must work
   * without a D1 write (the health check reports a D1 outage instead of failing on its counter).
   */
  rateLimited?: boolean;
  /**
   * `Cache-Control` of a success answer. Default `no-store`: answers carry tokens or personal data
   * unless a route declares otherwise (public reference data such as the API document).
   */
  cacheControl?: string;
  /** Accepts `Idempotency-Key` (default: every POST). */
  idempotent?: boolean;
  /**
   * What a repeated `Idempotency-Key` is compared against, for a route whose body the pipeline
   * does not read (a streamed upload): text taken from the request's headers. Default: the JSON
   * body in canonical form.
   */
  idempotencyFingerprint?: (headers: Headers) => string;
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
