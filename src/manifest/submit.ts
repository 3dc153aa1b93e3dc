/**
 * `POST /api/manifest/submit`: the offline export, upserted in ONE D1 batch.
 *
 * Every valid post goes into a single `INSERT … SELECT … FROM json_each(?) ON CONFLICT DO UPDATE
 * … WHERE …` statement (one bound parameter whatever the post count, so D1's limit of bound
 * parameters per statement never splits a submission). The ON CONFLICT condition is the whole
 * decision, evaluated inside the transaction, so concurrent submissions cannot both win:
 *
 * - same content hash as stored → nothing is written (`unchanged`): a re-submission is a no-op;
 * - `baseVersion` given → changed only while the stored version still equals it (`updated`,
 *   version + 1), else `conflict`;
 * - no `baseVersion` but `updatedAt` → changed only when newer than the stored client time;
 * - neither → the submission wins (the plain offline export carries no versions).
 *
 * The statement RETURNs the rows it inserted or changed; a trailing SELECT in the same batch reads
 * the others, which tells `unchanged` from `conflict`. The `manifest.submit` event is inserted only
 * `WHERE changes() > 0`, so a submission that changed nothing leaves no trace and twenty identical
 * concurrent ones leave exactly one version and one event.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { sha256Hex } from "../core/crypto";
import { newId } from "../db/ids";
import { events, manifestPosts } from "../db/schema";
import type { HandlerContext, HandlerResult } from "../http/route";
import { ManifestPost, type ManifestPostInput, type SubmitBody, type SubmitResult } from "./schemas";

type Result = z.output<typeof SubmitResult>;

/** A valid post, ready for the batch (short keys: they travel as one JSON parameter). */
interface Prepared {
  /** client id */
  c: string;
  /** type */
  t: string;
  /** visibility */
  v: string;
  /** title */
  ti: string | null;
  /** stored body JSON */
  b: string;
  /** content hash */
  h: string;
  /** client updatedAt, epoch ms */
  u: number | null;
  /** baseVersion */
  bv: number | null;
}

/** JSON with object keys sorted at every level: equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The stored body of a post: its content and the optional forum fields. */
export function storedBody(p: ManifestPostInput): Record<string, unknown> {
  return {
    content: p.content ?? p.body ?? "",
    tags: p.tags,
    initials: p.initials,
    createdAt: p.createdAt,
    meta: p.meta,
    reactions: p.reactions,
    comments: p.comments,
    logoUrl: p.logoUrl,
    identity: p.identity,
  };
}

/** SHA-256 of what makes a post's content: type, visibility, title and body (not its source or timestamps of edits). */
export function contentHash(p: ManifestPostInput): Promise<string> {
  return sha256Hex(canonicalJson([p.type, p.visibility, p.title ?? null, storedBody(p)]));
}

