// Types of public/honeycomb-core.js (a plain ES module served as-is), for the unit tests.

export { CHAT_FRAME_CAP, CLOSE, MAX_ROOM_ID_LENGTH, PING_TEXT } from "./room-protocol.js";

export declare const BASE_DELAY_MS: number;
export declare const MAX_DELAY_MS: number;
export declare const STABLE_MS: number;
export declare const PING_INTERVAL_MS: number;
export declare const MAX_ENTRIES: number;
export declare const ROWS: readonly string[];
export declare const COLS: readonly number[];

/** A server frame (src/rooms/protocol.ts `ServerFrame`), loosely typed: the reducer ignores what it does not know. */
export interface ServerFrame {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface Sender {
  readonly uid: string;
  readonly connId: string;
}

export interface MemberView {
  readonly uid: string;
  /** Number of open connections (tabs) of this uid. */
  readonly conns: number;
  readonly meta: Readonly<Record<string, string | number | boolean | null>>;
}

export interface ChatView {
  readonly id: string;
  /** Room seq; null while your own message awaits its ack. */
  readonly seq: number | null;
  readonly at: number;
  readonly uid: string;
  readonly text: string;
  readonly mine: boolean;
  readonly status: "pending" | "sent" | "failed";
  readonly error?: string;
}

export interface EventView {
  readonly seq: number;
  readonly at: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly subject: string;
  readonly data: unknown;
}

export interface RoomState {
  /** Highest seq seen: the `lastSeq` of a resume; null before the first welcome. */
  readonly seq: number | null;
  readonly you: Sender | null;
  readonly members: readonly MemberView[];
  readonly chat: readonly ChatView[];
  readonly events: readonly EventView[];
  /** Set by a welcome that replaced the view (fresh join or discontinuity). */
  readonly reset: boolean;
}

export declare function nextDelay(attempt: number, random?: () => number): number;
export declare function attemptAfterClose(attempt: number, openedAt: number | null, closedAt: number): number;
export declare function closeInfo(code: number, reason?: string): { message: string; retry: boolean; slow: boolean };
export declare function slowDelay(random?: () => number): number;
export declare function ticketOutcome(status: number): "ok" | "auth" | "denied" | "retry";
export declare function ticketRefusal(roomId: string, status: number, code: unknown): string;
export declare function cellIds(): string[];
export declare function cellFromHash(hash: string): string | null;
export declare function roomIdForCell(cell: string): string;

/** A room the page can join: a honeycomb cell or a voucher's room. */
export type Target =
  | { readonly kind: "cell"; readonly cell: string; readonly roomId: string }
  | { readonly kind: "voucher"; readonly voucherId: string; readonly roomId: string };
export declare function roomIdForVoucher(voucherId: string): string;
export declare function isVoucherId(id: unknown): id is string;
export declare function parseVoucherInput(raw: string): { ok: true; voucherId: string } | { ok: false; message: string };
export declare function cellTarget(cell: string): Target;
export declare function voucherTarget(voucherId: string): Target;
export declare function targetFromHash(hash: string): Target | null;
export declare function hashForTarget(target: Target): string;
export declare function ticketPath(roomId: string): string;
export declare function wsUrl(
  loc: { protocol: string; host: string },
  roomId: string,
  ticket: string,
  lastSeq: number | null,
): string;
export declare function chatFrame(id: string, text: string): string | null;
export declare function initialState(): RoomState;
export declare function addPending(state: RoomState, msg: { id: string; text: string; at: number }): RoomState;
export declare function pendingChats(state: RoomState): { id: string; text: string }[];
export declare function applyFrame(state: RoomState, frame: ServerFrame): RoomState;

/** One labelled detail of an event; `datetime` (the ISO instant) marks a time. */
export interface EventField {
  readonly label: string;
  readonly text: string;
  readonly datetime?: string;
}
export declare function formatSlot(iso: string, timeZone?: string): string;
export declare function describeEvent(
  e: { readonly eventType: string; readonly subject: string; readonly data: unknown },
  timeZone?: string,
): { title: string; fields: EventField[]; raw: boolean };
