/**
 * Route declarations of the legal hub: upload, list, download, link and unlink documents.
 * Visibility and linking rules are in `./access.ts`; the upload's commit order in `./upload.ts`.
 *
 * @module
 */
import { callerOf } from "../http/authenticate";
import { and, eq, sql } from "drizzle-orm";
import * as z from "zod";
import { abortUnlessChanged, isGuardAbort, isUniqueViolation } from "../db/client";
import { newId } from "../db/ids";
import { afterCursor, newestFirstOrder, pageOf } from "../db/pagination";
import { contractLinks, contracts } from "../db/schema";
import { eventStatement } from "../events/events";
import { conflict, forbidden, notFound } from "../core/errors";
import { type AnyRoute, type HandlerContext, defineRoute } from "../http/route";
import { type Subject, existsSql, partySql, visibleSql } from "./access";
import { serveDocument } from "./download";
import { toDocument, uploadDocument } from "./upload";

const ok = z.literal(true);
const DocumentOut = z.object({
  id: z.string(),
  name: z.string(),
  mimeType: z.string(),
  byteSize: z.number().int(),
  storageUrl: z.string(),
  hashSha256: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  downloadUrl: z.string(),
});
const LinkOut = z.object({
  id: z.string(),
  contractId: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  role: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
});
const ObjectId = z.string().min(1).max(200);
const NOT_FOUND = { document_not_found: "404" };

export const upload = defineRoute({
  id: "contracts.upload",
  method: "POST",
  path: "/api/contracts/upload",
  tag: "legal",
  summary:
    "Upload a document (multipart/form-data: file, voucherId?, roomId?, name?, actorId? = the caller). PDF, PNG, JPEG or UTF-8 text by its bytes; streamed into R2 with its SHA-256.",
  auth: "required",
  access: "write",
  // The file is streamed by the handler, so a repeated key is compared with the body's length
  // (the same form sent again by the same client has the same length; another file, almost
  // surely not). A replay answers the first upload's document without reading the body.
  idempotent: true,
  idempotencyFingerprint: (headers) => `content-length:${headers.get("content-length") ?? "unknown"}`,
  response: z.object({ ok, contract: DocumentOut, linkId: z.string().nullable() }),
  errors: {
    expected_multipart: "400",
    invalid_multipart: "400",
    invalid_encoding: "400 a text field is not UTF-8",
    validation_failed: "400 unknown, repeated or invalid field",
    file_required: "400",
    empty_file: "400",
    file_too_large: "413",
    unsupported_media_type: "415 the bytes are not PDF, PNG, JPEG or UTF-8 text",
    content_type_mismatch: "415",
    link_target_not_found: "404 the named voucher or room does not exist",
    not_allowed: "403 the caller is not a party of the named voucher or room",
    storage_not_configured: "503",
  },
  handler: (ctx) => uploadDocument(ctx),
});

export const list = defineRoute({
  id: "contracts.list",
  method: "GET",
  path: "/api/contracts/list",
  tag: "legal",
  summary: "Documents the caller may see (created, or linked to an object it is a party of), newest first; filters ANDed.",
  auth: "required",
  access: "read",
  query: z
    .object({
      voucherId: ObjectId.optional(),
      roomId: ObjectId.optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().max(200).optional(),
    })
    .strict(),
  response: z.object({ ok, items: z.array(DocumentOut), nextCursor: z.string().nullable() }),
  handler: async (ctx) => {
    const { db, query: q } = ctx;
    const linked = (type: Subject, id: string | undefined) =>
      id === undefined
        ? undefined
        : sql`EXISTS (SELECT 1 FROM contract_links f WHERE f.contract_id = ${contracts.id} AND f.subject_type = ${type} AND f.subject_id = ${id})`;
    const [rows] = await ctx.read([
      db
        .select()
        .from(contracts)
        .where(
          and(
            eq(contracts.status, "stored"),
            visibleSql(callerOf(ctx)),
            linked("voucher", q.voucherId),
            linked("room", q.roomId),
            afterCursor(contracts, q.cursor),
          ),
        )
        .orderBy(...newestFirstOrder(contracts))
        .limit(q.limit + 1),
    ]);
    const page = pageOf(rows, q.limit, (r) => [r.createdAt, r.id]);
    return { body: { ok: true, items: page.items.map(toDocument), nextCursor: page.nextCursor } };
  },
});

