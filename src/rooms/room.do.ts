/**
 * The Room Durable Object: one instance per room id, carrying chat, WebRTC signaling, pushed domain
 * events and presence for the sockets in that room.
 *
 * ## Why the raw Hibernation API and not partyserver
 * partyserver would give us hooks and a `broadcast`, but every requirement below is either outside
 * it or has to work around it, so the wrapper would add a layer without removing code:
 * - Identity comes only from trusted headers set by the Pages Function after auth; partyserver's
 *   connection id defaults to the client's `_pk` query parameter, and we assign ids ourselves.
 * - Per-type size caps must run on the raw frame before `JSON.parse`, and rate limits per
 *   connection and type; partyserver hands `onMessage` the frame with neither.
 * - Resume-by-seq needs our own SQLite log and a `welcome` we build; partyserver has no history.
 * - Presence, the sweep alarm and the auto-response heartbeat are ours either way, and hibernation
 *   is opt-in there (a subclass has silently disabled it before, partykit#417).
 *
 * ## Invariants
 * - Reachable only through the `ROOMS` binding (this Worker's and the Pages project's); the
 *   Worker's own `fetch` never forwards here. So `x-room-id` / `x-room-uid` are set by our Pages
 *   Function after it authenticated the caller and checked the room's access rule, never by a browser.
 * - Hibernation-safe: nothing lives only in memory. Per-connection state (uid, connection id, rate
 *   buckets, last activity) is in the socket attachment; presence, the seq counter, history, seen
 *   event ids and counters are in this object's SQLite. The constructor only creates the schema.
 * - No `setTimeout`/`setInterval`: the leave grace window and the idle sweep are timestamps read
 *   by one alarm, which is armed only while there are sockets, pending leaves or unpruned history.
 * - The heartbeat `{"type":"ping"}` is answered by the runtime (`setWebSocketAutoResponse`), so a
 *   quiet room stays hibernated; the sweep reads the auto-response timestamp to see it.
 * - Upgrades are refused with plain HTTP (400/403/426/503) before any socket is accepted.
 */
import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { AppError, toErrorResponse } from "../core/errors";
import * as presence from "./presence";
import type { Member, PresenceDelta, PresenceMeta, PresenceState } from "./presence";
import {
  CLOSE,
  type ClientFrame,
  type ClientFrameType,
  decodeClientFrame,
  type ErrorCode,
  PING_TEXT,
  PONG_TEXT,
  PushEvent,
  RATE_LIMITS,
  STRIKE_LIMIT,
  scaledLimit,
} from "./protocol";
import { type Bucket, take } from "./rate";
import { parseRoomId } from "./room-id";

/** What the Room reads from its environment (a subset of the generated `WorkerEnv`). */
export interface RoomEnv {
  /** Max open sockets per room (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly ROOM_MAX_CONNECTIONS?: string;
  /** Leave grace window in ms (default `LEAVE_GRACE_MS`, 10 s): how long a member with no open socket stays listed. */
  readonly ROOM_LEAVE_GRACE_MS?: string;
  /** Multiplier of every per-type chat/signal/... rate limit (default 1; benchmarks raise it). */
  readonly ROOM_RATE_LIMIT_SCALE?: string;
}

/** What {@link Room.erase} did. */
export interface EraseResult {
  /** Sockets of the person closed. */
  closed: number;
  /** Its chat messages deleted from the history. */
  deleted: number;
  /** Other history frames that named it, now naming the tombstone. */
  rewritten: number;
}

/** One chat message as {@link Room.messagesBy} returns it: what the person wrote, and when. */
export interface WrittenMessage {
  /** The room's sequence number of the message. */
  seq: number;
  /** When the room received it, epoch ms. */
  at: number;
  /** The client's own message id. */
  id: string | null;
  text: string;
}

/** What {@link Room.messagesBy} found: the newest messages first, at most the asked number. */
export interface WrittenMessages {
  messages: WrittenMessage[];
  /** More messages of the person are retained than were returned. */
  truncated: boolean;
}

/** Trusted request headers, set by the Pages Function after authentication. */
export const ROOM_ID_HEADER = "x-room-id";
export const ROOM_UID_HEADER = "x-room-uid";

