/**
 * A commit whose event is pushed into the rooms of the objects it changed.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import type { Statement } from "../db/client";
import { rooms } from "../db/schema";
import type { HandlerContext, HandlerResult } from "../http/route";
import type { PushEvent } from "./protocol";
import { isRoomId } from "./room-id";
import { pushAfterCommit } from "./stub";

/**
 * Commits `statements` (`ctx.commit`) and then pushes `event` into each of `roomIds` that has been
 * entered at least once: the D1 `rooms` rows (registered by a room's first socket) are read in the
 * same batch, so a room nobody ever opened costs no Durable Object wake-up and no round trip.
 * A room id may also be an SQL expression evaluated in the batch after the statements (the room of
 * an offer's application when the request names only the offer), so finding it costs no read.
 * `result`, when a function, sees the statements' rows without the probe. A push never fails the
 * request: D1 is the truth, and the room de-duplicates by `eventId`.
 */
export async function commitAndPush<R extends HandlerResult>(
  ctx: HandlerContext<unknown, unknown>,
  statements: Statement[],
  result: R | ((rows: unknown[]) => R),
  roomIds: readonly (string | SQL)[],
  event: PushEvent,
): Promise<R> {
  const targets = [...new Set(roomIds)].filter((r) => typeof r !== "string" || isRoomId(r)).map((r) => sql`${r}`);
  if (targets.length === 0) return ctx.commit(statements, result);
  let entered: string[] = [];
  const probe = ctx.db
    .select({ id: rooms.id })
    .from(rooms)
    .where(sql`${rooms.id} IN (${sql.join(targets, sql`, `)})`);
  const res = await ctx.commit(
    [...statements, probe],
    typeof result === "function" ? (rows) => result(rows.slice(0, -1)) : result,
    (rows) => {
      entered = ((rows[rows.length - 1] ?? []) as { id: string }[]).map((r) => r.id);
    },
  );
  await Promise.all([...new Set(entered)].map((roomId) => pushAfterCommit(ctx, roomId, event)));
  return res;
}