/** Handler of `POST /api/manifest/submit`. */
export async function submitManifest(ctx: HandlerContext<z.output<typeof SubmitBody>, undefined>): Promise<HandlerResult> {
  const { body, db, now, caller, requestId } = ctx;
  const author = caller ?? "";
  const results: Result[] = [];
  const prepared: Prepared[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of body.posts.entries()) {
    const parsed = ManifestPost.safeParse(raw);
    const rawId =
      raw && typeof raw === "object" ? ((raw as Record<string, unknown>).clientId ?? (raw as Record<string, unknown>).id) : null;
    if (!parsed.success) {
      results.push({
        index,
        clientId: typeof rawId === "string" ? rawId.slice(0, 80) : null,
        status: "invalid",
        errors: parsed.error.issues.map((i) => `${i.path.join(".") || "(post)"}: ${i.message}`),
      });
      continue;
    }
    const p = parsed.data;
    const clientId = (p.clientId ?? p.id) as string;
    if (seen.has(clientId)) {
      results.push({ index, clientId, status: "invalid", errors: ["clientId: appears more than once in this export"] });
      continue;
    }
    seen.add(clientId);
    prepared.push({
      c: clientId,
      t: p.type,
      v: p.visibility,
      ti: p.title ?? null,
      b: JSON.stringify(storedBody(p)),
      h: await contentHash(p),
      u: p.updatedAt ?? null,
      bv: p.baseVersion ?? null,
    });
    // Placeholder until the batch tells the outcome.
    results.push({ index, clientId, status: "unchanged" });
  }
  if (prepared.length === 0) return { body: { ok: true, results } };

  const posts = JSON.stringify(prepared);
  const ids = JSON.stringify(prepared.map((p) => p.c));
  const base = sql`(SELECT json_extract(j.value, '$.bv') FROM json_each(${posts}) j WHERE json_extract(j.value, '$.c') = excluded.client_id)`;
  const upsert = db
    .insert(manifestPosts)
    // Column order of the table: author, client id, source, type, visibility, title, body, hash,
    // version, client time, created, updated. `WHERE true` lets SQLite parse ON CONFLICT after a SELECT.
    .select(sql`SELECT ${author}, json_extract(value, '$.c'), ${body.source}, json_extract(value, '$.t'),
        json_extract(value, '$.v'), json_extract(value, '$.ti'), json_extract(value, '$.b'), json_extract(value, '$.h'),
        1, json_extract(value, '$.u'), ${now}, ${now}
      FROM json_each(${posts}) WHERE true`)
    .onConflictDoUpdate({
      target: [manifestPosts.authorUid, manifestPosts.clientId],
      set: {
        source: sql`excluded.source`,
        type: sql`excluded.type`,
        visibility: sql`excluded.visibility`,
        title: sql`excluded.title`,
        body: sql`excluded.body`,
        contentHash: sql`excluded.content_hash`,
        version: sql`${manifestPosts.version} + 1`,
        clientUpdatedAt: sql`excluded.client_updated_at`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: sql`${manifestPosts.contentHash} <> excluded.content_hash AND CASE
        WHEN ${base} IS NOT NULL THEN ${manifestPosts.version} = ${base}
        WHEN excluded.client_updated_at IS NOT NULL
          THEN ${manifestPosts.clientUpdatedAt} IS NULL OR ${manifestPosts.clientUpdatedAt} < excluded.client_updated_at
        ELSE 1 END`,
    })
    .returning({ clientId: manifestPosts.clientId, version: manifestPosts.version });
  // One event per submission that changed something; `changes()` is the upsert's row count.
  const event = db.insert(events).select(sql`SELECT ${newId("ev", now)}, 'manifest.submit', ${author}, 'manifest', ${author},
      json_object('source', ${body.source}, 'exportVersion', ${body.version}, 'posts', ${prepared.length}, 'changed', changes()),
      ${requestId}, ${now}
    WHERE changes() > 0`);
  const current = db
    .select({ clientId: manifestPosts.clientId, version: manifestPosts.version, contentHash: manifestPosts.contentHash })
    .from(manifestPosts)
    .where(sql`${manifestPosts.authorUid} = ${author} AND ${manifestPosts.clientId} IN (SELECT value FROM json_each(${ids}))`);

  return ctx.commit([upsert, event, current], (rows) => {
    const changed = new Map((rows[0] as { clientId: string; version: number }[]).map((r) => [r.clientId, r.version]));
    const now_ = new Map((rows[2] as { clientId: string; version: number; contentHash: string }[]).map((r) => [r.clientId, r]));
    const byId = new Map(prepared.map((p) => [p.c, p]));
    for (const r of results) {
      if (r.status === "invalid" || r.clientId === null) continue;
      const p = byId.get(r.clientId);
      const stored = now_.get(r.clientId);
      const version = changed.get(r.clientId);
      if (version !== undefined) {
        r.status = version === 1 ? "created" : "updated";
        r.version = version;
      } else if (stored && p && stored.contentHash === p.h) {
        r.version = stored.version;
      } else {
        r.status = "conflict";
        if (stored) r.version = stored.version;
        if (p?.bv != null) r.baseVersion = p.bv;
      }
    }
    return { body: { ok: true, results } };
  });
}
