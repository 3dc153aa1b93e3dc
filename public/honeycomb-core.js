// Pure parts of the honeycomb client: reconnect backoff, close/ticket classification,
// URL building, room targets (cells and voucher rooms, ids checked by the server's rule), the
// room-state reducer and the German wording of pushed voucher events. No DOM, no timers, no I/O:
// the page module (honeycomb.js) owns those, and test/unit/honeycomb.test.ts covers these. Frame
// shapes follow src/rooms/protocol.ts; the types are in honeycomb-core.d.ts.

// Close codes, caps and room id rules come from the one source the server uses too.
import { CHAT_FRAME_CAP, CLOSE, MAX_ROOM_ID_LENGTH, PING_TEXT, SUBJECT, VOUCHER_PREFIX } from "./room-protocol.js";

export { CHAT_FRAME_CAP, CLOSE, MAX_ROOM_ID_LENGTH, PING_TEXT };

/** First retry waits random 0–BASE_DELAY_MS; every further attempt doubles the window. */
export const BASE_DELAY_MS = 1000;
/** Upper bound of any reconnect delay. */
export const MAX_DELAY_MS = 30_000;
/** A connection that stayed open this long counts as stable: the next retry starts from attempt 0 again. */
export const STABLE_MS = 10_000;
/** Client heartbeat; the Room's sweep closes sockets silent for > 90 s (close 4408). */
export const PING_INTERVAL_MS = 25_000;
/** Entries kept in the chat log and the event feed (oldest dropped first). */
export const MAX_ENTRIES = 200;

/** Grid rows and columns: cells A-1 … F-6. */
export const ROWS = ["A", "B", "C", "D", "E", "F"];
export const COLS = [1, 2, 3, 4, 5, 6];

/**
 * Delay before reconnect attempt `attempt` (0-based), "full jitter": a uniform draw from
 * `[0, min(MAX_DELAY_MS, BASE_DELAY_MS * 2^attempt))`. Attempt 0 is random 0–1 s, attempt 1
 * 0–2 s, … capped at 30 s from attempt 5 on.
 *
 * @param {number} attempt retries already made since the last stable connection (≥ 0)
 * @param {() => number} [random] uniform in [0, 1), injectable for tests
 * @returns {number} milliseconds, an integer in [0, MAX_DELAY_MS)
 */
export function nextDelay(attempt, random = Math.random) {
  const n = Math.max(0, Math.floor(Number.isFinite(attempt) ? attempt : 0));
  // 2^5 * 1 s already exceeds the cap; clamping the exponent keeps huge attempts finite.
  const window = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(n, 16));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * window);
}

/**
 * The attempt counter after a connection ended: back to 0 when it had been open for at least
 * {@link STABLE_MS} (so the next retry waits 0–1 s again), else unchanged (the page increments it
 * each time it schedules a retry). A connection that never opened counts as unstable.
 *
 * @param {number} attempt retries scheduled since the last stable connection
 * @param {number | null} openedAt epoch ms of the `open` event, or null if it never opened
 * @param {number} closedAt epoch ms of the close / failure
 * @returns {number}
 */
export function attemptAfterClose(attempt, openedAt, closedAt) {
  return openedAt !== null && closedAt - openedAt >= STABLE_MS ? 0 : attempt;
}

/**
 * How the page should react to a WebSocket close code.
 *
 * @param {number} code the CloseEvent code
 * @param {string} [reason] the CloseEvent reason, shown if present
 * @returns {{ message: string, retry: boolean, slow: boolean }} `slow`: wait the full cap (1008,
 *   a repeat rate-limit offender "reconnects slowly, if at all")
 */
