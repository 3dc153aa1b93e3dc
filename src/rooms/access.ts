/**
 * Who may enter a room, and how a verified caller is connected to its Durable Object.
 * Shared by the room routes and the legacy `/ws` bridge, so both apply the same rules.
 *
 * Access rules:
 * - public rooms (`honeycomb:`, `wabe:`, `deal:`, `room-<name>`): any verified uid;
 * - `voucher:<id>`: the voucher's issuer and its current holder (D1 `vouchers`); unknown voucher → 404;
 * - `mortgage:<object>:<id>`: the parties of that mortgage object (`src/mortgage/room-access.ts`);
 *   anyone else, and any id that names no object, gets 403 `not_allowed` (existence is not revealed).
 *
 * @module
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { roomMembers, rooms, vouchers } from "../db/schema";
import { AppError, forbidden, notFound } from "../core/errors";
import type { HandlerContext } from "../http/route";
import { partyQuery } from "../mortgage/room-access";
import type { RoomRef } from "./room-id";
import { ROOM_ID_HEADER, ROOM_UID_HEADER, roomStub } from "./stub";

type Ctx = HandlerContext<unknown, unknown>;
/** A room's D1 row. */
export type RoomRow = typeof rooms.$inferSelect;

/** Runs read queries as one D1 batch: a route's rate-limited `ctx.read`, or `db.batch` itself. */
export type Read = Ctx["read"];

/**
 * Checks the room's access rule for `uid` and returns the room's D1 row (if registered). Routes
 * pass `ctx.read`, so the request is rate-limited (429) in the same round trip.
 */
export async function authorize(read: Read, db: Db, ref: RoomRef, uid: string): Promise<RoomRow | undefined> {
  const roomQ = db.select().from(rooms).where(eq(rooms.id, ref.roomId));
  if (ref.kind === "mortgage") {
    const object = ref.object ?? "property";
    const [[room], [p]] = await read([roomQ, partyQuery(db, object, ref.id, uid)]);
    if (!ref.object || !p?.party) throw forbidden("not_allowed", "only the parties of this mortgage object may enter its room");
    return room;
  }
  if (ref.kind !== "voucher") {
    const [[room]] = await read([roomQ]);
    return room;
  }
  const [[room], [v]] = await read([
    roomQ,
    db.select({ issuerUid: vouchers.issuerUid, holderUid: vouchers.holderUid }).from(vouchers).where(eq(vouchers.id, ref.id)),
  ]);
  if (!v) throw notFound("voucher_not_found", "no such voucher");
  if (uid !== v.issuerUid && uid !== v.holderUid) {
    throw forbidden("not_allowed", "only the voucher's issuer and holder may enter its room");
  }
  return room;
}

/**
 * The writes of entering a room, safe to repeat: the room's D1 registration on its first use, and
 * `uid`'s entry in `room_members` (first and last entry; the right to deletion reads it to find the
 * Room DOs holding the person's messages).
 */
export function enterRoom(db: Db, ref: RoomRef, uid: string, now: number) {
  return [
    db
      .insert(rooms)
      .values({ id: ref.roomId, type: "mixed", ownerUid: uid, meta: JSON.stringify({ kind: ref.kind }), createdAt: now })
      .onConflictDoNothing(),
    db
      .insert(roomMembers)
      .values({ roomId: ref.roomId, uid, firstAt: now, lastAt: now })
      .onConflictDoUpdate({ target: [roomMembers.roomId, roomMembers.uid], set: { lastAt: now } }),
  ] as const;
}

/**
 * Opens a socket into the room's DO as `uid` (already authenticated and authorized). Only our
 * trusted headers reach the DO: anything `x-room-*` and the credentials are dropped from `base`.
 *
 * @returns the DO's answer: a 101 carrying the socket, or its plain-HTTP refusal (503 room_full…).
 * @throws AppError 503 `room_unavailable` when the DO cannot be reached.
 */
export async function connectRoom(
  env: Env,
  ref: RoomRef,
  uid: string,
  opts: { base?: Headers; lastSeq?: string | undefined; log: Ctx["log"] },
): Promise<Response> {
  const headers = new Headers();
  for (const [k, v] of opts.base ?? []) {
    if (k.startsWith("x-room-") || k === "cookie" || k === "authorization") continue;
    headers.set(k, v);
  }
  headers.set("upgrade", "websocket");
  headers.set(ROOM_ID_HEADER, ref.roomId);
  headers.set(ROOM_UID_HEADER, uid);
  const target = new URL("https://room.internal/connect");
  if (opts.lastSeq) target.searchParams.set("lastSeq", opts.lastSeq);
  try {
    return await roomStub(env, ref.roomId).fetch(new Request(target, { headers }));
  } catch (err) {
    opts.log("error", "room unavailable", { roomId: ref.roomId, error: String(err) });
    throw new AppError(503, "room_unavailable", "room is unavailable, retry later", undefined, { "retry-after": "5" });
  }
}