export const DEFAULT_MAX_CONNECTIONS = 200;
/** Seconds a client refused for capacity should wait (HTTP Retry-After). */
export const ROOM_FULL_RETRY_AFTER_S = 10;
/** Alarm cadence while sockets exist. */
export const SWEEP_INTERVAL_MS = 60_000;
/** A socket silent (no frame, no auto-answered ping) for longer than this is closed by the sweep. */
export const SILENT_MS = 90_000;
/** History bounds: the last N entries, and nothing older than the TTL. */
export const HISTORY_KEEP = 500;
export const HISTORY_TTL_MS = 7 * 24 * 3600_000;
/** Chat messages in a fresh `welcome` (and, separately, at most as many pushed events). */
export const WELCOME_HISTORY = 50;
/** Pushed event ids remembered for idempotency (count and age). */
export const SEEN_EVENTS_KEEP = 5_000;
export const SEEN_EVENTS_TTL_MS = 7 * 24 * 3600_000;

/** A verified uid as the Pages Function passes it (browser uid, thinker id...). */
const UID = /^[A-Za-z0-9_.:-]{1,128}$/;
const OPEN = 1; // WebSocket.READY_STATE_OPEN

/** Per-connection state, kept in the socket attachment so it survives hibernation (≪ 16 KiB). */
export interface Attachment {
  readonly v: 1;
  readonly uid: string;
  readonly connId: string;
  readonly joinedAt: number;
  /** Last frame received from this socket, epoch ms (auto-answered pings are tracked by the runtime). */
  lastSeen: number;
  buckets: Partial<Record<ClientFrameType, Bucket>>;
  strikes?: Bucket;
}

/** Counters returned by {@link Room.stats}; they are in SQLite, so they survive hibernation. */
export interface RoomStats {
  /** Open sockets now. */
  connections: number;
  /** Frames received (auto-answered pings excluded: they never reach the object). */
  messagesIn: number;
  /** Frames sent. */
  messagesOut: number;
  /** Frames discarded: outbound to a socket that was no longer open, or inbound over cap / binary. */
  drops: number;
  /** Inbound frames refused by a token bucket. */
  rateLimited: number;
}

/**
 * Result of {@link Room.push}. Invalid input is a result, not a throw: the caller has already
 * committed in D1 and must log and move on, and an exception crossing RPC is easy to drop unseen.
 */
export type PushResult =
  | {
      ok: true;
      /** The event's room seq (the original one for a duplicate). */
      seq: number;
      /** Sockets it was sent to now (0 for a duplicate). */
      delivered: number;
      /** True when this event id had been pushed before: nothing was sent again. */
      duplicate: boolean;
    }
  | { ok: false; code: "bad_event"; message: string };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0), ('pruned_through', 0);
