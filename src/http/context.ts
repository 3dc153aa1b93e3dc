/**
 * What the middleware chain hands from one step to the next: the Hono environment of the API
 * (`Bindings` = the Worker env, `Variables` = per-request state), filled step by step in the
 * order of `./pipeline.ts`.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import type { Db } from "../db/client";
import type { RequestSession } from "../db/session";
import type { Session } from "../identity/session";
import type { Config } from "../core/config";
import type { IdempotencyRecord } from "./idempotency";
import type { Logger } from "../core/log";
import type { AnyRoute } from "./route";
import type { UnitOfWork } from "./unit-of-work";

/** Per-request state, set by the step named in each comment. */
export interface PipelineVariables extends RequestIdVariables {
  /** request-log: logger bound to the request id. */
  log: Logger;
  /** prepare: the declaration being served. */
  route: AnyRoute;
  /** prepare: settings derived from the env. */
  config: Config;
  /** prepare: the request URL, parsed once. */
  url: URL;
  /** prepare: the request's one clock reading (epoch ms). */
  now: number;
  /** prepare: this request's D1 session (its bookmark goes back with the answer). */
  d1: RequestSession | undefined;
  /** prepare: the drizzle client of this request's D1 session. */
  db: Db;
  /** body: the parsed JSON body (before validation), when the route takes one. */
  rawBody: unknown;
  /** authenticate: the verified session, if the request carries a valid one. */
  session: Session | null;
  /** authenticate: how the session token came (a cookie is ambient authority, a bearer token is not). */
  sessionVia: "bearer" | "cookie" | null;
  /** validate: the validated body and query. */
  body: unknown;
  query: unknown;
  /** claims: the caller's uid (verified, asserted in AUTH_MODE=compat, or the admin marker). */
  caller: string | null;
  /** claims: rate-limit and idempotency scope of the caller (`uid:…` or `ip:…`). */
  callerKey: string;
  /** unit-of-work: the request's D1 round trips (checks ride in them). */
  uow: UnitOfWork;
  /** idempotency: the key this request claimed, if it sent one. */
  idempotency: IdempotencyRecord | undefined;
}

/** Hono environment of the API. */
export type AppEnv = { Bindings: Env; Variables: PipelineVariables };

/** Hono context of the API. */
export type AppContext = Context<AppEnv>;

/** A step of the pipeline. */
export type Step = MiddlewareHandler<AppEnv>;
