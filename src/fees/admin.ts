/**
 * Fee rule administration. A change bumps the rule's `version` in the same UPDATE;
 * fee events already written keep the snapshot they were computed with (rate, fixed part,
 * rounding, version), so editing a rule never rewrites history.
 *
 * @module
 */
import { jsonObject } from "../core/json";
import { and, asc, eq, sql } from "drizzle-orm";
import * as z from "zod";
import { abortUnlessChanged, isGuardAbort } from "../db/client";
import { ROUNDING_MODES, fees } from "../db/schema";
import { eventStatement } from "../events/events";
import { conflict, notFound } from "../core/errors";
import type { HandlerContext } from "../http/route";
import { Currency, MAX_AMOUNT } from "../money/money";

type FeeRow = typeof fees.$inferSelect;

/** A fee rule as the API shows it. */
export function toFee(f: FeeRow) {
  const meta = jsonObject(f.meta);
  return {
    id: f.id,
    scope: f.scope,
    ratePpm: f.ratePpm,
    fixedAmount: f.fixedAmount,
    currency: f.currency,
    rounding: f.rounding,
    payer: f.payer,
    active: f.active,
    version: f.version,
    meta,
    updatedAt: new Date(f.updatedAt).toISOString(),
  };
}

/** `PUT /api/admin/fees/:id` body: the fields to change, and optionally the version they were read at. */
export const FeeUpdateBody = z
  .strictObject({
    /** Parts per million of the base amount (2 % = 20000). */
    ratePpm: z.int().min(0).max(1_000_000).optional(),
    /** Minor units, added to every charge; at most MAX_AMOUNT, so a charge stays at most MAX_FEE. */
    fixedAmount: z.int().min(0).max(MAX_AMOUNT).optional(),
    /** Currency the rule applies to; null: any (the fee follows the base amount's currency). */
    currency: Currency.nullable().optional(),
    rounding: z.enum(ROUNDING_MODES).optional(),
    active: z.boolean().optional(),
    /** Optimistic concurrency: refuse (409 `version_conflict`) if the rule changed since it was read. */
    expectedVersion: z.int().min(1).optional(),
  })
  .refine((b) => Object.keys(b).some((k) => k !== "expectedVersion"), { message: "nothing to change" });
export type FeeUpdateBody = z.output<typeof FeeUpdateBody>;

/** All fee rules, by id. */
export async function listFees(ctx: HandlerContext<unknown, unknown>) {
  const [rows] = await ctx.read([ctx.db.select().from(fees).orderBy(asc(fees.id))]);
  return { ok: true as const, items: rows.map(toFee) };
}

/** Updates a rule: one batch with the version bump, its `fee.update` event and the new row. */
export async function updateFee(ctx: HandlerContext<FeeUpdateBody, unknown>, id: string) {
  const { db, now, body } = ctx;
  const { expectedVersion, ...changes } = body;
  try {
    return await ctx.commit(
      [
        db
          .update(fees)
          .set({ ...changes, version: sql`${fees.version} + 1`, updatedAt: now })
          .where(and(eq(fees.id, id), expectedVersion !== undefined ? eq(fees.version, expectedVersion) : undefined)),
        abortUnlessChanged(db),
        eventStatement(db, {
          type: "fee.update",
          actorUid: ctx.caller,
          subjectType: "fee",
          subjectId: id,
          meta: { changes },
          requestId: ctx.requestId,
          now,
        }),
        db.select().from(fees).where(eq(fees.id, id)),
      ],
      (rows) => ({ body: { ok: true, fee: toFee((rows[3] as FeeRow[])[0] as FeeRow) } }),
    );
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    const current = await db.select({ version: fees.version }).from(fees).where(eq(fees.id, id)).get();
    if (!current) throw notFound("fee_not_found", "no such fee rule");
    throw conflict("version_conflict", `fee rule is at version ${current.version}`, { version: current.version });
  }
}
