/**
 * The original portal's `/ws` protocol, served over the new rooms.
 *
 * The portal dials `/ws` without a room and names it in its first frame, so this cannot be a plain
 * pass-through to one Room: the Pages Function accepts the browser's socket itself, and on `join`
 * authorizes the room exactly like `GET /api/rooms/:roomId/ws` and opens the Room DO's socket as the
 * caller. From then on frames are translated both ways:
 *
 * | portal → | room | | room → | portal |
 * |---|---|---|---|---|
 * | `join {room_id, thinker_id}` | (connect) | | `welcome` | `system {event:"joined", thinker_id, members}` |
 * | `message {payload:{text}}` | `chat` | | `chat` (others') | `message {from, payload:{text}, at}` |
 * | `leave` | (disconnect) | | `presence.join` / `presence.leave` | `system {event:"join"/"leave", thinker_id}` |
 * | | | | `error` | `error {code, error, retryAfter?}` |
 *
 * Identities on the wire are thinker ids (`from`, `thinker_id`), never raw uids, as in the
 * original. Fixed defects of the original `ws.js`: a socket is in one room at a time (a second
 * `join` leaves the first), the room must be joined before sending, and every refusal is an
 * `error` frame with a machine code instead of silence.
 *
 * The pure translation is here; {@link LegacyBridge} holds the two sockets.
 *
 * @module
 */
import * as z from "zod";
import type { Db } from "../db/client";
import { identityHashKey } from "../core/config";
import { AppError } from "../core/errors";
import type { Logger } from "../core/log";
import { asThinkerId } from "../identity/thinker";
import { PING_TEXT, ServerFrame, utf8LengthUpTo } from "./protocol";
import { type Bucket, take } from "./rate";
import { type RoomRef, parseRoomId } from "./room-id";
import { authorize, connectRoom, enterRoom } from "./access";

/** Largest legacy frame accepted (a 16 KiB chat text plus its envelope); bigger → close 1009. */
export const LEGACY_FRAME_CAP = 20 * 1024;
/** How often the bridge pings the Room so its idle sweep never closes a quiet portal. */
export const KEEPALIVE_MS = 30_000;
/** `join`s per socket: a burst of 5, then one every 2 s (each costs D1 reads and a DO connect). */
export const JOIN_LIMIT = { perSecond: 0.5, burst: 5 } as const;

const RoomName = z.string().min(1).max(256);
const ThinkerRef = z.string().min(1).max(128).nullable().optional();

/** Frames the portal sends. Documented fields only: the portal sends nothing else. */
export const LegacyClientFrame = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("join"), room_id: RoomName, thinker_id: ThinkerRef }),
  z.strictObject({
    type: z.literal("message"),
    room_id: RoomName.optional(),
    thinker_id: ThinkerRef,
    payload: z.strictObject({ text: z.string().min(1).max(16_384) }),
  }),
  z.strictObject({ type: z.literal("leave"), room_id: RoomName.optional() }),
]);
export type LegacyClientFrame = z.infer<typeof LegacyClientFrame>;

/** Machine codes of the bridge's `error` frames (plus the Room's own `error` codes, passed through). */
export type LegacyErrorCode =
  | "bad_frame"
  | "too_big"
  | "bad_room_id"
  | "not_joined"
  | "thinker_mismatch"
  | "unauthenticated"
  | "rate_limited"
  | (string & {});

/** A bridge `error` frame: no `room_id`, so the portal's room filter never shows it as chat. */
export function legacyError(code: LegacyErrorCode, error: string, extra: { retryAfter?: number } = {}) {
  return { type: "error" as const, code, error, ...extra };
}

/** Result of {@link decodeLegacyFrame}. */
export type LegacyDecoded =
  | { readonly ok: true; readonly frame: LegacyClientFrame }
  | { readonly ok: false; readonly tooBig: boolean; readonly message: string };

