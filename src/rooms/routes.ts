/**
 * Room routes on the Pages side (issue 3 §2): tickets, the WebSocket upgrade and the room with its
 * presence. Authentication and the room's access rule are decided here, before the Room Durable
 * Object is touched; the DO only ever sees the trusted `x-room-id` / `x-room-uid` headers set below.
 *
 * Access rules:
 * - public rooms (`honeycomb:`, `wabe:`, `deal:`, `room-<pair>-<suffix>`): any verified uid;
 * - `voucher:<id>`: the voucher's issuer and its current holder (D1 `vouchers`); unknown voucher → 404;
 * - `mortgage:<object>:<id>`: 403 `room_not_available` until the mortgage API (borrower/lenders)
 *   exists to decide who the parties are.
 *
 * @module
 */
import { eq, sql } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { roomTickets, rooms, vouchers } from "../db/schema";
import { sha256Hex, toBase64Url } from "../identity/crypto";
import { AppError, badRequest, forbidden, notFound, unauthorized } from "../http/errors";
import { defineRoute, type HandlerContext } from "../http/route";
import { parseRoomId, type RoomRef } from "./room-id";
import { ROOM_ID_HEADER, ROOM_UID_HEADER, roomStub } from "./stub";

/** Lifetime of a room ticket. */
export const TICKET_TTL_MS = 30_000;

type RoomRow = typeof rooms.$inferSelect;
type Ctx = HandlerContext<unknown, unknown>;

