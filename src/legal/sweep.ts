/**
 * The legal hub's share of the 5-minute sweep: no R2 object outlives its document.
 *
 * - An upload still `pending` after {@link PENDING_TTL_MS} died mid-way (client gone, isolate
 *   killed): its row turns `deleted` by compare-and-swap on `pending`, so an upload that finishes
 *   just now either commits first (and is left alone) or finds its row gone and discards itself.
 * - A `deleted` row whose `deleted_at` is still NULL has an object to remove (an abandoned upload,
 *   or a document erased with its uploader): the object is deleted, then the row is removed when
 *   it never held a document (`stored_at` NULL) or stamped with `deleted_at` when it did.
 *
 * Every object is written only after its row exists (`./upload.ts`), so walking rows finds every
 * object; nothing needs to list the bucket. Multipart uploads that never completed are dropped by
 * R2 itself (incomplete uploads are aborted after 7 days by the bucket's default lifecycle rule).
 *
 * @module
 */
import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { contracts } from "../db/schema";

/** An upload still pending this long after it started is abandoned (a 20 MiB upload takes seconds). */
export const PENDING_TTL_MS = 60 * 60 * 1000;
/** Rows handled per run; the next run continues. */
export const SWEEP_BATCH = 200;

/** What one run did. */
export interface DocumentSweep {
  abandoned: number;
  objectsRemoved: number;
  rowsRemoved: number;
}

/** Runs the legal-hub sweep at `now` (the cron's scheduled time). */
export async function sweepDocuments(db: Db, bucket: R2Bucket, now: number): Promise<DocumentSweep> {
  const abandoned = await db
    .update(contracts)
    .set({ status: "deleted" })
    .where(
      and(
        eq(contracts.status, "pending"),
        lt(contracts.createdAt, now - PENDING_TTL_MS),
        inArray(
          contracts.id,
          db
            .select({ id: contracts.id })
            .from(contracts)
            .where(and(eq(contracts.status, "pending"), lt(contracts.createdAt, now - PENDING_TTL_MS)))
            .limit(SWEEP_BATCH),
        ),
      ),
    )
    .returning({ id: contracts.id });
  const due = await db
    .select({ id: contracts.id, key: contracts.r2Key, storedAt: contracts.storedAt })
    .from(contracts)
    .where(and(eq(contracts.status, "deleted"), isNull(contracts.deletedAt)))
    .limit(SWEEP_BATCH);
  if (due.length === 0) return { abandoned: abandoned.length, objectsRemoved: 0, rowsRemoved: 0 };
  // Objects first: a row is only let go once its object is gone (a failure here leaves both for the next run).
  await bucket.delete(due.map((d) => d.key));
  const never = due.filter((d) => d.storedAt === null).map((d) => d.id);
  const were = due.filter((d) => d.storedAt !== null).map((d) => d.id);
  const gone = (ids: string[]) => and(inArray(contracts.id, ids), eq(contracts.status, "deleted"), isNull(contracts.deletedAt));
  await db.batch([
    db.delete(contracts).where(gone(never.length ? never : [""])),
    db
      .update(contracts)
      .set({ deletedAt: now })
      .where(gone(were.length ? were : [""])),
  ]);
  return { abandoned: abandoned.length, objectsRemoved: due.length, rowsRemoved: never.length };
}
