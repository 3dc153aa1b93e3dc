/**
 * The audit event log: every successful state change appends one row in the same batch.
 *
 * @module
 */
import type { Db, Statement } from "../db/client";
import { newId } from "../db/ids";
import { events } from "../db/schema";

/**
 * Event types written by the API, one per successful write: the original event log's types plus the
 * new voucher actions and presence matches.
 */
export type EventType =
  | "auth.verified"
  | "auth.logout"
  | "voucher.issue"
  | "voucher.book"
  | "voucher.cancel"
  | "voucher.reschedule"
  | "voucher.redeem"
  | "voucher.transfer"
  | "presence.match"
  | (string & {});

/** One event to append. */
export interface EventInput {
  type: EventType;
  actorUid: string | null;
  subjectType: string;
  subjectId: string;
  meta?: Record<string, unknown>;
  requestId: string;
  now: number;
  /** A pre-generated id (`newId("ev", now)`), when the caller needs it after the commit (room pushes). */
  id?: string;
}

/** The event's insert statement, for the change's batch. Returns the statement and the new id. */
export function eventStatement(db: Db, e: EventInput): Statement {
  return db.insert(events).values({
    id: e.id ?? newId("ev", e.now),
    type: e.type,
    actorUid: e.actorUid,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    meta: JSON.stringify(e.meta ?? {}),
    requestId: e.requestId,
    createdAt: e.now,
  });
}