export const download = defineRoute({
  id: "contracts.download",
  method: "GET",
  path: "/api/contracts/:id/download",
  tag: "legal",
  summary:
    "The document's bytes, streamed (Content-Type, Content-Length, ETag and Digest = its SHA-256, attachment; single byte ranges → 206).",
  auth: "required",
  access: "read",
  errors: { ...NOT_FOUND, integrity_failed: "409", range_not_satisfiable: "416", storage_not_configured: "503" },
  handler: (ctx) => serveDocument(ctx),
});

/** The stored document `id` if `uid` may see it, else 404 (existence is not revealed). */
async function visibleDocument(ctx: HandlerContext<unknown, unknown>, id: string) {
  const [[row]] = await ctx.read([
    ctx.db
      .select()
      .from(contracts)
      .where(and(eq(contracts.id, id), eq(contracts.status, "stored"), visibleSql(callerOf(ctx)))),
  ]);
  if (!row) throw notFound("document_not_found", "no such document");
  return row;
}

const MORTGAGE_OBJECTS = ["property", "application", "offer", "contract", "tranche"] as const;
const LinkBody = z
  .object({
    voucherId: ObjectId.optional(),
    roomId: ObjectId.optional(),
    mortgage: z
      .object({ object: z.enum(MORTGAGE_OBJECTS), id: ObjectId })
      .strict()
      .optional(),
    role: z.enum(["primary", "annex", "offer", "application"]),
  })
  .strict()
  .refine((b) => [b.voucherId, b.roomId, b.mortgage].filter((x) => x !== undefined).length === 1, {
    message: "name exactly one of voucherId, roomId, mortgage",
  });

function subjectOf(b: z.output<typeof LinkBody>): { type: Subject; id: string } {
  if (b.voucherId !== undefined) return { type: "voucher", id: b.voucherId };
  if (b.roomId !== undefined) return { type: "room", id: b.roomId };
  const m = b.mortgage as { object: (typeof MORTGAGE_OBJECTS)[number]; id: string };
  return { type: `mortgage_${m.object}`, id: m.id };
}

export const link = defineRoute({
  id: "contracts.link",
  method: "POST",
  path: "/api/contracts/:id/links",
  tag: "legal",
  summary:
    "Attach a document to a voucher, a room or a mortgage object (body names exactly one), in a role. The caller must see the document and be a party of the target.",
  auth: "required",
  access: "write",
  body: LinkBody,
  response: z.object({ ok, link: LinkOut }),
  errors: {
    ...NOT_FOUND,
    link_target_not_found: "404",
    not_allowed: "403 the caller is not a party of the target",
    link_exists: "409",
  },
  handler: async (ctx) => {
    const { db, now } = ctx;
    const caller = callerOf(ctx);
    const doc = await visibleDocument(ctx, ctx.params.id ?? "");
    const s = subjectOf(ctx.body);
    const t = sql`${s.type}`;
    const i = sql`${s.id}`;
    const target = await db
      .select({
        exists: sql<number>`${existsSql(t, i)}`.mapWith(Number),
        party: sql<number>`${partySql(t, i, caller)}`.mapWith(Number),
      })
      .from(sql`(SELECT 1)`)
      .get();
    if (!target?.exists) throw notFound("link_target_not_found", `no such ${s.type.replace("_", " ")}`);
    if (!target.party) throw forbidden("not_allowed", "only a party of the target may attach documents to it");
    const linkId = newId("cl", now);
    const out = { id: linkId, contractId: doc.id, subjectType: s.type, subjectId: s.id, role: ctx.body.role, createdBy: caller };
    try {
      return await ctx.commit(
        [
          // Re-checked in the batch: the document still stored, the caller still a party.
          db.insert(contractLinks).select(
            sql`SELECT ${linkId}, ${doc.id}, ${s.type}, ${s.id}, ${ctx.body.role}, ${caller}, ${now}
              WHERE ${partySql(t, i, caller)} AND EXISTS (SELECT 1 FROM contracts WHERE id = ${doc.id} AND status = 'stored')`,
          ),
          abortUnlessChanged(db),
          eventStatement(db, {
            type: "contract.link",
            actorUid: caller,
            subjectType: "contract",
            subjectId: doc.id,
            now,
            requestId: ctx.requestId,
            meta: { linkId, subjectType: s.type, subjectId: s.id, role: ctx.body.role },
          }),
        ],
        { body: { ok: true, link: { ...out, createdAt: new Date(now).toISOString() } } },
      );
    } catch (err) {
      if (isUniqueViolation(err, "contract_links"))
        throw conflict("link_exists", "the document is already linked to this object");
      if (isGuardAbort(err)) throw forbidden("not_allowed", "the document or the target changed while the request ran");
      throw err;
    }
  },
});

