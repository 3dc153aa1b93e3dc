/**
 * Small helpers the mortgage handlers share: the event row of a change.
 *
 * @module
 */
import type { Statement } from "../db/client";
import { eventStatement } from "../events/events";
import type { HandlerContext } from "../http/route";

/** Any handler context (the helpers read only the request's identity, clock and database). */
export type AnyCtx = HandlerContext<unknown, unknown>;

/** The `events` row of a mortgage change, for the change's batch. */
export function mortgageEvent(
  ctx: AnyCtx,
  e: { id?: string; type: string; subjectType: string; subjectId: string; meta: Record<string, unknown> },
): Statement {
  return eventStatement(ctx.db, {
    ...(e.id ? { id: e.id } : {}),
    type: e.type,
    actorUid: ctx.caller,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    meta: e.meta,
    requestId: ctx.requestId,
    now: ctx.now,
  });
}
