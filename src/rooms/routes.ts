/**
 * Room routes on the Pages side: tickets, the WebSocket upgrade, the room with its
 * presence, and the original portal's `/ws`. Authentication and the room's access rule
 * (`./access.ts`) are decided here, before the Room Durable Object is touched; the DO only ever
 * sees the trusted `x-room-id` / `x-room-uid` headers set by `connectRoom`.
 *
 * @module
 */
import { jsonObject } from "../core/json";
import { eq, sql } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { roomTickets } from "../db/schema";
import { sha256Hex, toBase64Url } from "../core/crypto";
import { AppError, badRequest, forbidden, notFound, unauthorized } from "../core/errors";
import { badOrigin, crossSiteCookie } from "../http/origin";
import { defineRoute, type HandlerContext } from "../http/route";
import { type RoomRow, authorize, connectRoom, enterRoom } from "./access";
import { LegacyBridge } from "./legacy";
import { parseRoomId, type RoomRef } from "./room-id";
import { roomStub } from "./stub";

/** Lifetime of a room ticket. */
export const TICKET_TTL_MS = 30_000;

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
  const meta = jsonObject(r.meta);
  return { id: r.id, type: r.type, ownerUid: r.ownerUid, meta, createdAt: new Date(r.createdAt).toISOString() };
}

/** The path's room id, validated (400 otherwise). */
function roomRef(ctx: Ctx): RoomRef {
  const ref = parseRoomId(ctx.params.roomId ?? "");
  if (!ref) throw badRequest("bad_room_id", "invalid room id (see docs/rooms.md: room ids)");
  return ref;
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

/** 426 unless `req` asks for a WebSocket (both socket routes refuse before any other work). */
function requireUpgrade(req: Request): void {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError(426, "upgrade_required", "expected a WebSocket upgrade", undefined, { upgrade: "websocket" });
  }
}

export const ticket = defineRoute({
  id: "rooms.ticket",
  method: "POST",
  path: "/api/rooms/:roomId/ticket",
  tag: "rooms",
  summary: "A 30-second, single-use ticket for GET /api/rooms/:roomId/ws?ticket=… (browsers cannot set headers on upgrade).",
  // A ticket stands in for a session: an AUTH_MODE=compat asserted uid must never mint one.
  auth: "verified",
  access: "write",
  idempotent: false,
  response: z.object({ ok, ticket: z.string(), expiresAt: z.string() }),
  errors: { bad_room_id: "400", not_allowed: "403", voucher_not_found: "404" },
  async handler(ctx) {
    const ref = roomRef(ctx);
    const uid = ctx.caller ?? "";
    await authorize(ctx.read, ctx.db, ref, uid);
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
    bad_origin: "403",
    not_allowed: "403",

    voucher_not_found: "404",
    room_full: "503 answered by the room itself",
    room_unavailable: "503",
  },
  async handler(ctx) {
    const ref = roomRef(ctx);
    requireUpgrade(ctx.req);
    // A verified session wins — from a cookie only on a page of our own origin (else the ticket
    // decides); an asserted (compat) uid is never enough for a room.
    const foreign = ctx.verified && crossSiteCookie(ctx.req, ctx.config.allowedOrigins);
    let uid = ctx.verified && !foreign ? ctx.caller : null;
    if (!uid && ctx.query.ticket) uid = await redeemTicket(ctx.db, ctx.query.ticket, ref, ctx.now);
    if (!uid && foreign) throw badOrigin();
    if (!uid) throw unauthorized("unauthenticated", "a session or a ticket (POST /api/rooms/:roomId/ticket) is required");

    await authorize(ctx.read, ctx.db, ref, uid);
    await ctx.commit([...enterRoom(ctx.db, ref, uid, ctx.now)], { body: null });
    const res = await connectRoom(ctx.env, ref, uid, { base: ctx.req.headers, lastSeq: ctx.query.lastSeq, log: ctx.log });
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
  auth: "verified",
  access: "read",
  response: z.object({ ok, room: RoomOut, presence: z.array(z.unknown()) }),
  errors: { bad_room_id: "400", not_allowed: "403", room_not_found: "404" },
  async handler(ctx) {
    const ref = roomRef(ctx);
    const room = await authorize(ctx.read, ctx.db, ref, ctx.caller ?? "");
    if (!room) throw notFound("room_not_found", "room has not been used yet");
    const presence = await roomStub(ctx.env, ref.roomId).presence();
    return { body: { ok: true, room: toRoom(room), presence } };
  },
});

export const legacy = defineRoute({
  id: "rooms.legacy",
  method: "GET",
  path: "/ws",
  tag: "rooms",
  summary:
    "The original portal's socket (join/message/leave ↔ system/message), bridged into the rooms. Session cookie, or AUTH_MODE=compat.",
  auth: "optional",
  access: "read",
  // The portal dials a bare `/ws` (the room travels in `join`).
  query: z.strictObject({}),
  errors: { upgrade_required: "426", unauthenticated: "401", bad_origin: "403" },
  async handler(ctx) {
    requireUpgrade(ctx.req);
    if (ctx.verified && crossSiteCookie(ctx.req, ctx.config.allowedOrigins)) throw badOrigin();
    const sessionUid = ctx.verified ? ctx.caller : null;
    const compat = ctx.config.authMode === "compat";
    // Refused before the upgrade: the portal learns "no session" from the failed dial, not a frame.
    if (!sessionUid && !compat)
      throw unauthorized("unauthenticated", "a verified session is required (POST /api/presence/verify)");
    // The session must still be live before the socket opens (no read of this handler carries the check).
    await ctx.settle();
    const { 0: client, 1: server } = new WebSocketPair();
    server.accept();
    new LegacyBridge(server, { env: ctx.env, db: ctx.db, log: ctx.log, sessionUid, compat, now: Date.now });
    return { body: null, raw: new Response(null, { status: 101, webSocket: client }) };
  },
});