/** Size check on the raw text, then JSON, then the schema. */
export function decodeLegacyFrame(raw: string): LegacyDecoded {
  if (utf8LengthUpTo(raw, LEGACY_FRAME_CAP) > LEGACY_FRAME_CAP) {
    return { ok: false, tooBig: true, message: `frame over ${LEGACY_FRAME_CAP} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, tooBig: false, message: "frame is not valid JSON" };
  }
  const parsed = LegacyClientFrame.safeParse(json);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return { ok: false, tooBig: false, message: `${where}${issue?.message ?? "invalid frame"}` };
}

/** Who the bridge is in its current room: the uid the Room knows and its own connection id. */
export interface LegacySelf {
  readonly roomId: string;
  readonly uid: string;
  /** Set from `welcome`; the Room never echoes our own chat, but presence deltas name our uid. */
  connId?: string;
}

/**
 * Translates one Room frame into the portal's frame (or nothing). `thinker` maps a Room uid to
 * the public thinker id the portal shows.
 */
export async function toLegacyFrame(
  raw: string,
  self: LegacySelf,
  thinker: (uid: string) => Promise<string>,
): Promise<Record<string, unknown> | null> {
  let parsed: ServerFrame;
  try {
    parsed = ServerFrame.parse(JSON.parse(raw));
  } catch {
    return null; // The Room only sends valid frames; anything else is not for the portal.
  }
  const room_id = self.roomId;
  switch (parsed.type) {
    case "welcome": {
      self.connId = parsed.you.connId;
      const others = parsed.members.filter((m) => m.uid !== self.uid && m.leavingSince === null);
      return {
        type: "system",
        room_id,
        event: "joined",
        thinker_id: await thinker(self.uid),
        members: await Promise.all(others.map((m) => thinker(m.uid))),
        at: parsed.at,
      };
    }
    case "chat":
      if (parsed.from.uid === self.uid && parsed.from.connId === self.connId) return null;
      return { type: "message", room_id, from: await thinker(parsed.from.uid), payload: { text: parsed.text }, at: parsed.at };
    case "presence.join":
      if (parsed.member.uid === self.uid) return null;
      return { type: "system", room_id, event: "join", thinker_id: await thinker(parsed.member.uid), at: parsed.at };
    case "presence.leave":
      if (parsed.uid === self.uid) return null;
      return { type: "system", room_id, event: "leave", thinker_id: await thinker(parsed.uid), at: parsed.at };
    case "error":
      return legacyError(parsed.code, parsed.message, parsed.retryAfter !== undefined ? { retryAfter: parsed.retryAfter } : {});
    default:
      // ack, pong, signal, presence.update, history, event: not part of the portal's protocol.
      return null;
  }
}

/** What a bridge needs from its invocation. */
export interface BridgeDeps {
  readonly env: Env;
  readonly db: Db;
  readonly log: Logger;
  /** The verified session's uid, or null (then only `AUTH_MODE=compat` lets a join assert one). */
  readonly sessionUid: string | null;
  readonly compat: boolean;
  readonly now: () => number;
}

interface Joined extends LegacySelf {
  readonly ref: RoomRef;
  readonly socket: WebSocket;
  readonly keepalive: ReturnType<typeof setInterval>;
}

const OPEN = 1;

/**
 * One portal socket and (after `join`) its Room socket. Inbound frames are handled one at a time
 * in arrival order (a `message` right after `join` waits for the join to finish).
 */
export class LegacyBridge {
  #joined: Joined | null = null;
  #queue: Promise<void> = Promise.resolve();
  #joins: Bucket | undefined;
  readonly #thinkers = new Map<string, Promise<string>>();

  constructor(
    private readonly client: WebSocket,
    private readonly deps: BridgeDeps,
  ) {
    client.addEventListener("message", (e) => {
      const data = e.data;
      this.#queue = this.#queue.then(() => this.#onClient(data)).catch((err) => this.#fail(err));
    });
    client.addEventListener("close", () => this.#leave(1000, "portal closed"));
    client.addEventListener("error", () => this.#leave(1001, "portal socket error"));
  }

  async #onClient(data: string | ArrayBuffer): Promise<void> {
    if (typeof data !== "string") {
      this.#closeClient(1003, "text frames only");
      return;
    }
    const decoded = decodeLegacyFrame(data);
    if (!decoded.ok) {
      if (decoded.tooBig) this.#closeClient(1009, decoded.message);
      else this.#send(legacyError("bad_frame", decoded.message));
      return;
    }
    const frame = decoded.frame;
    if (frame.type === "join") await this.#join(frame);
    else if (frame.type === "leave") this.#leave(1000, "left");
    else this.#message(frame);
  }

  async #join(frame: Extract<LegacyClientFrame, { type: "join" }>): Promise<void> {
    const now = this.deps.now();
    const t = take(this.#joins, JOIN_LIMIT, now);
    this.#joins = t.bucket;
    if (!t.ok) {
      this.#send(legacyError("rate_limited", "too many joins", { retryAfter: t.retryAfterMs }));
      return;
    }
    const ref = parseRoomId(frame.room_id);
    if (!ref) {
      this.#send(legacyError("bad_room_id", "invalid room id (see docs/rooms.md: room ids)"));
      return;
    }
    const uid = await this.#identity(frame.thinker_id ?? null);
    if (!uid) return;
    try {
      const { db, env, log } = this.deps;
      await authorize((q) => db.batch(q), db, ref, uid);
      await db.batch(enterRoom(db, ref, uid, now));
      const res = await connectRoom(env, ref, uid, { log });
      const socket = res.webSocket;
      if (res.status !== 101 || !socket) {
        const body = (await res.json().catch(() => ({}))) as { code?: string; error?: string };
        this.#send(legacyError(body.code ?? "room_unavailable", body.error ?? "room refused the connection"));
        return;
      }
      this.#leave(1000, "joined another room");
      socket.accept();
      const joined: Joined = {
        roomId: ref.roomId,
        uid,
        ref,
        socket,
        keepalive: setInterval(() => this.#sendRoom(joined, PING_TEXT), KEEPALIVE_MS),
      };
      this.#joined = joined;
      socket.addEventListener("message", (e) => {
        if (typeof e.data === "string") void this.#fromRoom(joined, e.data);
      });
      socket.addEventListener("close", (e) => this.#roomClosed(joined, e.code, e.reason));
      socket.addEventListener("error", () => this.#roomClosed(joined, 1011, "room socket error"));
      log("info", "legacy join", { roomId: ref.roomId });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      this.#send(legacyError(err.code, err.message));
    }
  }

  /**
   * The uid this socket joins as: the session's (a `thinker_id`, if sent, must name it), or in
   * `AUTH_MODE=compat` without a session the asserted `thinker_id` (as a thinker id).
   */
  async #identity(thinkerId: string | null): Promise<string | null> {
    const { sessionUid, compat, env } = this.deps;
    if (sessionUid) {
      if (thinkerId !== null && thinkerId !== sessionUid && thinkerId !== (await this.#thinker(sessionUid))) {
        this.#send(legacyError("thinker_mismatch", "thinker_id is not the thinker id of the verified session"));
        return null;
      }
      return sessionUid;
    }
    if (compat && thinkerId !== null && /^[A-Za-z0-9_.:-]{1,128}$/.test(thinkerId)) {
      return asThinkerId(thinkerId, identityHashKey(env));
    }
    this.#send(legacyError("unauthenticated", "a verified session is required (POST /api/presence/verify)"));
    return null;
  }

  #message(frame: Extract<LegacyClientFrame, { type: "message" }>): void {
    const joined = this.#joined;
    if (!joined || (frame.room_id !== undefined && frame.room_id !== joined.roomId)) {
      this.#send(legacyError("not_joined", "join the room before sending to it"));
      return;
    }
    // A random client id: the Room dedupes chat by (uid, id), and one uid may have several portals.
    const id = `l.${crypto.randomUUID()}`;
    this.#sendRoom(joined, JSON.stringify({ type: "chat", id, text: frame.payload.text }));
  }

  async #fromRoom(joined: Joined, raw: string): Promise<void> {
    try {
      const out = await toLegacyFrame(raw, joined, (uid) => this.#thinker(uid));
      if (out && this.#joined === joined) this.#send(out);
    } catch (err) {
      this.#fail(err);
    }
  }

  #roomClosed(joined: Joined, code: number, reason: string): void {
    if (this.#joined !== joined) return; // we left it ourselves
    this.#joined = null;
    clearInterval(joined.keepalive);
    // The Room ended the session (rate-limit offender 1008, idle, restart): the portal reconnects.
    this.#closeClient(code === 1008 || code === 1009 ? code : 1011, reason || "room connection closed");
  }

  /** Leaves the current room, if any (a new join, a `leave` frame, or the portal going away). */
  #leave(code: number, reason: string): void {
    const joined = this.#joined;
    if (!joined) return;
    this.#joined = null;
    clearInterval(joined.keepalive);
    try {
      joined.socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  #thinker(uid: string): Promise<string> {
    let t = this.#thinkers.get(uid);
    if (!t) {
      t = asThinkerId(uid, identityHashKey(this.deps.env));
      this.#thinkers.set(uid, t);
    }
    return t;
  }

  #send(frame: Record<string, unknown>): void {
    if (this.client.readyState === OPEN) this.client.send(JSON.stringify(frame));
  }

  #sendRoom(joined: Joined, text: string): void {
    if (joined.socket.readyState === OPEN) joined.socket.send(text);
  }

  #closeClient(code: number, reason: string): void {
    this.#leave(1000, "portal closed");
    try {
      this.client.close(code, reason.slice(0, 120));
    } catch {
      // already closed
    }
  }

  #fail(err: unknown): void {
    this.deps.log("error", "legacy bridge failed", { error: String(err) });
    this.#send(legacyError("internal", "internal error"));
  }
}
