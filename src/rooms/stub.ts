/**
 * The Pages side of the Room Durable Object: typed access to the `ROOMS` binding (a `script_name`
 * binding to the backend Worker, so the generated type is untyped) and the after-commit push.
 * Type-only import of the class: the Pages bundle never contains the Room itself.
 *
 * @module
 */
import type { Logger } from "../core/log";
import type { PushEvent } from "./protocol";
import type { Room } from "./room.do";

/** Trusted headers the Room reads (`ROOM_ID_HEADER` / `ROOM_UID_HEADER` in room.do.ts). */
export const ROOM_ID_HEADER = "x-room-id";
export const ROOM_UID_HEADER = "x-room-uid";

/** How long a request without `waitUntil` waits for a push before answering anyway. */
export const PUSH_GUARD_MS = 2_000;

/** The Room stub for a validated room id (every id must have passed `parseRoomId`). */
export function roomStub(env: Env, roomId: string): DurableObjectStub<Room> {
  return (env.ROOMS as unknown as DurableObjectNamespace<Room>).getByName(roomId);
}

/**
 * Pushes a committed domain event into a room. Never throws: the D1 commit is the truth and the
 * push is idempotent by `eventId`, so a failure is logged and the request still succeeds.
 */
export async function pushToRoom(env: Env, roomId: string, event: PushEvent, log: Logger): Promise<void> {
  try {
    const res = await roomStub(env, roomId).push(event);
    if (!res.ok) log("warn", "room push refused", { roomId, eventId: event.eventId, code: res.code });
  } catch (err) {
    log("error", "room push failed", { roomId, eventId: event.eventId, error: String(err) });
  }
}

/**
 * Runs {@link pushToRoom} after a commit: in the background with `waitUntil` when the invocation
 * has one, else awaited for at most {@link PUSH_GUARD_MS}.
 */
export async function pushAfterCommit(
  ctx: { env: Env; log: Logger; waitUntil?: (p: Promise<unknown>) => void },
  roomId: string,
  event: PushEvent,
): Promise<void> {
  const p = pushToRoom(ctx.env, roomId, event, ctx.log);
  if (ctx.waitUntil) {
    ctx.waitUntil(p);
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      ctx.log("warn", "room push still running after the guard; answering anyway", { roomId, eventId: event.eventId });
      resolve();
    }, PUSH_GUARD_MS);
  });
  await Promise.race([p, guard]);
  if (timer !== undefined) clearTimeout(timer);
}