export function closeInfo(code, reason = "") {
  const why = reason ? ` (${reason})` : "";
  switch (code) {
    case CLOSE.POLICY:
      return { message: `Vom Raum getrennt: zu viele Nachrichten (1008)${why}`, retry: true, slow: true };
    case CLOSE.TOO_BIG:
      return { message: `Vom Raum getrennt: Nachricht zu groß (1009)${why}`, retry: true, slow: false };
    case CLOSE.IDLE:
      return { message: `Vom Raum getrennt: zu lange still (4408)${why}`, retry: true, slow: false };
    case CLOSE.ERASED:
      return { message: `Vom Raum getrennt: diese Identität wurde gelöscht (4410)${why}`, retry: false, slow: false };
    case CLOSE.UNSUPPORTED:
      return { message: `Vom Raum getrennt: Binärdaten nicht unterstützt (1003)${why}`, retry: true, slow: false };
    case 1000:
    case 1001:
      return { message: `Verbindung beendet (${code})${why}`, retry: true, slow: false };
    default:
      return { message: `Verbindung unterbrochen (${code})${why}`, retry: true, slow: false };
  }
}

/**
 * Delay for a {@link closeInfo} `slow` close: between half the cap and the cap.
 *
 * @param {() => number} [random]
 * @returns {number}
 */
export function slowDelay(random = Math.random) {
  return MAX_DELAY_MS / 2 + Math.floor(nextDelay(16, random) / 2);
}

/**
 * Classifies the HTTP status of `POST /api/rooms/:roomId/ticket`: `ok`; `auth` (401: no or expired
 * session, stop reconnecting and send the user to a signed link); `denied` (400 `bad_room_id`, 403
 * `not_allowed` / `uid_mismatch`, 404 `voucher_not_found`: a new ticket would
 * be refused the same way, so stop and say why, see {@link ticketRefusal}); else `retry` (429, 5xx,
 * …) with backoff.
 *
 * @param {number} status
 * @returns {"ok" | "auth" | "denied" | "retry"}
 */
export function ticketOutcome(status) {
  if (status >= 200 && status < 300) return "ok";
  if (status === 401) return "auth";
  if (status === 400 || status === 403 || status === 404) return "denied";
  return "retry";
}

/**
 * The user-facing (German) reason of a `denied` ticket answer ({@link ticketOutcome}), from the
 * HTTP status and the error body's `code` (src/rooms/access.ts, src/rooms/routes.ts).
 *
 * @param {string} roomId the room the ticket was asked for
 * @param {number} status
 * @param {unknown} code the error body's `code`, if any
 * @returns {string}
 */
export function ticketRefusal(roomId, status, code) {
  const voucherId = roomId.startsWith(VOUCHER_PREFIX) ? roomId.slice(VOUCHER_PREFIX.length) : null;
  switch (code) {
    case "not_allowed":
      if (voucherId !== null) {
        return `Kein Zutritt zum Raum von Gutschein ${voucherId}: nur sein Aussteller und sein aktueller Inhaber dürfen ihn betreten (HTTP ${status}).`;
      }
      return roomId.startsWith("mortgage:")
        ? `Kein Zutritt zu ${roomId}: nur die Beteiligten dieses Hypothekenvorgangs dürfen ihn betreten (HTTP ${status}).`
        : `Kein Zutritt zu ${roomId} (HTTP ${status}).`;
    case "voucher_not_found":
      return `Gutschein ${voucherId ?? roomId} nicht gefunden (HTTP ${status}). Bitte die Gutschein-ID prüfen.`;
    case "bad_room_id":
      return `Ungültige Raum-ID ${roomId} (HTTP ${status}).`;
    default:
      return `Zutritt zu ${roomId} verweigert (HTTP ${status}${typeof code === "string" && code ? `: ${code}` : ""}).`;
  }
}

/** @returns {string[]} the 36 cell names, row-major: A-1, A-2, … F-6 */
export function cellIds() {
  return ROWS.flatMap((r) => COLS.map((c) => `${r}-${c}`));
}

/**
 * The cell named by a URL hash (`#C-4`), or null for no, an unknown or a malformed (`#%E0`) name.
 *
 * @param {string} hash usually `location.hash`
 * @returns {string | null}
 */
