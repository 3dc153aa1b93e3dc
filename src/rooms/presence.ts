/**
 * Room presence, pure. Members are per uid, not per socket: several tabs of one uid are one member
 * whose `conns` lists its connection ids. When a member's last connection goes, it is not removed at
 * once: `leavingSince` is set and the leave is emitted only after a grace window, so a page reload
 * does not flap join/leave. The window is expressed as timestamps; the Room's alarm calls
 * {@link expire} (no timers, so the DO can hibernate meanwhile).
 *
 * Every function returns a new state and the deltas to broadcast; none mutates its input.
 */

/** Default leave grace window, ms. */
export const LEAVE_GRACE_MS = 10_000;

/** A value in presence metadata: scalars only, which keeps `meta` small and its type RPC-friendly. */
export type MetaValue = string | number | boolean | null;

/**
 * Flat JSON metadata a member publishes about itself (display name, cell, mic state...), ≤ 512
 * bytes serialized. Flat on purpose: presence is not a document store, and a recursive JSON type
 * sends TypeScript's DO RPC typing into infinite instantiation.
 */
export type PresenceMeta = { [key: string]: MetaValue };

/** One present user. */
export interface Member {
  readonly uid: string;
  /** Open connection ids of this uid (server-assigned), oldest first. Empty while leaving. */
  readonly conns: readonly string[];
  readonly meta: PresenceMeta;
  /** When the member (re)joined, epoch ms. */
  readonly joinedAt: number;
  /** When the last connection closed, epoch ms; `null` while connected. */
  readonly leavingSince: number | null;
}

/** Members by uid. */
export type PresenceState = ReadonlyMap<string, Member>;

/**
 * A change to broadcast. `join` and `leave` are membership changes; `update` is any other change of
 * one member (meta, or its set of connections) and is always one event, never leave + join.
 */
export type PresenceDelta =
  | { readonly kind: "join"; readonly member: Member }
  | { readonly kind: "update"; readonly member: Member }
  | { readonly kind: "leave"; readonly uid: string };

/** Result of a presence transition: the next state and the deltas to broadcast, in order. */
export interface Transition {
  readonly state: PresenceState;
  readonly deltas: readonly PresenceDelta[];
}

/** An empty room. */
export const EMPTY: PresenceState = new Map();

/**
 * A connection of `uid` opened. A uid that is new (or whose leave was already emitted) joins; a
 * member still inside its grace window, or with other tabs open, gets an `update` instead.
 */
export function connect(state: PresenceState, uid: string, connId: string, now: number): Transition {
  const current = state.get(uid);
  if (!current) {
    const member: Member = { uid, conns: [connId], meta: {}, joinedAt: now, leavingSince: null };
    return { state: withMember(state, member), deltas: [{ kind: "join", member }] };
  }
  if (current.conns.includes(connId)) return { state, deltas: [] };
  const member: Member = { ...current, conns: [...current.conns, connId], leavingSince: null };
  return { state: withMember(state, member), deltas: [{ kind: "update", member }] };
}

/**
 * A connection closed. Idempotent: an unknown connection id changes nothing (the close handler and
 * the sweep may both report the same socket). The last connection starts the grace window.
 */
export function disconnect(state: PresenceState, uid: string, connId: string, now: number): Transition {
  const current = state.get(uid);
  if (!current?.conns.includes(connId)) return { state, deltas: [] };
  const conns = current.conns.filter((c) => c !== connId);
  const member: Member = { ...current, conns, leavingSince: conns.length === 0 ? now : null };
  return { state: withMember(state, member), deltas: [{ kind: "update", member }] };
}

/** A member replaced its metadata. Unknown uids (no open connection) change nothing. */
export function setMeta(state: PresenceState, uid: string, meta: PresenceMeta): Transition {
  const current = state.get(uid);
  if (!current) return { state, deltas: [] };
  const member: Member = { ...current, meta };
  return { state: withMember(state, member), deltas: [{ kind: "update", member }] };
}

/**
 * Removes `uid` at once, without a grace window (right to deletion: the person's sockets were
 * just closed by the server and must not stay listed). Unknown uids change nothing.
 */
export function remove(state: PresenceState, uid: string): Transition {
  if (!state.has(uid)) return { state, deltas: [] };
  const next = new Map(state);
  next.delete(uid);
  return { state: next, deltas: [{ kind: "leave", uid }] };
}

/** Removes members whose grace window has passed at `now` and emits their leaves (oldest first). */
export function expire(state: PresenceState, now: number, graceMs: number = LEAVE_GRACE_MS): Transition {
  const gone = [...state.values()]
    .filter((m) => m.leavingSince !== null && m.leavingSince + graceMs <= now)
    .sort((a, b) => (a.leavingSince ?? 0) - (b.leavingSince ?? 0));
  if (gone.length === 0) return { state, deltas: [] };
  const next = new Map(state);
  for (const m of gone) next.delete(m.uid);
  return { state: next, deltas: gone.map((m) => ({ kind: "leave", uid: m.uid }) as const) };
}

/** When the next pending leave is due (epoch ms), or `null` when nobody is leaving. */
export function nextExpiry(state: PresenceState, graceMs: number = LEAVE_GRACE_MS): number | null {
  let next: number | null = null;
  for (const m of state.values()) {
    if (m.leavingSince !== null && (next === null || m.leavingSince + graceMs < next)) next = m.leavingSince + graceMs;
  }
  return next;
}

/** Members as a list, in join order (what `welcome` and the `presence()` RPC return). */
export function members(state: PresenceState): Member[] {
  return [...state.values()].sort((a, b) => a.joinedAt - b.joinedAt || (a.uid < b.uid ? -1 : 1));
}

function withMember(state: PresenceState, member: Member): PresenceState {
  const next = new Map(state);
  next.set(member.uid, member);
  return next;
}
