/**
 * The room WebSocket protocol, pure: frame schemas, size caps, rate limits and the
 * inbound pipeline `raw string → size check → JSON.parse → schema`. Imported by the Room DO, and by
 * clients/tests that want the types.
 *
 * Envelope: every frame is one JSON object with `type`. Client frames carry `id`, a client message
 * id (echoed as `ref` in `ack`/`error`, and the dedupe key of `chat`). Server frames carry `at`
 * (epoch ms) and, when they belong to the room's ordered log, `seq`: one counter per room, shared
 * by chat, pushed events and presence deltas, strictly increasing but not contiguous per client
 * (signals and acks take none). A client resumes by sending the last `seq` it saw.
 */
import * as z from "zod";
import { CHAT_FRAME_CAP, CLOSE, HARD_FRAME_CAP, PING_TEXT } from "../../public/room-protocol.js";

// Shared with the browser client: one source for both (see public/room-protocol.js).
export { CLOSE, HARD_FRAME_CAP, PING_TEXT };

// ---------------------------------------------------------------------------------------------
// Limits

/** Per-type caps, UTF-8 bytes of the raw frame. ICE candidates (`signal` kind `ice`) get {@link ICE_CAP}. */
export const FRAME_CAPS: Readonly<Record<ClientFrameType, number>> = {
  hello: 1024,
  resume: 1024,
  ping: 1024,
  history: 1024,
  chat: CHAT_FRAME_CAP,
  signal: 64 * 1024,
  "presence.update": 4 * 1024,
};
/** Cap of a `signal` frame of kind `ice`: candidates are a few hundred bytes. */
export const ICE_CAP = 4 * 1024;
/** Cap of `presence.update.meta`, UTF-8 bytes of its JSON. */
export const META_CAP = 512;
/** Cap of a pushed event's `data`, UTF-8 bytes of its JSON (it is fanned out and stored). */
export const EVENT_DATA_CAP = 32 * 1024;

/** A rate limit: sustained tokens per second and burst. */
export interface Limit {
  readonly perSecond: number;
  readonly burst: number;
}

/** Per-connection token-bucket limits by client frame type (G7). Auto-answered pings never count. */
export const RATE_LIMITS: Readonly<Record<ClientFrameType, Limit>> = {
  hello: { perSecond: 1, burst: 5 },
  resume: { perSecond: 1, burst: 5 },
  ping: { perSecond: 1, burst: 10 },
  history: { perSecond: 2, burst: 10 },
  chat: { perSecond: 5, burst: 20 },
  // A WebRTC negotiation trickles dozens of ICE candidates within a second.
  signal: { perSecond: 50, burst: 200 },
  "presence.update": { perSecond: 2, burst: 10 },
};
/**
 * `limit` with `perSecond` and `burst` multiplied by `scale` (the backend Worker's
 * `ROOM_RATE_LIMIT_SCALE`, default 1). A scale that is not a finite positive number means 1, so a
 * typo in the var can never switch the limiter off or make it refuse everything.
 */
export function scaledLimit(limit: Limit, scale: number): Limit {
  if (!Number.isFinite(scale) || scale <= 0 || scale === 1) return limit;
  return { perSecond: limit.perSecond * scale, burst: limit.burst * scale };
}
/**
 * Throttled frames a connection may send before it is closed with 1008: a bucket of "strikes"
 * (10 at once, then one per 5 s). A client that honours `retryAfter` never runs out.
 */
export const STRIKE_LIMIT: Limit = { perSecond: 0.2, burst: 10 };

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** Client message id: the client's own handle for acks, errors and dedupe. */
export const ClientId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits and _ . : - only");
/** Server-assigned connection id (`c` + 16 base-36 chars, see the Room). */
export const ConnId = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9]+$/, "a connection id from welcome or presence");
/** Room sequence number. */
export const Seq = z.int().min(0);

/** A presence metadata value: scalars only. */
export const MetaValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** Members' metadata: a flat JSON object of scalars, ≤ {@link META_CAP} bytes serialized. */
export const PresenceMeta = z
  .record(z.string().max(64), MetaValue)
  .refine((m) => utf8Length(JSON.stringify(m)) <= META_CAP, `meta must be at most ${META_CAP} bytes of JSON`);

/** WebRTC signal kinds relayed between two peers. */
export const SignalKind = z.enum(["offer", "answer", "ice", "bye"]);

// ---------------------------------------------------------------------------------------------
// Client → server