const RoomOut = z.object({
  id: z.string(),
  type: z.string(),
  ownerUid: z.string().nullable(),
  meta: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
const ok = z.literal(true);

function toRoom(r: RoomRow) {
  let meta: Record<string, unknown> = {};
  try {
    meta = JSON.parse(r.meta) as Record<string, unknown>;
  } catch {
    // A hand-edited row: show it without meta rather than fail.
  }
  return { id: r.id, type: r.type, ownerUid: r.ownerUid, meta, createdAt: new Date(r.createdAt).toISOString() };
}

/** The path's room id, validated (400 otherwise). */
function roomRef(ctx: Ctx): RoomRef {
  const ref = parseRoomId(ctx.params.roomId ?? "");
  if (!ref) throw badRequest("bad_room_id", "invalid room id (see README: room ids)");
  return ref;
}

/**
 * Checks the room's access rule for `uid` and returns the room's D1 row (if registered). The reads
 * go through `ctx.read`, so the request is rate-limited (429) in the same round trip.
 */
async function authorize(ctx: Ctx, ref: RoomRef, uid: string): Promise<RoomRow | undefined> {
  const { db } = ctx;
  const roomQ = db.select().from(rooms).where(eq(rooms.id, ref.roomId));
  if (ref.kind === "mortgage") {
    await ctx.read([roomQ]);
    throw forbidden("room_not_available", "mortgage rooms open when the mortgage API lands");
  }
  if (ref.kind !== "voucher") {
    const [[room]] = await ctx.read([roomQ]);
    return room;
  }
  const [[room], [v]] = await ctx.read([
    roomQ,
    db.select({ issuerUid: vouchers.issuerUid, holderUid: vouchers.holderUid }).from(vouchers).where(eq(vouchers.id, ref.id)),
  ]);
  if (!v) throw notFound("voucher_not_found", "no such voucher");
  if (uid !== v.issuerUid && uid !== v.holderUid) {
    throw forbidden("not_allowed", "only the voucher's issuer and holder may enter its room");
  }
  return room;
}

/** Consumes a ticket (single use: DELETE … RETURNING) and returns its uid, or throws 401/403. */
async function redeemTicket(db: Db, ticket: string, ref: RoomRef, now: number): Promise<string> {
  const [row] = await db
    .delete(roomTickets)
    .where(eq(roomTickets.hash, await sha256Hex(ticket)))
    .returning();
  if (!row || row.expiresAt <= now) throw unauthorized("invalid_ticket", "ticket is invalid, used or expired");
  if (row.roomId !== ref.roomId) throw forbidden("ticket_room_mismatch", "ticket was issued for another room");
  return row.uid;
}

export const ticket = defineRoute({
  id: "rooms.ticket",
  method: "POST",
  path: "/api/rooms/:roomId/ticket",
  tag: "rooms",
  summary: "A 30-second, single-use ticket for GET /api/rooms/:roomId/ws?ticket=… (browsers cannot set headers on upgrade).",
  auth: "required",
  access: "write",
  idempotent: false,
  response: z.object({ ok, ticket: z.string(), expiresAt: z.string() }),
  errors: { bad_room_id: "400", not_allowed: "403", room_not_available: "403", voucher_not_found: "404" },
  async handler(ctx) {
    const ref = roomRef(ctx);
    const uid = ctx.caller ?? "";
    await authorize(ctx, ref, uid);
    const value = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const expiresAt = ctx.now + TICKET_TTL_MS;
    return ctx.commit(
      [
        ctx.db.delete(roomTickets).where(sql`${roomTickets.expiresAt} <= ${ctx.now}`),
        ctx.db
          .insert(roomTickets)
          .values({ hash: await sha256Hex(value), uid, roomId: ref.roomId, expiresAt, createdAt: ctx.now }),
      ],
      { body: { ok: true, ticket: value, expiresAt: new Date(expiresAt).toISOString() } },
    );
  },
});

export const ws = defineRoute({
  id: "rooms.ws",
  method: "GET",
  path: "/api/rooms/:roomId/ws",
  tag: "rooms",
  summary:
    "WebSocket upgrade into a room (session cookie/Bearer or ?ticket=; ?lastSeq= resumes). Refusals are plain HTTP before any upgrade.",
  auth: "optional",
  access: "read",
  query: z.strictObject({
    ticket: z.string().min(1).max(128).optional(),
    lastSeq: z
      .string()
      .regex(/^\d{1,15}$/)
      .optional(),
  }),
  errors: {
    bad_room_id: "400",
    upgrade_required: "426",
    invalid_ticket: "401",
    unauthenticated: "401",
    ticket_room_mismatch: "403",
    not_allowed: "403",
    room_not_available: "403",
    voucher_not_found: "404",
    room_full: "503",
  },
  async handler(ctx) {
    const ref = roomRef(ctx);
    if (ctx.req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError(426, "upgrade_required", "expected a WebSocket upgrade", undefined, { upgrade: "websocket" });
    }
    // A verified session wins; an asserted (compat) uid is never enough for a room.
    let uid = ctx.verified ? ctx.caller : null;
    if (!uid && ctx.query.ticket) uid = await redeemTicket(ctx.db, ctx.query.ticket, ref, ctx.now);
    if (!uid) throw unauthorized("unauthenticated", "a session or a ticket (POST /api/rooms/:roomId/ticket) is required");

    const room = await authorize(ctx, ref, uid);
    if (!room) {
      // First use registers the room; a concurrent first use is a no-op.
      await ctx.commit(
        [
          ctx.db
            .insert(rooms)
            .values({
              id: ref.roomId,
              type: "mixed",
              ownerUid: uid,
              meta: JSON.stringify({ kind: ref.kind }),
              createdAt: ctx.now,
            })
            .onConflictDoNothing(),
        ],
        { body: null },
      );
    }

    // Only our trusted headers reach the DO: drop anything x-room-* and the credentials.
    const headers = new Headers();
    for (const [k, v] of ctx.req.headers) {
      if (k.startsWith("x-room-") || k === "cookie" || k === "authorization") continue;
      headers.set(k, v);
    }
    headers.set(ROOM_ID_HEADER, ref.roomId);
    headers.set(ROOM_UID_HEADER, uid);
    const target = new URL("https://room.internal/connect");
    if (ctx.query.lastSeq) target.searchParams.set("lastSeq", ctx.query.lastSeq);
    let res: Response;
    try {
      res = await roomStub(ctx.env, ref.roomId).fetch(new Request(target, { headers }));
    } catch (err) {
      ctx.log("error", "room unavailable", { roomId: ref.roomId, error: String(err) });
      throw new AppError(503, "room_unavailable", "room is unavailable, retry later", undefined, { "retry-after": "5" });
    }
    // The 101 (or the DO's own plain-HTTP refusal, e.g. 503 room_full) goes back unchanged.
    return { body: null, raw: res };
  },
});

export const get = defineRoute({
  id: "rooms.get",
  method: "GET",
  path: "/api/rooms/:roomId",
  tag: "rooms",
  summary: "A room (registered on first use) and its current presence, for callers allowed in it.",
  auth: "required",
  access: "read",
  response: z.object({ ok, room: RoomOut, presence: z.array(z.unknown()) }),
  errors: { bad_room_id: "400", not_allowed: "403", room_not_available: "403", room_not_found: "404" },
  async handler(ctx) {
    const ref = roomRef(ctx);
    const room = await authorize(ctx, ref, ctx.caller ?? "");
    if (!room) throw notFound("room_not_found", "room has not been used yet");
    const presence = await roomStub(ctx.env, ref.roomId).presence();
    return { body: { ok: true, room: toRoom(room), presence } };
  },
});