export function cellFromHash(hash) {
  let name;
  try {
    name = decodeURIComponent(hash.replace(/^#/, ""));
  } catch {
    return null;
  }
  return cellIds().includes(name) ? name : null;
}

/**
 * @param {string} cell e.g. "A-1"
 * @returns {string} the room id, e.g. "honeycomb:A-1"
 */
export function roomIdForCell(cell) {
  return `honeycomb:${cell}`;
}

// ---------------------------------------------------------------------------------------------
// Voucher rooms and room targets

/** Hash of a voucher room: `#voucher=<id>` (a cell is `#<cell>`). */
const VOUCHER_HASH = "voucher=";

/**
 * @param {string} voucherId
 * @returns {string} the room id, e.g. "voucher:v-123"
 */
export function roomIdForVoucher(voucherId) {
  return `${VOUCHER_PREFIX}${voucherId}`;
}

/**
 * True when `voucher:<id>` is a valid room id by the server's rule (src/rooms/room-id.ts): a
 * non-empty subject of ASCII letters, digits and `_ . -`, the whole id at most 128 characters.
 *
 * @param {unknown} id
 * @returns {boolean}
 */
export function isVoucherId(id) {
  return typeof id === "string" && SUBJECT.test(id) && roomIdForVoucher(id).length <= MAX_ROOM_ID_LENGTH;
}

/**
 * Reads the voucher id typed into the page's form: surrounding whitespace is ignored and a pasted
 * room id (`voucher:<id>`) is accepted too. Invalid input gets a (German) message instead, so it
 * never reaches the server.
 *
 * @param {string} raw
 * @returns {{ ok: true, voucherId: string } | { ok: false, message: string }}
 */
export function parseVoucherInput(raw) {
  let id = String(raw ?? "").trim();
  if (id.startsWith(VOUCHER_PREFIX)) id = id.slice(VOUCHER_PREFIX.length);
  if (id === "") return { ok: false, message: "Bitte eine Gutschein-ID eingeben." };
  if (roomIdForVoucher(id).length > MAX_ROOM_ID_LENGTH) {
    return { ok: false, message: `Gutschein-ID zu lang (höchstens ${MAX_ROOM_ID_LENGTH - VOUCHER_PREFIX.length} Zeichen).` };
  }
  if (!SUBJECT.test(id)) {
    return { ok: false, message: "Ungültige Gutschein-ID: erlaubt sind nur Buchstaben A–Z, a–z, Ziffern und _ . -" };
  }
  return { ok: true, voucherId: id };
}

/**
 * A room the page can join: a honeycomb cell or a voucher's room.
 * @typedef {{ kind: "cell", cell: string, roomId: string } | { kind: "voucher", voucherId: string, roomId: string }} Target
 */

/** @param {string} cell @returns {Target} */
export function cellTarget(cell) {
  return { kind: "cell", cell, roomId: roomIdForCell(cell) };
}

/** @param {string} voucherId @returns {Target} */
export function voucherTarget(voucherId) {
  return { kind: "voucher", voucherId, roomId: roomIdForVoucher(voucherId) };
}

/**
 * The room named by a URL hash: `#C-4` (a cell, see {@link cellFromHash}) or `#voucher=<id>`
 * (a voucher room, id checked by {@link isVoucherId}); null for anything else, malformed
 * percent-encoding included.
 *
 * @param {string} hash usually `location.hash`
 * @returns {Target | null}
 */
export function targetFromHash(hash) {
  const cell = cellFromHash(hash);
  if (cell) return cellTarget(cell);
  let name;
  try {
    name = decodeURIComponent(hash.replace(/^#/, ""));
  } catch {
    return null;
  }
  if (!name.startsWith(VOUCHER_HASH)) return null;
  const id = name.slice(VOUCHER_HASH.length);
  return isVoucherId(id) ? voucherTarget(id) : null;
}

/**
 * The URL hash of a target; {@link targetFromHash} reads it back.
 *
 * @param {Target} target
 * @returns {string} e.g. "#C-4" or "#voucher=v-123"
 */
export function hashForTarget(target) {
  return target.kind === "cell" ? `#${target.cell}` : `#${VOUCHER_HASH}${target.voucherId}`;
}

/**
 * Path of the ticket endpoint; the room id is URL-encoded (`:` → `%3A`).
 *
 * @param {string} roomId
 * @returns {string}
 */
export function ticketPath(roomId) {
  return `/api/rooms/${encodeURIComponent(roomId)}/ticket`;
}

/**
 * WebSocket URL of a room: same origin, `ws:` or `wss:` after the page's scheme, with the ticket
 * and, on a resume, `lastSeq`.
 *
 * @param {{ protocol: string, host: string }} loc usually `location`
 * @param {string} roomId
 * @param {string} ticket
 * @param {number | null} lastSeq the last seq seen, or null on a fresh join
 * @returns {string}
 */
export function wsUrl(loc, roomId, ticket, lastSeq) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ ticket });
  if (lastSeq !== null && lastSeq !== undefined) q.set("lastSeq", String(lastSeq));
  return `${scheme}//${loc.host}/api/rooms/${encodeURIComponent(roomId)}/ws?${q}`;
}

/**
 * The `chat` frame for one of your messages, or null when it would exceed {@link CHAT_FRAME_CAP}.
 * Possible within the input's 16,384 characters (JSON escapes a control character to 6 bytes);
 * such a message must never be queued: every socket it is (re)sent on would be closed with 1009.
 *
 * @param {string} id client message id
 * @param {string} text
 * @returns {string | null}
 */
export function chatFrame(id, text) {
  const frame = JSON.stringify({ type: "chat", id, text });
  return new TextEncoder().encode(frame).length > CHAT_FRAME_CAP ? null : frame;
}

// ---------------------------------------------------------------------------------------------
// Room state

/**
 * The empty view of a room, before any `welcome`.
 *
 * @returns {import("./honeycomb-core.js").RoomState}
 */
export function initialState() {
  return { seq: null, you: null, members: [], chat: [], events: [], reset: false };
}

/**
 * Adds one of your own chat messages, not yet confirmed (an `ack` with `ref === id` confirms it).
 *
 * @param {import("./honeycomb-core.js").RoomState} state
 * @param {{ id: string, text: string, at: number }} msg
 * @returns {import("./honeycomb-core.js").RoomState}
 */
export function addPending(state, msg) {
  const entry = {
    id: msg.id,
    seq: null,
    at: msg.at,
    uid: state.you?.uid ?? "ich",
    text: msg.text,
    mine: true,
    status: "pending",
  };
  return { ...state, reset: false, chat: trim([...state.chat, entry]) };
}

/**
 * Your messages still awaiting an ack, oldest first: what to (re)send after a reconnect. Their
 * `id` makes the resend idempotent on the server.
 *
 * @param {import("./honeycomb-core.js").RoomState} state
 * @returns {{ id: string, text: string }[]}
 */
export function pendingChats(state) {
  return state.chat.filter((m) => m.status === "pending").map((m) => ({ id: m.id, text: m.text }));
}

/**
 * Applies one server frame to the room state; unknown or irrelevant frames return `state`
 * unchanged (same object). Never mutates its input.
 *
 * - `welcome`: replaces `you` and `members`; a fresh join or `discontinuity: true` replaces chat
 *   and events by `history` (your unconfirmed messages are kept, `reset` is set); a resume
 *   appends the replayed entries. A replayed chat with your pending `id` confirms it.
 * - `chat` / `event`: appended unless its `seq` was already seen.
 * - `presence.join` / `presence.update`: upsert the member by uid; `presence.leave`: remove it.
 * - `ack` with `ref` of a pending message: confirms it with its `seq`.
 * - `error` with `ref` of a pending message: marks it failed, except `rate_limited` (kept
 *   pending: the page resends after `retryAfter`).
 *
 * `seq` tracks the highest seq seen (welcome, log frames and acks): the `lastSeq` to resume from.
 *
 * @param {import("./honeycomb-core.js").RoomState} state
 * @param {import("./honeycomb-core.js").ServerFrame} frame
 * @returns {import("./honeycomb-core.js").RoomState}
 */
export function applyFrame(state, frame) {
  if (!frame || typeof frame !== "object") return state;
  switch (frame.type) {
    case "welcome": {
      const fresh = state.seq === null || frame.discontinuity === true;
      let chat = fresh ? state.chat.filter((m) => m.status === "pending") : state.chat;
      let events = fresh ? [] : state.events;
      const you = frame.you;
      for (const entry of frame.history ?? []) {
        if (entry.type === "chat") chat = addChat(chat, entry, you);
        else if (entry.type === "event") events = addEvent(events, entry);
      }
      return {
        seq: maxSeq(fresh ? null : state.seq, frame.seq),
        you,
        members: (frame.members ?? []).map(toMember),
        chat: trim(sortChat(chat)),
        events: trim(events),
        reset: fresh,
      };
    }
    case "chat": {
      const chat = addChat(state.chat, frame, state.you);
      return { ...state, reset: false, seq: maxSeq(state.seq, frame.seq), chat: trim(chat) };
    }
    case "event": {
      const events = addEvent(state.events, frame);
      return { ...state, reset: false, seq: maxSeq(state.seq, frame.seq), events: trim(events) };
    }
    case "presence.join":
    case "presence.update": {
      const m = toMember(frame.member);
      const i = state.members.findIndex((x) => x.uid === m.uid);
      const members = i < 0 ? [...state.members, m] : state.members.map((x, j) => (j === i ? m : x));
      return { ...state, reset: false, seq: maxSeq(state.seq, frame.seq), members };
    }
    case "presence.leave":
      return {
        ...state,
        reset: false,
        seq: maxSeq(state.seq, frame.seq),
        members: state.members.filter((x) => x.uid !== frame.uid),
      };
    case "ack": {
      const i = state.chat.findIndex((m) => m.mine && m.id === frame.ref && m.status === "pending");
      const seq = typeof frame.seq === "number" ? maxSeq(state.seq, frame.seq) : state.seq;
      if (i < 0) return seq === state.seq ? state : { ...state, reset: false, seq };
      const chat = state.chat.map((m, j) =>
        j === i ? { ...m, status: "sent", seq: frame.seq ?? null, at: frame.at ?? m.at, uid: state.you?.uid ?? m.uid } : m,
      );
      return { ...state, reset: false, seq, chat };
    }
    case "error": {
      if (!frame.ref || frame.code === "rate_limited") return state;
      const i = state.chat.findIndex((m) => m.mine && m.id === frame.ref && m.status === "pending");
      if (i < 0) return state;
      const chat = state.chat.map((m, j) => (j === i ? { ...m, status: "failed", error: frame.message } : m));
      return { ...state, reset: false, chat };
    }
    default:
      return state;
  }
}

/** @param {number | null} a @param {unknown} b @returns {number | null} */
function maxSeq(a, b) {
  if (typeof b !== "number") return a;
  return a === null ? b : Math.max(a, b);
}

/** @param {any} m */
function toMember(m) {
  return { uid: String(m.uid), conns: Array.isArray(m.conns) ? m.conns.length : 0, meta: m.meta ?? {} };
}

/**
 * Adds a chat entry from the log; confirms your own pending message with the same id instead of
 * duplicating it; drops a seq already present.
 * @param {any[]} chat @param {any} f @param {{ uid: string, connId: string } | null} you
 */
function addChat(chat, f, you) {
  if (chat.some((m) => m.seq === f.seq)) return chat;
  const mine = you !== null && f.from?.uid === you.uid;
  const i = chat.findIndex((m) => m.mine && m.status === "pending" && m.id === f.id);
  if (i >= 0) return chat.map((m, j) => (j === i ? { ...m, status: "sent", seq: f.seq, at: f.at } : m));
  return [...chat, { id: f.id, seq: f.seq, at: f.at, uid: f.from?.uid ?? "?", text: f.text, mine, status: "sent" }];
}

/** @param {any[]} events @param {any} f */
function addEvent(events, f) {
  if (events.some((e) => e.seq === f.seq || e.eventId === f.eventId)) return events;
  return [...events, { seq: f.seq, at: f.at, eventId: f.eventId, eventType: f.eventType, subject: f.subject, data: f.data }];
}

/** Confirmed messages by seq; pending ones (no seq yet) after them in send order. @param {any[]} chat */
function sortChat(chat) {
  const sent = chat.filter((m) => m.seq !== null).sort((a, b) => a.seq - b.seq);
  return [...sent, ...chat.filter((m) => m.seq === null)];
}

/** @template T @param {T[]} list @returns {T[]} */
function trim(list) {
  return list.length > MAX_ENTRIES ? list.slice(list.length - MAX_ENTRIES) : list;
}

// ---------------------------------------------------------------------------------------------
// Pushed events, for people

/**
 * A slot time in German, e.g. "Mi., 04.06.2025, 14:00"; the input unchanged if it is no date.
 *
 * @param {string} iso an ISO-8601 instant (the API's `slotStart`)
 * @param {string} [timeZone] IANA zone; default: the browser's
 * @returns {string}
 */
export function formatSlot(iso, timeZone) {
  const d = new Date(iso);
  if (typeof iso !== "string" || Number.isNaN(d.getTime())) return String(iso);
  return slotFormat(timeZone).format(d);
}

/** One formatter per zone: the event list re-renders on every frame, and building one is costly. */
const slotFormats = new Map();
/** @param {string | undefined} timeZone @returns {Intl.DateTimeFormat} */
function slotFormat(timeZone) {
  const key = timeZone ?? "";
  let f = slotFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("de-DE", {
      weekday: "short",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      ...(timeZone ? { timeZone } : {}),
    });
    slotFormats.set(key, f);
  }
  return f;
}