/** First frame after connecting (optional): `lastSeq` asks for a resume from that point. */
export const Hello = z.strictObject({ type: z.literal("hello"), id: ClientId.optional(), lastSeq: Seq.optional() });
/** Resume after a reconnect: replay everything after `lastSeq` if still retained. */
export const Resume = z.strictObject({ type: z.literal("resume"), id: ClientId.optional(), lastSeq: Seq });
/** Liveness ping. The exact text `{"type":"ping"}` is answered by the runtime without waking the room. */
export const Ping = z.strictObject({ type: z.literal("ping"), id: ClientId.optional() });
/** Chat message to everyone in the room; stored in history. `id` makes retries idempotent. */
export const Chat = z.strictObject({ type: z.literal("chat"), id: ClientId, text: z.string().min(1).max(16_384) });
/** WebRTC signal to exactly one connection (`to`, a server connection id). Never stored. */
export const Signal = z.strictObject({ type: z.literal("signal"), id: ClientId, to: ConnId, kind: SignalKind, data: z.json() });
/** Replaces the sender's presence metadata (per user, shared by all its tabs). */
export const PresenceUpdate = z.strictObject({ type: z.literal("presence.update"), id: ClientId, meta: PresenceMeta });
/** Pages older history: entries with `seq < before`, newest first, at most `limit` (≤ 100, default 50). */
export const HistoryRequest = z.strictObject({
  type: z.literal("history"),
  id: ClientId,
  before: Seq,
  limit: z.int().min(1).max(100).optional(),
});

/** Every frame a client may send. */
export const ClientFrame = z.discriminatedUnion("type", [Hello, Resume, Ping, Chat, Signal, PresenceUpdate, HistoryRequest]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame["type"];

// ---------------------------------------------------------------------------------------------
// Server → client

/** Who sent a frame: the verified uid and the connection it came from. */
export const Sender = z.strictObject({ uid: z.string(), connId: ConnId });
export const Member = z.strictObject({
  uid: z.string(),
  conns: z.array(ConnId),
  meta: z.record(z.string(), MetaValue),
  joinedAt: z.int(),
  leavingSince: z.int().nullable(),
});

export const ChatOut = z.strictObject({
  type: z.literal("chat"),
  seq: Seq,
  at: z.int(),
  id: ClientId,
  from: Sender,
  text: z.string(),
});
/**
 * A domain event pushed by the HTTP API (`Room.push`). The envelope's `type` is `"event"`, so the
 * event's own type travels as `eventType`.
 */
export const EventOut = z.strictObject({
  type: z.literal("event"),
  seq: Seq,
  at: z.int(),
  eventId: z.string(),
  eventType: z.string(),
  subject: z.string(),
  data: z.json(),
});
/** What history holds and replays: chat messages and pushed events, in `seq` order. */
export const HistoryEntry = z.discriminatedUnion("type", [ChatOut, EventOut]);

export const ServerFrame = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("welcome"),
    at: z.int(),
    /** The room's current seq: resume from here. */
    seq: Seq,
    you: Sender,
    members: z.array(Member),
    /** Fresh join: the last 50 entries. Resume: every entry after `lastSeq`. Oldest first. */
    history: z.array(HistoryEntry),
    /** Set when a resume asked for a gap that is no longer retained: treat this as a fresh snapshot. */
    discontinuity: z.literal(true).optional(),
  }),
  ChatOut,
  EventOut,
  z.strictObject({ type: z.literal("signal"), at: z.int(), id: ClientId, from: Sender, kind: SignalKind, data: z.json() }),
  z.strictObject({ type: z.literal("presence.join"), seq: Seq, at: z.int(), member: Member }),
  z.strictObject({ type: z.literal("presence.update"), seq: Seq, at: z.int(), member: Member }),
  z.strictObject({ type: z.literal("presence.leave"), seq: Seq, at: z.int(), uid: z.string() }),
  z.strictObject({
    type: z.literal("history"),
    at: z.int(),
    ref: ClientId,
    items: z.array(HistoryEntry),
    /** More entries exist before the oldest one returned. */
    hasMore: z.boolean(),
  }),
  z.strictObject({
    type: z.literal("error"),
    at: z.int(),
    code: z.enum(["bad_frame", "rate_limited", "unknown_peer", "internal"]),
    message: z.string(),
    /** For `rate_limited`: milliseconds until the same frame type is accepted again. */
    retryAfter: z.int().optional(),
    /** The client message id the error is about, when known. */
    ref: z.string().optional(),
  }),
  /** Receipt of a client frame; for `chat` it carries the message's `seq`. */
  z.strictObject({ type: z.literal("ack"), at: z.int(), ref: ClientId, seq: Seq.optional() }),
  z.strictObject({ type: z.literal("pong") }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ErrorCode = Extract<ServerFrame, { type: "error" }>["code"];

/** Input of the `push` RPC: a domain event committed in D1, with its id for idempotency. */
export const PushEvent = z.strictObject({
  eventId: z.string().min(1).max(128),
  type: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z][a-z0-9_.-]*$/, "lower-case dotted event type, e.g. voucher.book"),
  subject: z.string().min(1).max(128),
  data: z.json().refine((d) => utf8Length(JSON.stringify(d)) <= EVENT_DATA_CAP, `data must be at most ${EVENT_DATA_CAP} bytes`),
});
export type PushEvent = z.infer<typeof PushEvent>;

