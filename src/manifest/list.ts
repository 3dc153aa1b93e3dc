/**
 * `GET /api/manifest/list`: stored posts, most recently changed first, keyset-paginated over
 * `(updated_at, author_uid, client_id)` (a post's key is its author and client id, so that triple
 * is unique and pages never skip or repeat a post).
 *
 * Who sees what: public posts are listed for everyone, anonymous callers included (the offline
 * forum's "load from API" sends no identity); a private post only for its author.
 *
 * @module
 */
import { type SQL, and, desc, eq, gte, or, sql } from "drizzle-orm";
import type { z } from "zod";
import { badRequest } from "../core/errors";
import { fromBase64Url, toBase64Url } from "../core/crypto";
import { manifestPosts } from "../db/schema";
import type { HandlerContext, HandlerResult } from "../http/route";
import type { ListQuery, PostOut } from "./schemas";

type Row = typeof manifestPosts.$inferSelect;

/** Opaque cursor over `(updated_at, author_uid, client_id)`. */
export function encodePostCursor(row: Pick<Row, "updatedAt" | "authorUid" | "clientId">): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([row.updatedAt, row.authorUid, row.clientId])));
}

function decodePostCursor(cursor: string): [number, string, string] {
  const bytes = fromBase64Url(cursor);
  try {
    const v = bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : null;
    if (Array.isArray(v) && Number.isSafeInteger(v[0]) && typeof v[1] === "string" && typeof v[2] === "string") {
      return [v[0] as number, v[1], v[2]];
    }
  } catch {
    // the 400 below
  }
  throw badRequest("invalid_cursor", "cursor is not valid");
}

function after(cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const [t, a, c] = decodePostCursor(cursor);
  const p = manifestPosts;
  return sql`(${p.updatedAt} < ${t} OR (${p.updatedAt} = ${t} AND (${p.authorUid} < ${a} OR (${p.authorUid} = ${a} AND ${p.clientId} < ${c}))))`;
}

/** A stored post in the list's shape. */
export function toPost(r: Row): z.output<typeof PostOut> {
  const b = JSON.parse(r.body) as {
    content?: string;
    tags?: string[];
    initials?: string;
    createdAt?: number;
    meta?: Record<string, unknown>;
    reactions?: unknown;
    comments?: unknown;
    logoUrl?: string;
    identity?: unknown;
  };
  return {
    clientId: r.clientId,
    authorUid: r.authorUid,
    source: r.source,
    type: r.type,
    visibility: r.visibility,
    title: r.title,
    content: b.content ?? "",
    tags: b.tags ?? [],
    initials: b.initials ?? null,
    meta: b.meta ?? {},
    ...(b.reactions !== undefined ? { reactions: b.reactions } : {}),
    ...(b.comments !== undefined ? { comments: b.comments } : {}),
    ...(b.logoUrl !== undefined ? { logoUrl: b.logoUrl } : {}),
    ...(b.identity !== undefined ? { identity: b.identity } : {}),
    version: r.version,
    // The offline app's own creation time when it sent one: that is when the post was written.
    createdAt: new Date(b.createdAt ?? r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}

/** Handler of `GET /api/manifest/list`. */
export async function listManifest(ctx: HandlerContext<undefined, z.output<typeof ListQuery>>): Promise<HandlerResult> {
  const { query: q, db, caller } = ctx;
  const p = manifestPosts;
  const visible = caller ? or(eq(p.visibility, "public"), eq(p.authorUid, caller)) : eq(p.visibility, "public");
  const where = and(
    visible,
    q.author ? eq(p.authorUid, q.author) : undefined,
    q.type ? eq(p.type, q.type) : undefined,
    q.since !== undefined ? gte(p.updatedAt, q.since) : undefined,
    after(q.cursor),
  );
  const [rows] = await ctx.read([
    db
      .select()
      .from(p)
      .where(where)
      .orderBy(desc(p.updatedAt), desc(p.authorUid), desc(p.clientId))
      .limit(q.limit + 1),
  ]);
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  const nextCursor = rows.length > q.limit && last ? encodePostCursor(last) : null;
  return { body: { ok: true, posts: items.map(toPost), nextCursor } };
}
