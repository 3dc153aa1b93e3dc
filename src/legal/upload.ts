/**
 * `POST /api/contracts/upload`: a streamed multipart upload into R2.
 *
 * Commit order, so that no failure leaves a visible row without its object or an object nobody
 * can find: (1) a `pending` row naming the R2 key, once the bytes are known to be an allowed type
 * and before anything reaches R2; (2) the object, streamed and hashed; (3) one D1 batch turning
 * the row `stored` (compare-and-swap on `pending`) with its hash, size, links and event. A
 * failure after (1) deletes what exists; whatever a crash leaves (a pending row, maybe an object)
 * the sweep removes (`./sweep.ts`). Only `stored` rows are ever listed or served.
 *
 * Two D1 round trips on success (an Idempotency-Key adds its own two: the checks, then the key's
 * claim): the request's pending checks (session still live, write limit)
 * ride with the `pending` row in (1), so they are settled before a byte reaches R2, with no more
 * of the body read than the (capped) parts before the file, its headers and the piece holding its
 * first bytes. A refusal there removes the row again like any failure after (1).
 *
 * @module
 */
import { callerOf } from "../http/authenticate";
import { and, eq, isNull, sql } from "drizzle-orm";
import * as z from "zod";
import { abortUnlessChanged, isGuardAbort } from "../db/client";
import { newId } from "../db/ids";
import { contractLinks, contracts } from "../db/schema";
import { eventStatement } from "../events/events";
import { AppError, badRequest, forbidden, notFound } from "../core/errors";
import type { HandlerContext, HandlerResult } from "../http/route";
import { existsSql, partySql } from "./access";
import { MultipartReader, boundaryOf } from "./multipart";
import { type Stored, fileTooLarge, storeStream } from "./store";

/** Bytes a multipart envelope may add to the file (boundaries, part headers, the small fields). */
const ENVELOPE_BYTES = 64 * 1024;
const FIELD_BYTES = 1024;
/** Bytes a client may send after the closing boundary (browsers send none). */
const EPILOGUE_BYTES = 1024;

const Fields = z
  .object({
    voucherId: z.string().min(1).max(200).optional(),
    roomId: z.string().min(1).max(200).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    actorId: z.string().min(1).max(128).optional(),
  })
  .strict();

/** The bucket, or 503 when it is not bound (checked before the body is read). */
export function bucketOf(env: Env): R2Bucket {
  const bucket = (env as Partial<Env>).CONTRACTS;
  if (!bucket) throw new AppError(503, "storage_not_configured", "the CONTRACTS R2 bucket is not bound");
  return bucket;
}

/** The public shape of a stored document (the original's fields plus `downloadUrl`). */
export function toDocument(row: typeof contracts.$inferSelect) {
  return {
    id: row.id,
    name: row.name,
    mimeType: row.mimeType,
    byteSize: row.byteSize,
    storageUrl: row.r2Key,
    hashSha256: row.hashSha256 ?? "",
    createdBy: row.createdBy,
    createdAt: new Date(row.createdAt).toISOString(),
    downloadUrl: `/api/contracts/${encodeURIComponent(row.id)}/download`,
  };
}

/** The upload handler (see the module comment for the commit order). */
export async function uploadDocument(ctx: HandlerContext<undefined, undefined>): Promise<HandlerResult> {
  const bucket = bucketOf(ctx.env);
  const boundary = boundaryOf(ctx.req.headers.get("content-type"));
  if (!boundary || !ctx.req.body) throw badRequest("expected_multipart", "expected multipart/form-data");
  const max = ctx.config.contractMaxBytes;
  const length = ctx.req.headers.get("content-length");
  const declared = length === null ? Number.NaN : Number(length);
  if (Number.isFinite(declared) && declared > max + ENVELOPE_BYTES) throw fileTooLarge(max);
  const caller = callerOf(ctx);
  const id = newId("ct", ctx.now);
  const mp = new MultipartReader(ctx.req.body, boundary);
  const fields: Record<string, string> = {};
  let stored: Stored | null = null;
  let key: string | null = null;
  let filename = "document";
  try {
    for (let part = await mp.next(); part; part = await mp.next()) {
      if (part.name === "file") {
        if (key !== null || part.filename === null)
          throw badRequest("file_required", "exactly one file part with a file name is required");
        filename = part.filename.slice(0, 200) || "document";
        const r2Key = `contracts/${id}/${encodeURIComponent(filename)}`;
        stored = await storeStream(bucket, r2Key, mp.body(), {
          maxBytes: max,
          declared: part.contentType,
          minBytes: Number.isFinite(declared) ? mp.minBodyBytes(declared, FIELD_BYTES, EPILOGUE_BYTES) : null,
          begin: async (type) => {
            // Set first: should the checks riding in this batch refuse, the row it wrote is removed.
            key = r2Key;
            await ctx.read([
              ctx.db.insert(contracts).values({
                id,
                name: filename,
                mimeType: type,
                byteSize: 0,
                r2Key,
                createdBy: caller,
                status: "pending",
                createdAt: ctx.now,
              }),
            ]);
          },
        });
      } else if (part.name in Fields.shape) {
        if (part.name in fields) throw badRequest("validation_failed", `field ${part.name} is repeated`);
        fields[part.name] = await mp.text(FIELD_BYTES, part.name);
      } else {
        throw badRequest("validation_failed", `unknown field ${part.name}`);
      }
    }
    if (!stored || key === null) throw badRequest("file_required", "file field is required");
    const parsed = Fields.safeParse(fields);
    if (!parsed.success) throw badRequest("validation_failed", parsed.error.issues[0]?.message ?? "invalid field");
    const f = parsed.data;
    // The original's actorId names the uploader: accepted only as the caller itself.
    if (f.actorId !== undefined && f.actorId !== caller) {
      throw forbidden("uid_mismatch", "the uid in the request does not match the verified session");
    }
    const targets: Array<{ type: "voucher" | "room"; id: string; linkId: string }> = [];
    if (f.voucherId) targets.push({ type: "voucher", id: f.voucherId, linkId: newId("cl", ctx.now) });
    if (f.roomId) targets.push({ type: "room", id: f.roomId, linkId: newId("cl", ctx.now) });
    return await commitUpload(ctx, { id, key, stored, name: f.name ?? filename, targets });
  } catch (err) {
    await mp.cancel();
    if (key !== null) await discard(ctx, bucket, id, key);
    throw err;
  }
}

