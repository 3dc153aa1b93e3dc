/**
 * A commit whose event goes into rooms some of which are only known inside the batch (the room of
 * an offer's application, when the request names only the offer). Same rule as
 * `src/rooms/commit-push.ts`: only rooms that were ever entered are pushed to, found by a probe in
 * the same batch, so the change still costs one round trip.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import type { Statement } from "../db/client";
import { rooms } from "../db/schema";
import type { HandlerContext, HandlerResult } from "../http/route";
import type { PushEvent } from "../rooms/protocol";
import { isRoomId } from "../rooms/room-id";
import { pushAfterCommit } from "../rooms/stub";

/** SQL expression of an offer's application room, `mortgage:application:<application_id>`. */
export function applicationRoomOfOfferSql(offerId: string): SQL {
  return sql`('mortgage:application:' || (SELECT application_id FROM mortgage_offers WHERE id = ${offerId}))`;
}

/**
 * Commits `statements` and then pushes `event` into each room of `roomIds` (room ids, or SQL
 * expressions evaluated in the batch after the statements) that has been entered at least once.
 * `result`, when a function, sees the statements' rows without the probe. A push never fails the
 * request: D1 is the truth, and the room de-duplicates by `eventId`.
 */
export async function commitAndPushTo<R extends HandlerResult>(
  ctx: HandlerContext<unknown, unknown>,
  statements: Statement[],
  result: R | ((rows: unknown[]) => R),
  roomIds: readonly (string | SQL)[],
  event: PushEvent,
): Promise<R> {
  const targets = roomIds.filter((r) => typeof r !== "string" || isRoomId(r)).map((r) => (typeof r === "string" ? sql`${r}` : r));
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
