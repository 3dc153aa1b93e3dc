/**
 * The presence matching rule, pure (the original's rule, made deterministic). `actions.ts` runs the
 * same rule as SQL inside one D1 batch; `test/api/presence.test.ts` checks the SQL against
 * {@link planMatch} on random session sets.
 *
 * Rule: the candidates of a pair code are the sessions with that pair code, status `online` and
 * `last_seen_at` at most {@link MATCH_WINDOW_MS} before now. With fewer than
 * {@link MIN_CANDIDATES} there is no room. Otherwise all candidates share one room: the room of
 * the earliest candidate (by `created_at`, then `id`) that already holds a room of this pair
 * code, else a new `room-<pair_code>-<6 base36>`.
 *
 * @module
 */

/** How recent a heartbeat must be for its session to be matched. */
export const MATCH_WINDOW_MS = 60_000;
/** Sessions needed for a room. */
export const MIN_CANDIDATES = 2;
/** Length of the random room id suffix (base36). */
export const ROOM_SUFFIX_LENGTH = 6;

/** What matching needs of a `presence_sessions` row. */
export interface SessionView {
  id: string;
  thinkerId: string;
  pairCode: string | null;
  status: "online" | "offline";
  roomId: string | null;
  lastSeenAt: number;
  createdAt: number;
}

/** The outcome of one match call. */
export interface MatchPlan {
  /** The shared room, or null when there are fewer than {@link MIN_CANDIDATES} candidates. */
  roomId: string | null;
  /** Sessions (ids) whose room changes to `roomId`: the ones that join it now. */
  joining: string[];
  /** Number of candidates. */
  candidates: number;
}

/** True if `s` takes part in a match of `pairCode` at `now`. */
export function isCandidate(s: SessionView, pairCode: string, now: number): boolean {
  return s.pairCode === pairCode && s.status === "online" && s.lastSeenAt >= now - MATCH_WINDOW_MS;
}

/**
 * True if `roomId` is a presence room of `pairCode`: `room-<pairCode>-<suffix>` with a suffix
 * without `-`. A session keeps its room when its pair code changes; such a room is never handed
 * to the thinkers of another pair code (pair `a`'s `room-a-x1y2z3` is not pair `a-x1y2z3`'s).
 */
export function isRoomOfPair(roomId: string, pairCode: string): boolean {
  const prefix = `room-${pairCode}-`;
  if (!roomId.startsWith(prefix)) return false;
  const suffix = roomId.slice(prefix.length);
  return suffix.length > 0 && !suffix.includes("-");
}

/** A new room id for `pairCode`: `room-<pairCode>-<6 base36>`. */
export function newPairRoomId(pairCode: string): string {
  let suffix = "";
  while (suffix.length < ROOM_SUFFIX_LENGTH) {
    // Bytes ≥ 252 are skipped so every base36 digit is equally likely.
    for (const b of crypto.getRandomValues(new Uint8Array(16))) if (b < 252) suffix += (b % 36).toString(36);
  }
  return `room-${pairCode}-${suffix.slice(0, ROOM_SUFFIX_LENGTH)}`;
}

/** Order of the candidates: who came first decides a shared room. */
export function byArrival(a: SessionView, b: SessionView): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Plans one match of `pairCode` at `now` over `sessions`; `fresh` is the room id used when no
 * candidate holds a room of this pair code yet.
 */
export function planMatch(sessions: readonly SessionView[], pairCode: string, now: number, fresh: string): MatchPlan {
  const candidates = sessions.filter((s) => isCandidate(s, pairCode, now)).sort(byArrival);
  if (candidates.length < MIN_CANDIDATES) return { roomId: null, joining: [], candidates: candidates.length };
  const held = candidates.find((s) => s.roomId !== null && isRoomOfPair(s.roomId, pairCode));
  const roomId = held?.roomId ?? fresh;
  return { roomId, joining: candidates.filter((s) => s.roomId !== roomId).map((s) => s.id), candidates: candidates.length };
}