CREATE TABLE IF NOT EXISTS history (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  uid TEXT,
  client_id TEXT,
  at INTEGER NOT NULL,
  frame TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_history_client ON history (uid, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_history_at ON history (at);
CREATE TABLE IF NOT EXISTS members (
  uid TEXT PRIMARY KEY,
  conns TEXT NOT NULL,
  meta TEXT NOT NULL,
  joined_at INTEGER NOT NULL,
  leaving_since INTEGER
);
CREATE TABLE IF NOT EXISTS seen_events (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ix_seen_events_at ON seen_events (at);
CREATE TABLE IF NOT EXISTS stats (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  messages_in INTEGER NOT NULL DEFAULT 0,
  messages_out INTEGER NOT NULL DEFAULT 0,
  drops INTEGER NOT NULL DEFAULT 0,
  rate_limited INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO stats (id) VALUES (1);
`;

type MemberRow = { uid: string; conns: string; meta: string; joined_at: number; leaving_since: number | null };

/**
 * One room. HTTP: `fetch` accepts WebSocket upgrades only. RPC (typed, from the Pages Function or
 * this Worker): {@link Room.push}, {@link Room.stats}, {@link Room.presence}, {@link Room.erase},
 * {@link Room.messagesBy}.
 */
export class Room extends DurableObject<RoomEnv> {
  /** Counter increments not yet written; flushed at the end of every entry point. */
  #pending = { in: 0, out: 0, drops: 0, rateLimited: 0 };

  constructor(ctx: DurableObjectState, env: RoomEnv) {
    super(ctx, env);
    // Schema setup is the only storage work here: every entry point (fetch, socket event, alarm,
    // RPC) reads what it needs itself, so a wake by any of them finds the same state (partykit#329).
    ctx.storage.sql.exec(SCHEMA);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
  }

  // -------------------------------------------------------------------------------------------
  // HTTP: the upgrade

  /**
   * Accepts a WebSocket for the uid in `x-room-uid`. Refusals are plain HTTP, before accepting:
   * 426 not an upgrade, 403 no trusted identity, 400 malformed headers or a room id that is not
   * this room's, 503 + Retry-After when the room is full. An optional `?lastSeq=` resumes.
   */
  override async fetch(request: Request): Promise<Response> {
    try {
      return await this.#upgrade(request);
    } catch (err) {
      if (!(err instanceof AppError)) console.error(JSON.stringify({ msg: "room.fetch failed", err: String(err) }));
      return toErrorResponse(err);
    } finally {
      this.#flush();
    }
  }

  async #upgrade(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError(426, "upgrade_required", "expected a WebSocket upgrade");
    }
    const roomId = request.headers.get(ROOM_ID_HEADER);
    const uid = request.headers.get(ROOM_UID_HEADER);
    if (roomId === null || uid === null) throw new AppError(403, "no_identity", "room connections must come through the API");
    if (!parseRoomId(roomId)) throw new AppError(400, "bad_room_id", "invalid room id");
    if (!UID.test(uid)) throw new AppError(400, "bad_uid", "invalid uid");
    this.#bindRoomId(roomId);

    const open = this.#openSockets().length;
    if (open >= this.#maxConnections()) {
      throw new AppError(503, "room_full", "room is full, retry later", undefined, {
        "retry-after": String(ROOM_FULL_RETRY_AFTER_S),
      });
    }
    const lastSeqParam = new URL(request.url).searchParams.get("lastSeq");
    const lastSeq = lastSeqParam !== null && /^\d{1,15}$/.test(lastSeqParam) ? Number(lastSeqParam) : undefined;

    const now = Date.now();
    const connId = newConnId();
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [`uid:${uid}`, `conn:${connId}`]);
    const att: Attachment = { v: 1, uid, connId, joinedAt: now, lastSeen: now, buckets: {} };
    server.serializeAttachment(att);

    const t = presence.connect(this.#loadPresence(), uid, connId, now);
    this.#applyPresence(t.deltas, now, server);
    this.#sendWelcome(server, att, lastSeq, now);
    await this.#reschedule(now, open + 1);
    return new Response(null, { status: 101, webSocket: client });
  }

  // -------------------------------------------------------------------------------------------
  // Socket events (the runtime calls these, waking the object if it hibernated)

  /** One inbound frame: size check before parse, schema, rate limit, then the handler. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      this.#onMessage(ws, message, Date.now());
    } finally {
      this.#flush();
    }
  }

  /** The peer closed: complete the handshake and start the member's leave (if it was its last tab). */
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // The Hibernation API does not reciprocate a Close frame for us. Reserved codes (1005/1006/1015)
    // mean no Close frame arrived, so there is nothing to answer (and close() would throw).
    if (code !== 1005 && code !== 1006 && code !== 1015) {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
    await this.#onGone(ws);
  }

  /** A transport error: treat as gone. */
  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#onGone(ws);
  }

  async #onGone(ws: WebSocket): Promise<void> {
    try {
      const att = readAttachment(ws);
      if (!att) return;
      const now = Date.now();
      this.#leave(att, now);
      await this.#reschedule(now);
    } finally {
      this.#flush();
    }
  }

  #onMessage(ws: WebSocket, message: string | ArrayBuffer, now: number): void {
    this.#pending.in++;
    const att = readAttachment(ws);
    if (!att) {
      // Not one of ours (cannot happen: every accepted socket gets an attachment first).
      this.#close(ws, 1011, "no connection state");
      return;
    }
    if (typeof message !== "string") {
      this.#pending.drops++;
      this.#drop(ws, att, CLOSE.UNSUPPORTED, "text frames only", now);
      return;
    }
    const decoded = decodeClientFrame(message);
    if (!decoded.ok && decoded.reason === "too_big") {
      this.#pending.drops++;
      this.#drop(ws, att, CLOSE.TOO_BIG, `frame over ${decoded.cap} bytes`, now);
      return;
    }
    att.lastSeen = now;
    if (!decoded.ok) {
      // Malformed frames cost a parse: they spend strikes like throttled ones.
      if (!this.#strike(ws, att, now)) return;
      ws.serializeAttachment(att);
      this.#error(ws, "bad_frame", decoded.message, now, { ref: decoded.ref });
      return;
    }
    const frame = decoded.frame;
    const taken = take(att.buckets[frame.type], scaledLimit(RATE_LIMITS[frame.type], this.#rateLimitScale()), now);
    att.buckets[frame.type] = taken.bucket;
    if (!taken.ok) {
      this.#pending.rateLimited++;
      if (!this.#strike(ws, att, now)) return;
      ws.serializeAttachment(att);
      this.#error(ws, "rate_limited", `too many ${frame.type} frames`, now, { ref: frame.id, retryAfter: taken.retryAfterMs });
      return;
    }
    ws.serializeAttachment(att);
    this.#handle(ws, att, frame, now);
  }

  /** Spends one strike; closes the socket (1008) and returns false when none are left. */
  #strike(ws: WebSocket, att: Attachment, now: number): boolean {
    const s = take(att.strikes, STRIKE_LIMIT, now);
    att.strikes = s.bucket;
    if (s.ok) return true;
    this.#drop(ws, att, CLOSE.POLICY, "too many rejected frames", now);
    return false;
  }

  #handle(ws: WebSocket, att: Attachment, frame: ClientFrame, now: number): void {
    switch (frame.type) {
      case "hello":
      case "resume":
        this.#sendWelcome(ws, att, frame.lastSeq, now);
        return;
      case "ping":
        // A ping that is not byte-exact PING_TEXT (e.g. with an id) reaches us; answer the same way.
        this.#send(ws, PONG_TEXT);
        return;
      case "chat":
        this.#chat(ws, att, frame, now);
        return;
      case "signal":
        this.#signal(ws, att, frame, now);
        return;
      case "presence.update": {
        const t = presence.setMeta(this.#loadPresence(), att.uid, frame.meta);
        this.#applyPresence(t.deltas, now);
        this.#send(ws, JSON.stringify({ type: "ack", at: now, ref: frame.id }));
        return;
      }
      case "history":
        this.#historyPage(ws, frame, now);
        return;
      default:
        assertNever(frame);
    }
  }

  #chat(ws: WebSocket, att: Attachment, frame: Extract<ClientFrame, { type: "chat" }>, now: number): void {
    const sql = this.ctx.storage.sql;
    // A retried send (same client id from the same uid) is acknowledged again, not stored twice.
    const dup = sql
      .exec<{ seq: number }>("SELECT seq FROM history WHERE uid = ? AND client_id = ?", att.uid, frame.id)
      .toArray()[0];
    if (dup) {
      this.#send(ws, JSON.stringify({ type: "ack", at: now, ref: frame.id, seq: dup.seq }));
      return;
    }
    const seq = this.#nextSeq();
    const out = JSON.stringify({
      type: "chat",
      seq,
      at: now,
      id: frame.id,
      from: { uid: att.uid, connId: att.connId },
      text: frame.text,
    });
    sql.exec(
      "INSERT INTO history (seq, kind, uid, client_id, at, frame) VALUES (?, 'chat', ?, ?, ?, ?)",
      seq,
      att.uid,
      frame.id,
      now,
      out,
    );
    this.#broadcast(out, ws);
    this.#send(ws, JSON.stringify({ type: "ack", at: now, ref: frame.id, seq }));
  }

  #signal(ws: WebSocket, att: Attachment, frame: Extract<ClientFrame, { type: "signal" }>, now: number): void {
    // Tag lookup: the runtime indexes sockets by tag, so this touches only the target's socket.
    const target = this.ctx.getWebSockets(`conn:${frame.to}`).find((s) => s.readyState === OPEN);
    if (!target || frame.to === att.connId) {
      this.#error(ws, "unknown_peer", "no open connection with that id in this room", now, { ref: frame.id });
      return;
    }
    const out = {
      type: "signal",
      at: now,
      id: frame.id,
      from: { uid: att.uid, connId: att.connId },
      kind: frame.kind,
      data: frame.data,
    };
    this.#send(target, JSON.stringify(out));
  }

  #historyPage(ws: WebSocket, frame: Extract<ClientFrame, { type: "history" }>, now: number): void {
    const limit = frame.limit ?? WELCOME_HISTORY;
    const rows = this.ctx.storage.sql
      .exec<{ frame: string }>("SELECT frame FROM history WHERE seq < ? ORDER BY seq DESC LIMIT ?", frame.before, limit + 1)
      .toArray();
    const hasMore = rows.length > limit;
    const items = rows
      .slice(0, limit)
      .reverse()
      .map((r) => r.frame);
    this.#send(
      ws,
      `{"type":"history","at":${now},"ref":${JSON.stringify(frame.id)},"items":[${items.join(",")}],"hasMore":${hasMore}}`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Alarm: idle sweep, presence reconciliation, leave grace, history pruning

  /** Runs the sweep; re-arms itself only while there is something left to watch. */
  override async alarm(): Promise<void> {
    try {
      const now = Date.now();
      const live = new Set<string>();
      for (const ws of this.ctx.getWebSockets()) {
        const att = readAttachment(ws);
        if (!att) continue;
        if (ws.readyState !== OPEN) continue; // closing: its close event (or reconciliation below) removes it
        const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
        if (now - Math.max(att.lastSeen, pinged) > SILENT_MS) {
          this.#drop(ws, att, CLOSE.IDLE, "idle timeout", now);
          continue;
        }
        live.add(att.connId);
      }
      // Connections presence still counts but no open socket backs (a deploy restart drops sockets
      // without close events; a half-open socket we just closed) are removed here.
      for (const m of this.#loadPresence().values()) {
        for (const connId of m.conns) {
          if (!live.has(connId)) this.#leave({ uid: m.uid, connId }, now);
        }
      }
      const expired = presence.expire(this.#loadPresence(), now, this.#leaveGrace());
      this.#applyPresence(expired.deltas, now);
      this.#prune(now);
      await this.#reschedule(now, live.size, true);
    } finally {
      this.#flush();
    }
  }

  // -------------------------------------------------------------------------------------------
  // RPC

  /**
   * Delivers a domain event (committed in D1 by the caller) to everyone in the room, once. Pushing
   * the same `eventId` again returns the original seq and sends nothing: callers may retry freely.
   * Event ids are remembered for {@link SEEN_EVENTS_TTL_MS} (and at most {@link SEEN_EVENTS_KEEP}).
   */
  async push(event: PushEvent): Promise<PushResult> {
    try {
      const parsed = PushEvent.safeParse(event);
      if (!parsed.success) return { ok: false, code: "bad_event", message: z.prettifyError(parsed.error) };
      const e = parsed.data;
      const sql = this.ctx.storage.sql;
      const seen = sql.exec<{ seq: number }>("SELECT seq FROM seen_events WHERE event_id = ?", e.eventId).toArray()[0];
      if (seen) return { ok: true, seq: seen.seq, delivered: 0, duplicate: true };
      const now = Date.now();
      const seq = this.#nextSeq();
      const out = JSON.stringify({
        type: "event",
        seq,
        at: now,
        eventId: e.eventId,
        eventType: e.type,
        subject: e.subject,
        data: e.data,
      });
      sql.exec("INSERT INTO history (seq, kind, at, frame) VALUES (?, 'event', ?, ?)", seq, now, out);
      sql.exec("INSERT INTO seen_events (event_id, seq, at) VALUES (?, ?, ?)", e.eventId, seq, now);
      const delivered = this.#broadcast(out);
      // History grows even in an empty room: make sure an alarm will prune it.
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + SWEEP_INTERVAL_MS);
      return { ok: true, seq, delivered, duplicate: false };
    } finally {
      this.#flush();
    }
  }

  /**
   * Right to deletion (`DELETE /api/admin/thinkers/:uid`, src/privacy): takes `uid` out of this
   * room. Its chat messages are deleted from the history, every other retained frame naming it
   * (pushed events) names `tombstone` instead, its open sockets are closed (4410) and it leaves
   * the presence list at once. Idempotent: a second call finds nothing.
   */
  async erase(uid: string, tombstone: string): Promise<EraseResult> {
    try {
      const now = Date.now();
      let closed = 0;
      for (const ws of this.ctx.getWebSockets(`uid:${uid}`)) {
        if (ws.readyState !== OPEN) continue;
        this.#close(ws, CLOSE.ERASED, "erased");
        closed++;
      }
      this.#applyPresence(presence.remove(this.#loadPresence(), uid).deltas, now);
      const sql = this.ctx.storage.sql;
      const changes = () => sql.exec<{ n: number }>("SELECT changes() AS n").one().n;
      sql.exec("DELETE FROM history WHERE kind = 'chat' AND uid = ?", uid);
      const deleted = changes();
      // Frames are JSON: the uid appears as a whole JSON string, so replace exactly that.
      sql.exec(
        "UPDATE history SET frame = replace(frame, ?1, ?2) WHERE instr(frame, ?1) > 0",
        JSON.stringify(uid),
        JSON.stringify(tombstone),
      );
      return { closed, deleted, rewritten: changes() };
    } finally {
      this.#flush();
    }
  }

  /**
   * Right of access (`GET /api/me/export`, src/privacy): the chat messages `uid` wrote that this
   * room still retains, newest first, at most `limit` (the history itself is bounded by
   * {@link HISTORY_KEEP} and {@link HISTORY_TTL_MS}). Reads only.
   */
  async messagesBy(uid: string, limit: number): Promise<WrittenMessages> {
    const n = Math.max(0, Math.min(Math.trunc(limit), HISTORY_KEEP));
    const rows = this.ctx.storage.sql
      .exec<{ seq: number; at: number; client_id: string | null; frame: string }>(
        "SELECT seq, at, client_id, frame FROM history WHERE kind = 'chat' AND uid = ? ORDER BY seq DESC LIMIT ?",
        uid,
        n + 1,
      )
      .toArray();
    const messages = rows.slice(0, n).map((r) => {
      const frame = JSON.parse(r.frame) as { text?: unknown };
      return { seq: r.seq, at: r.at, id: r.client_id, text: typeof frame.text === "string" ? frame.text : "" };
    });
    return { messages, truncated: rows.length > n };
  }

  /** Room counters since the object was created (they survive hibernation and restarts). */
  async stats(): Promise<RoomStats> {
    this.#flush();
    const row = this.ctx.storage.sql
      .exec<{ messages_in: number; messages_out: number; drops: number; rate_limited: number }>(
        "SELECT messages_in, messages_out, drops, rate_limited FROM stats WHERE id = 1",
      )
      .one();
    return {
      connections: this.#openSockets().length,
      messagesIn: row.messages_in,
      messagesOut: row.messages_out,
      drops: row.drops,
      rateLimited: row.rate_limited,
    };
  }

  /** Current members (including those inside their leave grace window, with `conns: []`). */
  async presence(): Promise<Member[]> {
    return presence.members(this.#loadPresence());
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  #sendWelcome(ws: WebSocket, att: Attachment, lastSeq: number | undefined, now: number): void {
    const sql = this.ctx.storage.sql;
    const seq = this.#currentSeq();
    const prunedThrough = Number(sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'pruned_through'").one().value);
    // The gap is complete when nothing after lastSeq was pruned and lastSeq is from this room's log.
    const resumable = lastSeq !== undefined && lastSeq >= prunedThrough && lastSeq <= seq;
    const rows = resumable
      ? sql.exec<{ frame: string }>("SELECT frame FROM history WHERE seq > ? ORDER BY seq", lastSeq).toArray()
      : sql
          .exec<{ frame: string }>(
            // The last N chat messages, and separately the last N pushed events, in seq order: a
            // burst of events never pushes the conversation out of a fresh welcome.
            `SELECT frame FROM (
               SELECT * FROM (SELECT seq, frame FROM history WHERE kind = 'chat' ORDER BY seq DESC LIMIT ?1)
               UNION ALL
               SELECT * FROM (SELECT seq, frame FROM history WHERE kind <> 'chat' ORDER BY seq DESC LIMIT ?1))
             ORDER BY seq`,
            WELCOME_HISTORY,
          )
          .toArray();
    const you = JSON.stringify({ uid: att.uid, connId: att.connId });
    const members = JSON.stringify(presence.members(this.#loadPresence()));
    const discontinuity = lastSeq !== undefined && !resumable ? ',"discontinuity":true' : "";
    // Stored frames are already JSON: splice them in rather than parse and re-serialize.
    const history = rows.map((r) => r.frame).join(",");
    this.#send(
      ws,
      `{"type":"welcome","at":${now},"seq":${seq},"you":${you},"members":${members},"history":[${history}]${discontinuity}}`,
    );
  }

  /** Removes one connection from presence (idempotent) and broadcasts the resulting delta. */
  #leave(att: Pick<Attachment, "uid" | "connId">, now: number): void {
    const t = presence.disconnect(this.#loadPresence(), att.uid, att.connId, now);
    this.#applyPresence(t.deltas, now);
  }

  /** Closes a socket from our side and removes it from presence at once (a half-open peer never answers). */
  #drop(ws: WebSocket, att: Attachment, code: number, reason: string, now: number): void {
    this.#close(ws, code, reason);
    this.#leave(att, now);
  }

  #close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** Persists presence deltas and broadcasts each with its own seq. `except`: the socket being welcomed. */
  #applyPresence(deltas: readonly PresenceDelta[], now: number, except?: WebSocket): void {
    const sql = this.ctx.storage.sql;
    for (const d of deltas) {
      const seq = this.#nextSeq();
      if (d.kind === "leave") {
        sql.exec("DELETE FROM members WHERE uid = ?", d.uid);
        this.#broadcast(JSON.stringify({ type: "presence.leave", seq, at: now, uid: d.uid }), except);
        continue;
      }
      const m = d.member;
      sql.exec(
        `INSERT INTO members (uid, conns, meta, joined_at, leaving_since) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (uid) DO UPDATE SET conns = excluded.conns, meta = excluded.meta,
           joined_at = excluded.joined_at, leaving_since = excluded.leaving_since`,
        m.uid,
        JSON.stringify(m.conns),
        JSON.stringify(m.meta),
        m.joinedAt,
        m.leavingSince,
      );
      this.#broadcast(JSON.stringify({ type: `presence.${d.kind}`, seq, at: now, member: m }), except);
    }
  }

  /** Presence as stored. Read per use (≤ max-connections rows), so nothing can go stale in memory. */
  #loadPresence(): PresenceState {
    const rows = this.ctx.storage.sql.exec<MemberRow>("SELECT uid, conns, meta, joined_at, leaving_since FROM members").toArray();
    return new Map(
      rows.map((r) => [
        r.uid,
        {
          uid: r.uid,
          conns: JSON.parse(r.conns) as string[],
          meta: JSON.parse(r.meta) as PresenceMeta,
          joinedAt: r.joined_at,
          leavingSince: r.leaving_since,
        },
      ]),
    );
  }

  #nextSeq(): number {
    return Number(
      this.ctx.storage.sql.exec<{ value: number }>("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value").one()
        .value,
    );
  }

  #currentSeq(): number {
    return Number(this.ctx.storage.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'seq'").one().value);
  }

  /** Binds this object to its room id on first use; a different id later means a routing bug. */
  #bindRoomId(roomId: string): void {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'room_id'").toArray()[0];
    if (!row) sql.exec("INSERT INTO meta (key, value) VALUES ('room_id', ?)", roomId);
    else if (row.value !== roomId) throw new AppError(400, "wrong_room", "room id does not match this room");
  }

  #maxConnections(): number {
    const n = Number(this.env.ROOM_MAX_CONNECTIONS);
    return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_CONNECTIONS;
  }

  #leaveGrace(): number {
    const n = Number(this.env.ROOM_LEAVE_GRACE_MS);
    return Number.isInteger(n) && n >= 0 ? n : presence.LEAVE_GRACE_MS;
  }

  /** `ROOM_RATE_LIMIT_SCALE`; anything but a finite positive number is treated as 1 by `scaledLimit`. */
  #rateLimitScale(): number {
    return this.env.ROOM_RATE_LIMIT_SCALE === undefined ? 1 : Number(this.env.ROOM_RATE_LIMIT_SCALE);
  }

  #openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === OPEN);
  }

  /** Sends to every open socket but `except`; returns how many were sent. Serializes once (the caller). */
  #broadcast(text: string, except?: WebSocket): number {
    let n = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (ws !== except && this.#send(ws, text)) n++;
    }
    return n;
  }

  #send(ws: WebSocket, text: string): boolean {
    if (ws.readyState !== OPEN) {
      this.#pending.drops++;
      return false;
    }
    try {
      ws.send(text);
      this.#pending.out++;
      return true;
    } catch {
      this.#pending.drops++;
      return false;
    }
  }

  #error(
    ws: WebSocket,
    code: ErrorCode,
    message: string,
    now: number,
    extra: { ref?: string | undefined; retryAfter?: number },
  ): void {
    const frame: Record<string, unknown> = { type: "error", at: now, code, message };
    if (extra.retryAfter !== undefined) frame.retryAfter = extra.retryAfter;
    if (extra.ref !== undefined) frame.ref = extra.ref;
    this.#send(ws, JSON.stringify(frame));
  }

  /** Drops history beyond the last {@link HISTORY_KEEP} entries or older than the TTL, and old event ids. */
  #prune(now: number): void {
    const sql = this.ctx.storage.sql;
    const cutoff = now - HISTORY_TTL_MS;
    const byCount = sql
      .exec<{ seq: number }>("SELECT seq FROM history ORDER BY seq DESC LIMIT 1 OFFSET ?", HISTORY_KEEP)
      .toArray()[0]?.seq;
    const byAge = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM history WHERE at < ?", cutoff).one().seq;
    const through = Math.max(byCount ?? 0, byAge ?? 0);
    if (through > 0) {
      sql.exec("DELETE FROM history WHERE seq <= ?", through);
      sql.exec("UPDATE meta SET value = MAX(value, ?) WHERE key = 'pruned_through'", through);
    }
    sql.exec(
      `DELETE FROM seen_events WHERE at < ?
         OR event_id IN (SELECT event_id FROM seen_events ORDER BY at DESC LIMIT -1 OFFSET ?)`,
      now - SEEN_EVENTS_TTL_MS,
      SEEN_EVENTS_KEEP,
    );
  }

  #historyNeedsPruning(now: number): boolean {
    const row = this.ctx.storage.sql
      .exec<{ n: number; oldest: number | null }>("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM history")
      .one();
    return row.n > HISTORY_KEEP || (row.oldest !== null && row.oldest < now - HISTORY_TTL_MS);
  }

  /**
   * Arms the alarm for the earliest thing to watch: the next sweep while sockets are open, the next
   * pending leave, or pruning. Deletes it when there is nothing (an idle, empty room costs nothing).
   * `fromAlarm`: the current alarm has just fired, so whatever `getAlarm` says is stale.
   */
  async #reschedule(now: number, openSockets?: number, fromAlarm = false): Promise<void> {
    const open = openSockets ?? this.#openSockets().length;
    const candidates: number[] = [];
    if (open > 0) candidates.push(now + SWEEP_INTERVAL_MS);
    const leave = presence.nextExpiry(this.#loadPresence(), this.#leaveGrace());
    if (leave !== null) candidates.push(Math.max(leave, now));
    if (candidates.length === 0 && this.#historyNeedsPruning(now)) candidates.push(now + SWEEP_INTERVAL_MS);
    const storage = this.ctx.storage;
    if (candidates.length === 0) {
      if (fromAlarm || (await storage.getAlarm()) !== null) await storage.deleteAlarm();
      return;
    }
    const next = Math.min(...candidates);
    const current = fromAlarm ? null : await storage.getAlarm();
    // Keep an earlier alarm (it reschedules itself); move a later one forward.
    if (current === null || current > next) await storage.setAlarm(next);
  }

  /** Writes counter increments accumulated by the current entry point (one UPDATE). */
  #flush(): void {
    const p = this.#pending;
    if (p.in === 0 && p.out === 0 && p.drops === 0 && p.rateLimited === 0) return;
    this.ctx.storage.sql.exec(
      `UPDATE stats SET messages_in = messages_in + ?, messages_out = messages_out + ?,
         drops = drops + ?, rate_limited = rate_limited + ? WHERE id = 1`,
      p.in,
      p.out,
      p.drops,
      p.rateLimited,
    );
    this.#pending = { in: 0, out: 0, drops: 0, rateLimited: 0 };
  }
}

/** The attachment of a socket we accepted, or `null` for anything else. */
function readAttachment(ws: WebSocket): Attachment | null {
  const a: unknown = ws.deserializeAttachment();
  if (typeof a !== "object" || a === null) return null;
  const att = a as Partial<Attachment>;
  return att.v === 1 && typeof att.uid === "string" && typeof att.connId === "string" ? (att as Attachment) : null;
}

/** `c` + 16 base-36 characters (≈ 82 bits): unguessable, so a peer id cannot be enumerated. */
function newConnId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = "c";
  for (const b of bytes) s += (b % 36).toString(36);
  return s;
}

function assertNever(x: never): never {
  throw new Error(`unhandled frame ${JSON.stringify(x)}`);
}
