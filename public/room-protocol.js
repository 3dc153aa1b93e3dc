// The room protocol's constants: the one source for the server (src/rooms/protocol.ts and
// room-id.ts import this file) and the browser (honeycomb-core.js imports it as a module), so
// close codes, caps and room id rules cannot drift apart. Plain values only: no imports, no DOM.

/** Close codes the Room uses, so clients can tell "stop" from "slow down" from "retry". */
export const CLOSE = Object.freeze({
  /** Binary frames are not part of the protocol. */
  UNSUPPORTED: 1003,
  /** Repeat rate-limit offender: reconnect slowly, if at all. */
  POLICY: 1008,
  /** Frame over its cap. */
  TOO_BIG: 1009,
  /** Closed by the sweep: nothing heard (message or auto-answered ping) for too long. */
  IDLE: 4408,
  /** The person was erased (right to deletion): do not reconnect. */
  ERASED: 4410,
});

/** No inbound frame may exceed this many UTF-8 bytes (close 1009). */
export const HARD_FRAME_CAP = 64 * 1024;

/** Cap of a `chat` frame, UTF-8 bytes of the raw frame. */
export const CHAT_FRAME_CAP = 64 * 1024;

/** The exact heartbeat text the runtime answers without waking the room. */
export const PING_TEXT = '{"type":"ping"}';

/** Longest room id. */
export const MAX_ROOM_ID_LENGTH = 128;

/** Characters of a room subject (a voucher id, a cell): ASCII letters, digits, `_ . -`. */
export const SUBJECT = /^[A-Za-z0-9_.-]+$/;

/** Room id prefix of a voucher's room: `voucher:<voucherId>`. */
export const VOUCHER_PREFIX = "voucher:";