/** The auto-response pair: answered by the runtime, so a heartbeat never wakes a hibernated room. */

export const PONG_TEXT = '{"type":"pong"}';

// ---------------------------------------------------------------------------------------------
// Inbound pipeline

/** Result of {@link decodeClientFrame}. */
export type Decoded =
  | { readonly ok: true; readonly frame: ClientFrame; readonly bytes: number }
  | { readonly ok: false; readonly reason: "too_big"; readonly cap: number; readonly bytes: number }
  | { readonly ok: false; readonly reason: "malformed"; readonly message: string; readonly ref?: string };

/**
 * Decodes one inbound text frame. Size is checked on the raw string BEFORE `JSON.parse`, so a
 * hostile frame never costs a parse: the cap of the frame's type (and, for a `signal`, of its
 * `kind`: 4 KiB for `ice`) when those keys can be read off the frame's head as top-level keys —
 * always for frames our clients write — else the 64 KiB hard cap. Whatever the peek said, the
 * parsed frame's own cap is enforced right after (a frame cannot talk its way to a larger cap).
 */
export function decodeClientFrame(raw: string): Decoded {
  const peeked = peekType(raw);
  const preCap =
    peeked === undefined
      ? HARD_FRAME_CAP
      : peeked === "signal" && peekKey(raw, KIND_KEY) === "ice"
        ? ICE_CAP
        : FRAME_CAPS[peeked];
  const bytes = utf8LengthUpTo(raw, preCap);
  if (bytes > preCap) return { ok: false, reason: "too_big", cap: preCap, bytes };

  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "malformed", message: "frame is not valid JSON" };
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success) {
    const ref = refOf(json);
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { ok: false, reason: "malformed", message: `${where}${issue?.message ?? "invalid frame"}`, ...(ref ? { ref } : {}) };
  }
  const frame = parsed.data;
  const cap = capOf(frame);
  if (bytes > cap) return { ok: false, reason: "too_big", cap, bytes };
  return { ok: true, frame, bytes };
}

/** The size cap that applies to a parsed frame. */
export function capOf(frame: ClientFrame): number {
  return frame.type === "signal" && frame.kind === "ice" ? ICE_CAP : FRAME_CAPS[frame.type];
}

/** How much of a frame's head the peeks look at: top-level keys our clients write before any value. */
const PEEK_HEAD = 256;
const TYPE_KEY = /[{,]\s*"type"\s*:\s*"([a-z.]{1,32})"/;
const KIND_KEY = /[{,]\s*"kind"\s*:\s*"([a-z]{1,16})"/;

/**
 * The value of a top-level string key in the first {@link PEEK_HEAD} characters of an object
 * frame, or undefined. Sound without parsing: the match only counts when nothing before it can
 * open a nested value (`{`, `[`) or hide one in a string (`\`) — a quote inside a JSON string is
 * escaped, so `,"type":` cannot appear there unescaped.
 */
function peekKey(raw: string, key: RegExp): string | undefined {
  const head = raw.slice(0, PEEK_HEAD);
  const open = head.search(/\S/);
  if (open < 0 || head[open] !== "{") return undefined;
  const m = key.exec(head);
  if (!m || /[{[\\]/.test(head.slice(open + 1, m.index))) return undefined;
  return m[1];
}

/** The frame's type if it is a top-level key near the start and a known type (cheap: the head only). */
export function peekType(raw: string): ClientFrameType | undefined {
  const t = peekKey(raw, TYPE_KEY);
  return t !== undefined && Object.hasOwn(FRAME_CAPS, t) ? (t as ClientFrameType) : undefined;
}

/** UTF-8 byte length of `s` (lone surrogates count as the 3-byte replacement character). */
export function utf8Length(s: string): number {
  return utf8LengthUpTo(s, Number.POSITIVE_INFINITY);
}

/**
 * UTF-8 byte length of `s`, exact up to `limit`; stops counting once past it (then returns a value
 * > `limit`). A string longer than `limit` UTF-16 units is over without a scan (bytes ≥ units).
 */
export function utf8LengthUpTo(s: string, limit: number): number {
  return s.length > limit ? s.length : countUtf8(s, limit);
}

function countUtf8(s: string, limit: number): number {
  let n = 0;
  for (let i = 0; i < s.length && n <= limit; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function refOf(json: unknown): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const id = (json as { id?: unknown }).id;
  return ClientId.safeParse(id).success ? (id as string) : undefined;
}
