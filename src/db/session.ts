/**
 * D1 read replication through the Sessions API: every request runs its queries in one D1 session,
 * and the client carries the session's bookmark from one request to the next, so it always reads
 * a copy of the database at least as new as everything it has already seen — its own writes
 * included — while reads may be served by a nearby replica.
 *
 * - A **read** request opens its session at the client's bookmark (header `x-d1-bookmark`, else
 *   cookie `ts_bm`), or `first-unconstrained` without one: the first query may go to any replica.
 * - A **write** request opens `first-primary`: writes run on the primary anyway, and the reads a
 *   write makes before its batch (to name a refusal, to claim an idempotency key) see the newest
 *   state. The primary is never behind a bookmark, so ignoring the client's costs nothing.
 * - Every API answer sends the session's latest bookmark back (header and cookie).
 *
 * A bookmark from the client is validated before use: D1 bookmarks are four dash-separated hex
 * groups (`00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683`); anything else is
 * ignored as if absent, never passed to D1 (production D1 rejects a malformed bookmark, which
 * would fail the request; the local simulator accepts anything).
 *
 * Drizzle's D1 driver only calls `prepare` and `batch` on its client, which a session has too, so
 * the request's drizzle client is built on the session (`sessionDb`).
 *
 * @module
 */
import { type Db, createDb } from "./client";

/** Request and response header carrying a D1 bookmark (for clients that keep it themselves). */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/** Cookie carrying the D1 bookmark for browsers (HttpOnly: scripts never need it). */
export const BOOKMARK_COOKIE = "ts_bm";

/**
 * Lifetime of the bookmark cookie, seconds. A bookmark only matters while a replica may still lag
 * behind it (normally well under a second); after that any replica is newer and the session can
 * start unconstrained again. Five minutes covers a slow replica with room to spare.
 */
export const BOOKMARK_COOKIE_MAX_AGE = 300;

/** Shape of a D1 bookmark: four dash-separated groups of hex digits (8-8-8-32). */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/i;

/** What a request does to the database, which decides where its session starts. */
export type Access = "read" | "write";

/** True if `value` has the shape of a D1 bookmark. */
export function isBookmark(value: string | null | undefined): value is string {
  return typeof value === "string" && BOOKMARK.test(value);
}

/**
 * The client's bookmark: the `x-d1-bookmark` header if it holds a valid one, else the `ts_bm`
 * cookie if that does; `null` otherwise. Looks for the one cookie instead of parsing them all.
 */
export function requestBookmark(headers: Headers): string | null {
  const header = headers.get(BOOKMARK_HEADER)?.trim();
  if (isBookmark(header)) return header;
  const cookies = headers.get("cookie");
  if (cookies === null || !cookies.includes(`${BOOKMARK_COOKIE}=`)) return null;
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== BOOKMARK_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (isBookmark(value)) return value;
  }
  return null;
}

/** Where a session for `access` starts, given the client's (validated) bookmark. */
export function sessionStart(access: Access, bookmark: string | null): string {
  if (access === "write") return "first-primary";
  return bookmark ?? "first-unconstrained";
}

/** One request's D1 session and the bookmark the client sent. */
export interface RequestSession {
  /** The D1 session all of the request's queries run in. */
  session: D1DatabaseSession;
  /** The drizzle client over `session`. */
  db: Db;
  /** The client's valid bookmark, or `null`. */
  sent: string | null;
  /** What the session was opened with (a bookmark or a constraint). */
  start: string;
}

/** Opens the request's D1 session on `d1` (see the module comment for where it starts). */
export function openSession(d1: D1Database, headers: Headers, access: Access): RequestSession {
  const sent = requestBookmark(headers);
  const start = sessionStart(access, sent);
  const session = d1.withSession(start);
  return { session, db: sessionDb(session), sent, start };
}

/** A drizzle client whose queries run in `session` (drizzle only calls `prepare` and `batch`). */
export function sessionDb(session: D1DatabaseSession): Db {
  return createDb(session as unknown as D1Database);
}

/**
 * The bookmark to send back: the session's latest one, or the client's own when the request ran
 * no query (so a client never loses its place). `null` only when neither exists.
 */
export function replyBookmark(rs: Pick<RequestSession, "session" | "sent">): string | null {
  const latest = rs.session.getBookmark();
  return isBookmark(latest) ? latest : rs.sent;
}

/** `Set-Cookie` value for the bookmark: HttpOnly, SameSite=Lax, Path=/api, Secure unless on localhost. */
export function bookmarkCookie(bookmark: string, url: URL): string {
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  return `${BOOKMARK_COOKIE}=${bookmark}; Path=/api; Max-Age=${BOOKMARK_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax${local ? "" : "; Secure"}`;
}

/**
 * Adds the bookmark header and cookie to `headers` (a response's, still mutable). The cookie is
 * left out when the bookmark is the one the client sent (a request that ran no query).
 */
export function applyBookmark(headers: Headers, rs: Pick<RequestSession, "session" | "sent">, url: URL): void {
  const bookmark = replyBookmark(rs);
  if (!bookmark) return;
  headers.set(BOOKMARK_HEADER, bookmark);
  if (bookmark !== rs.sent) headers.append("set-cookie", bookmarkCookie(bookmark, url));
}
