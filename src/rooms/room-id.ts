/**
 * Room ids: which rooms exist and how their ids are spelled. Pure: no I/O, safe to import from Pages Functions and the
 * Room Durable Object alike. A room id is also the Durable Object name (`ROOMS.getByName(id)`), so
 * every id that reaches the namespace must have passed {@link parseRoomId}.
 *
 * | form                                        | kind        | public |
 * | ------------------------------------------- | ----------- | ------ |
 * | `honeycomb:<cell>`                          | `honeycomb` | yes    |
 * | `wabe:<cell>`                               | `wabe`      | yes    |
 * | `deal:<id>`                                 | `deal`      | yes    |
 * | `room-<pair>-<suffix>` (presence match)     | `pair`      | yes    |
 * | `room-<pairCode>`, `room-<thinker_id>`      | `pair`      | yes    |
 * | `voucher:<voucherId>`                       | `voucher`   | no     |
 * | `mortgage:<object>:<id>`                    | `mortgage`  | no     |
 *
 * `<object>` is one of property, application, offer, contract, tranche. Private rooms admit only
 * the parties of their subject; the Pages Function enforces that before it reaches the DO.
 */
import { MAX_ROOM_ID_LENGTH, SUBJECT } from "../../public/room-protocol.js";

// The length cap and the subject alphabet are shared with the browser (public/room-protocol.js):
// the longest accepted room id in characters (all allowed characters are ASCII, so also bytes).
export { MAX_ROOM_ID_LENGTH };

/** The mortgage objects that have their own room. */
export const MORTGAGE_OBJECTS = ["property", "application", "offer", "contract", "tranche"] as const;
export type MortgageObject = (typeof MORTGAGE_OBJECTS)[number];

/** What a room is about; decides its access rule. */
export type RoomKind = "honeycomb" | "wabe" | "deal" | "pair" | "voucher" | "mortgage";

/** A parsed, valid room id. */
export interface RoomRef {
  /** The full room id as given (it is already canonical: ids are case-sensitive, never rewritten). */
  readonly roomId: string;
  readonly kind: RoomKind;
  /** The subject after the prefix: cell, deal id, voucher id, mortgage object id, or `<pair>-<suffix>`. */
  readonly id: string;
  /** Only for `mortgage:` rooms: which object the id names. */
  readonly object?: MortgageObject;
  /** Public rooms admit any verified uid; private ones only the parties of their subject. */
  readonly public: boolean;
}

// SUBJECT: ASCII letters, digits and `_ . -`. No `:` (it separates the prefix), no `/` `?` `#` `%`
// (the id travels in URL paths), no spaces or control characters.
/**
 * `room-<name>`: the original portal's rooms: a presence match gives
 * `room-<pair_code>-<6 base36>`, the "Live initialisieren" button `room-<pairCode>` or
 * `room-<thinker_id>`. All are public; the name is everything after `room-`.
 */
const PAIR_ROOM = /^room-([A-Za-z0-9_.-]+)$/;

const PUBLIC_PREFIXES: Readonly<Record<string, RoomKind>> = { honeycomb: "honeycomb", wabe: "wabe", deal: "deal" };

/**
 * Parses and validates a room id.
 *
 * @returns the parsed reference, or `null` when the id is not one of the forms above (the caller
 *   answers 400; never guess a room for a malformed id).
 * @example
 * parseRoomId("mortgage:offer:mort-offer-2025-0001")
 * // → { roomId: "mortgage:offer:mort-offer-2025-0001", kind: "mortgage", object: "offer",
 * //     id: "mort-offer-2025-0001", public: false }
 */
export function parseRoomId(raw: string): RoomRef | null {
  if (raw.length === 0 || raw.length > MAX_ROOM_ID_LENGTH) return null;
  const pair = PAIR_ROOM.exec(raw);
  if (pair?.[1]) return { roomId: raw, kind: "pair", id: pair[1], public: true };

  const parts = raw.split(":");
  const [prefix, first, second] = parts;
  if (prefix === undefined || first === undefined) return null;
  if (prefix === "mortgage") {
    if (parts.length !== 3 || second === undefined || !isMortgageObject(first) || !SUBJECT.test(second)) return null;
    return { roomId: raw, kind: "mortgage", object: first, id: second, public: false };
  }
  if (parts.length !== 2 || !SUBJECT.test(first)) return null;
  if (prefix === "voucher") return { roomId: raw, kind: "voucher", id: first, public: false };
  const kind = PUBLIC_PREFIXES[prefix];
  return kind ? { roomId: raw, kind, id: first, public: true } : null;
}

/** True when `raw` is a valid room id (see {@link parseRoomId}). */
export function isRoomId(raw: string): boolean {
  return parseRoomId(raw) !== null;
}

function isMortgageObject(s: string): s is MortgageObject {
  return (MORTGAGE_OBJECTS as readonly string[]).includes(s);
}
