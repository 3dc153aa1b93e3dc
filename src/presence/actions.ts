/**
 * Presence state on D1 (`presence_sessions`, `rooms`): heartbeat upserts and pair-code matching.
 * Each request is ONE D1 batch; the match decides inside the batch (one conditional UPDATE), so
 * concurrent matches of one pair code cannot split its thinkers over several rooms.
 *
 * @module
 */
import { type SQL, and, asc, eq, gte, sql } from "drizzle-orm";
import type { z } from "zod";
import { newId } from "../db/ids";
import { events, presenceSessions, rooms } from "../db/schema";
import { identityHashKey } from "../core/config";
import { forbidden, unauthorized } from "../core/errors";
import type { HandlerContext, HandlerResult } from "../http/route";
import { asThinkerId, thinkerIdentity } from "../identity/thinker";
import { MATCH_WINDOW_MS, MIN_CANDIDATES, newPairRoomId } from "./match";
import type { HeartbeatBody, MatchBody } from "./schemas";

type Ctx<B> = HandlerContext<B, undefined>;

/**
 * The caller's thinker id, which the body's `thinker_id` must name.
 *
 * - With a session (any AUTH_MODE): `thinker_id` must be the session uid's thinker id, else
 *   403 `thinker_mismatch`.
 * - AUTH_MODE=compat without a session: `thinker_id` is asserted, as the original portal does. A
 *   `thinker-<16 hex>` is used as is; anything else is a legacy local uid and maps to the thinker
 *   id verify would give that uid (so no raw uid is stored). An `X-MOT-User` sent alongside must
 *   name the same thinker.
 */
export async function callerThinker(ctx: Ctx<{ thinker_id: string }>): Promise<string> {
  const { caller, body } = ctx;
  if (!caller) throw unauthorized("unauthenticated", "a verified session is required (POST /api/presence/verify)");
  const key = identityHashKey(ctx.env);
  if (ctx.verified) {
    const own = (await thinkerIdentity(caller, key)).thinkerId;
    if (body.thinker_id !== own) throw mismatch();
    return own;
  }
  const asserted = await asThinkerId(body.thinker_id, key);
  if (caller !== body.thinker_id && (await asThinkerId(caller, key)) !== asserted) throw mismatch();
  return asserted;
}

const mismatch = () => forbidden("thinker_mismatch", "thinker_id is not the thinker id of the verified session");

/**
 * `POST /api/presence/heartbeat`: upserts the caller's session row. pair_code = given ∥ previous
 * ∥ null, status = given ∥ previous ∥ online, last_seen_at = now; room_id is kept. No `events`
 * row (a portal beats every 25 s).
 */
export async function heartbeat(ctx: Ctx<z.output<typeof HeartbeatBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const thinkerId = await callerThinker(ctx);
  return ctx.commit(
    [
      db
        .insert(presenceSessions)
        .values({
          id: newId("ps", now),
          thinkerId,
          pairCode: b.pair_code,
          status: b.status ?? "online",
          roomId: null,
          lastSeenAt: now,
          createdAt: now,
        })
        .onConflictDoUpdate({
          target: presenceSessions.thinkerId,
          set: {
            pairCode: sql`coalesce(${b.pair_code}, ${presenceSessions.pairCode})`,
            status: sql`coalesce(${b.status}, ${presenceSessions.status})`,
            lastSeenAt: now,
          },
        }),
    ],
    { body: { ok: true, last_seen: now } },
  );
}

/**
 * `POST /api/presence/match`: the shared room of the pair code's online thinkers (see
 * `match.ts` for the rule), in one batch:
 *
 * 1. register the room in `rooms` (INSERT OR IGNORE) when there are ≥ 2 candidates;
 * 2. ONE UPDATE gives every candidate the room that is not in it yet; the room is computed inside
 *    the statement (earliest candidate's room of this pair code, else the new id), so a
 *    concurrent match sees this one's result and reuses its room (D1 runs batches one at a time);
 * 3. a `presence.match` event, only if step 2 changed a row (`changes()`): a room was created or
 *    joined, not on every 5 s poll;
 * 4. read the room back.
 *
 * The caller need not be a candidate itself (as the original).
 */
export async function match(ctx: Ctx<z.output<typeof MatchBody>>): Promise<HandlerResult> {
  const { body: b, db, now, requestId } = ctx;
  const thinkerId = await callerThinker(ctx);
  const pairCode = b.pair_code;
  if (pairCode === null) return { body: { ok: true, room_id: null } };

  const since = now - MATCH_WINDOW_MS;
  const candidate = and(
    eq(presenceSessions.pairCode, pairCode),
    eq(presenceSessions.status, "online"),
    gte(presenceSessions.lastSeenAt, since),
  ) as SQL;
  const enough = sql`(SELECT count(*) FROM presence_sessions WHERE ${candidate}) >= ${MIN_CANDIDATES}`;
  const prefix = `room-${pairCode}-`;
  // A room of this pair code: `room-<pair>-<suffix>`, suffix without "-" (see isRoomOfPair).
  const ofPair = sql`substr(room_id, 1, ${prefix.length}) = ${prefix} AND length(room_id) > ${prefix.length}
    AND instr(substr(room_id, ${prefix.length + 1}), '-') = 0`;
  const target = sql`coalesce(
    (SELECT room_id FROM presence_sessions WHERE ${candidate} AND ${ofPair} ORDER BY created_at, id LIMIT 1),
    ${newPairRoomId(pairCode)})`;
  const roomMeta = JSON.stringify({ source: "presence", pair_code: pairCode });

  return ctx.commit(
    [
      db.insert(rooms).select(sql`SELECT ${target}, 'mixed', NULL, ${roomMeta}, ${now} WHERE ${enough}`).onConflictDoNothing(),
      db
        .update(presenceSessions)
        .set({ roomId: target })
        .where(and(candidate, enough, sql`room_id IS NOT ${target}`)),
      // Directly after the UPDATE: changes() is the number of sessions that joined the room.
      db.insert(events).select(sql`
        SELECT ${newId("ev", now)}, 'presence.match', ${ctx.caller}, 'room', room_id,
          json_object('pair_code', ${pairCode}, 'thinker_id', ${thinkerId}, 'joined', changes(),
            'candidates', (SELECT count(*) FROM presence_sessions WHERE ${candidate})),
          ${requestId}, ${now}
        FROM (SELECT room_id FROM presence_sessions WHERE ${candidate} ORDER BY created_at, id LIMIT 1)
        WHERE changes() > 0`),
      db
        .select({ roomId: presenceSessions.roomId })
        .from(presenceSessions)
        .where(and(candidate, enough))
        .orderBy(asc(presenceSessions.createdAt), asc(presenceSessions.id))
        .limit(1),
    ],
    (rows) => {
      const [found] = rows[rows.length - 1] as Array<{ roomId: string | null }>;
      return { body: { ok: true, room_id: found?.roomId ?? null } };
    },
  );
}
