/**
 * Pieces the contract and tranche routes share: their input schemas (ids, money, rates, instants),
 * the caller check, the event statement and newest-first pages of the two tables.
 *
 * @module
 */
import { type SQL, and, desc } from "drizzle-orm";
import * as z from "zod";
import { AppError } from "../core/errors";
import type { Db } from "../db/client";
import { afterCursor, encodeCursor } from "../db/pagination";
import type { mortgageContracts, mortgageTranches, vouchers } from "../db/schema";
import { eventStatement } from "../events/events";
import type { HandlerContext } from "../http/route";
import { Currency, MAX_AMOUNT } from "../money/money";
import { rateToPpm } from "../money/rate";

/** A client-chosen or stored object id: it becomes part of a room id, so the room id's alphabet. */
export const ObjectId = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "must be 1-100 characters of A-Z a-z 0-9 _ . -");

/** True if `id` could name a stored object (a path parameter that cannot is simply not found). */
export const isObjectId = (id: string | undefined): id is string => id !== undefined && ObjectId.safeParse(id).success;

/** `{amount, currency}` with a positive amount in minor units (a nominal of zero is no tranche). */
export const PositiveMoney = z.strictObject({
  amount: z.number().int().min(1).max(MAX_AMOUNT),
  currency: Currency,
});

/**
 * A rate as a JSON number (`0.028`) or a decimal string (`"0.028"`), read exactly into integer
 * parts per million; more precision than ppm, negatives and rates above 1 are validation failures.
 */
export const RatePpm = z.union([z.number(), z.string().max(40)]).transform((value, ctx) => {
  try {
    return rateToPpm(value);
  } catch (err) {
    ctx.issues.push({ code: "custom", message: err instanceof Error ? err.message : "not a rate", input: value });
    return z.NEVER;
  }
});

/** An ISO-8601 instant with offset, as epoch ms. */
export const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

/** The verified caller (every contract and tranche route requires a session). */
export function mustCaller(ctx: { caller: string | null }): string {
  if (!ctx.caller) throw new AppError(401, "unauthenticated", "a verified session is required");
  return ctx.caller;
}

/** The `events` row of a mortgage state change, for its batch. */
export function mortgageEvent(
  ctx: HandlerContext<unknown, unknown>,
  e: { id: string; type: string; subjectType: string; subjectId: string; meta: Record<string, unknown> },
) {
  return eventStatement(ctx.db, {
    id: e.id,
    type: e.type,
    actorUid: ctx.caller,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    meta: e.meta,
    requestId: ctx.requestId,
    now: ctx.now,
  });
}

type Paged = typeof mortgageContracts | typeof mortgageTranches;

/**
 * One newest-first page of contracts or tranches matching `where`, after `cursor`: the same
 * keyset cursor over (created_at, id) as every other personal list. The kernel's pager is typed
 * for the older tables only; both tables here have the same two columns it reads.
 */
export async function newestFirstPage<T extends Paged>(
  db: Db,
  table: T,
  where: SQL | undefined,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: T["$inferSelect"][]; nextCursor: string | null }> {
  const rows = (await db
    .select()
    .from(table as Paged)
    .where(and(where, afterCursor(table as unknown as typeof vouchers, q.cursor)))
    .orderBy(desc(table.createdAt), desc(table.id))
    .limit(q.limit + 1)
    .all()) as T["$inferSelect"][];
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.createdAt, last.id) : null };
}