export const links = defineRoute({
  id: "contracts.links",
  method: "GET",
  path: "/api/contracts/:id/links",
  tag: "legal",
  summary: "The links of a document the caller may see, oldest first (at most 200: a document has few).",
  auth: "required",
  access: "read",
  response: z.object({ ok, links: z.array(LinkOut) }),
  errors: NOT_FOUND,
  handler: async (ctx) => {
    const doc = await visibleDocument(ctx, ctx.params.id ?? "");
    const [rows] = await ctx.read([
      ctx.db
        .select()
        .from(contractLinks)
        .where(eq(contractLinks.contractId, doc.id))
        .orderBy(contractLinks.createdAt, contractLinks.id)
        .limit(200),
    ]);
    return {
      body: {
        ok: true,
        links: rows.map((l) => ({
          id: l.id,
          contractId: l.contractId,
          subjectType: l.subjectType,
          subjectId: l.subjectId,
          role: l.role,
          createdBy: l.createdBy,
          createdAt: new Date(l.createdAt).toISOString(),
        })),
      },
    };
  },
});

export const unlink = defineRoute({
  id: "contracts.unlink",
  method: "DELETE",
  path: "/api/contracts/:id/links/:linkId",
  tag: "legal",
  summary: "Remove a link. Allowed to the document's creator, the link's creator, and a party of the linked object.",
  auth: "required",
  access: "write",
  response: z.object({ ok, removed: z.string() }),
  errors: {
    ...NOT_FOUND,
    link_not_found: "404",
    not_allowed: "403 the caller is neither creator nor party of the linked object",
  },
  handler: async (ctx) => {
    const { db, now } = ctx;
    const caller = callerOf(ctx);
    const doc = await visibleDocument(ctx, ctx.params.id ?? "");
    const linkId = ctx.params.linkId ?? "";
    const l = await db
      .select({
        createdBy: contractLinks.createdBy,
        subjectType: contractLinks.subjectType,
        subjectId: contractLinks.subjectId,
        party: sql<number>`${partySql(sql`${contractLinks.subjectType}`, sql`${contractLinks.subjectId}`, caller)}`.mapWith(
          Number,
        ),
      })
      .from(contractLinks)
      .where(and(eq(contractLinks.id, linkId), eq(contractLinks.contractId, doc.id)))
      .get();
    if (!l) throw notFound("link_not_found", "no such link on this document");
    if (doc.createdBy !== caller && l.createdBy !== caller && !l.party) {
      throw forbidden(
        "not_allowed",
        "only the document's creator, the link's creator or a party of the linked object may remove it",
      );
    }
    try {
      return await ctx.commit(
        [
          db.delete(contractLinks).where(and(eq(contractLinks.id, linkId), eq(contractLinks.contractId, doc.id))),
          abortUnlessChanged(db),
          eventStatement(db, {
            type: "contract.unlink",
            actorUid: caller,
            subjectType: "contract",
            subjectId: doc.id,
            now,
            requestId: ctx.requestId,
            meta: { linkId, subjectType: l.subjectType, subjectId: l.subjectId },
          }),
        ],
        { body: { ok: true, removed: linkId } },
      );
    } catch (err) {
      if (isGuardAbort(err)) throw notFound("link_not_found", "the link was removed meanwhile");
      throw err;
    }
  },
});

/** Every legal-hub route, for the registry. */
export const legalRoutes: readonly AnyRoute[] = [upload, list, download, links, link, unlink];