/**
 * Removes a failed upload: the row turns `deleted` (by compare-and-swap on `pending`), then the
 * object goes, then the row. A step that fails leaves a `deleted` row with its key for the sweep,
 * never an object without a row.
 */
async function discard(ctx: HandlerContext<undefined, undefined>, bucket: R2Bucket, id: string, key: string): Promise<void> {
  const { db } = ctx;
  const work = (async () => {
    const mine = await db
      .update(contracts)
      .set({ status: "deleted" })
      .where(and(eq(contracts.id, id), eq(contracts.status, "pending")))
      .returning({ id: contracts.id });
    if (mine.length === 0) return;
    await bucket.delete(key);
    await db.delete(contracts).where(and(eq(contracts.id, id), eq(contracts.status, "deleted"), isNull(contracts.deletedAt)));
  })().catch((err: unknown) => {
    ctx.log("warn", "legal hub: a failed upload is left to the sweep", { contractId: id, error: String(err) });
  });
  ctx.waitUntil?.(work);
  await work;
}

async function commitUpload(
  ctx: HandlerContext<undefined, undefined>,
  u: {
    id: string;
    key: string;
    stored: Stored;
    name: string;
    targets: Array<{ type: "voucher" | "room"; id: string; linkId: string }>;
  },
): Promise<HandlerResult> {
  const { db, now } = ctx;
  const caller = callerOf(ctx);
  // Each named object must exist and have the caller among its parties.
  for (const t of u.targets) {
    const row = await db
      .select({
        exists: sql<number>`${existsSql(sql`${t.type}`, sql`${t.id}`)}`.mapWith(Number),
        party: sql<number>`${partySql(sql`${t.type}`, sql`${t.id}`, caller)}`.mapWith(Number),
      })
      .from(sql`(SELECT 1)`)
      .get();
    if (!row?.exists) throw notFound("link_target_not_found", `no such ${t.type}`);
    if (!row.party) throw forbidden("not_allowed", `only a party of the ${t.type} may attach documents to it`);
  }
  const stmts = [
    db
      .update(contracts)
      .set({
        status: "stored",
        name: u.name,
        byteSize: u.stored.size,
        hashSha256: u.stored.sha256,
        storedAt: now,
        mimeType: u.stored.type,
      })
      .where(and(eq(contracts.id, u.id), eq(contracts.status, "pending"))),
    abortUnlessChanged(db),
    ...u.targets.flatMap((t) => [
      db
        .insert(contractLinks)
        .select(
          sql`SELECT ${t.linkId}, ${u.id}, ${t.type}, ${t.id}, 'primary', ${caller}, ${now} WHERE ${partySql(sql`${t.type}`, sql`${t.id}`, caller)}`,
        ),
      abortUnlessChanged(db),
    ]),
    eventStatement(db, {
      type: "contract.upload",
      actorUid: caller,
      subjectType: "contract",
      subjectId: u.id,
      now,
      requestId: ctx.requestId,
      meta: {
        byteSize: u.stored.size,
        mimeType: u.stored.type,
        sha256: u.stored.sha256,
        links: u.targets.map((t) => `${t.type}:${t.id}`),
      },
    }),
  ];
  const row = {
    id: u.id,
    name: u.name,
    mimeType: u.stored.type,
    byteSize: u.stored.size,
    r2Key: u.key,
    hashSha256: u.stored.sha256,
    createdBy: caller,
    status: "stored" as const,
    createdAt: now,
    storedAt: now,
    deletedAt: null,
  };
  try {
    return await ctx.commit(stmts, {
      body: { ok: true, contract: toDocument(row), linkId: u.targets[0]?.linkId ?? null },
    });
  } catch (err) {
    if (isGuardAbort(err)) throw forbidden("not_allowed", "the upload lost a race (its row or a link target changed); retry");
    throw err;
  }
}