/**
 * One labelled detail of an event; `datetime` (the ISO instant) marks a time.
 * @typedef {{ label: string, text: string, datetime?: string }} EventField
 */

/** @param {unknown} v @returns {v is string} */
const str = (v) => typeof v === "string" && v !== "";

/** @param {string} label @param {unknown} iso @param {string | undefined} timeZone @returns {EventField[]} */
const slotField = (label, iso, timeZone) => (str(iso) ? [{ label, text: formatSlot(iso, timeZone), datetime: iso }] : []);
/** @param {string} label @param {unknown} text @returns {EventField[]} */
const textField = (label, text) => (str(text) ? [{ label, text }] : []);

/**
 * A pushed event in readable German: a title for its type and the details that matter (slot time,
 * booking id, …). Voucher events (src/vouchers/actions.ts) get their own wording; any other type
 * keeps its name and subject, and `raw` is set so the page can show its data. Fields of `data`
 * that are not non-empty strings are left out: the data is untrusted and rendered as text only.
 *
 * @param {{ eventType: string, subject: string, data: unknown }} e
 * @param {string} [timeZone] IANA zone of the shown times; default: the browser's
 * @returns {{ title: string, fields: EventField[], raw: boolean }}
 */
export function describeEvent(e, timeZone) {
  const d = /** @type {Record<string, unknown>} */ (e.data !== null && typeof e.data === "object" ? e.data : {});
  const booking = str(d.bookingId) ? d.bookingId : e.subject;
  switch (e.eventType) {
    case "voucher.book":
      return {
        title: "Termin gebucht",
        fields: [
          ...slotField("Termin", d.slotStart, timeZone),
          ...textField("Buchung", booking),
          ...textField("von", d.holderUid),
        ],
        raw: false,
      };
    case "voucher.cancel":
      return {
        title: "Buchung storniert",
        fields: [...textField("Buchung", booking), ...textField("Grund", d.reason)],
        raw: false,
      };
    case "voucher.reschedule":
      return {
        title: "Termin verschoben",
        fields: [
          ...slotField("neuer Termin", d.slotStart, timeZone),
          ...slotField("vorher", d.fromSlotStart, timeZone),
          ...textField("Buchung", booking),
          ...textField("vorherige Buchung", d.fromBookingId),
        ],
        raw: false,
      };
    default:
      return { title: String(e.eventType), fields: textField("Betreff", e.subject), raw: true };
  }
}
