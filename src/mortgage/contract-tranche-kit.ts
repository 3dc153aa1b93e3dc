/**
 * Pieces the contract and tranche routes share beyond the mortgage inputs and handler helpers:
 * a path id check, instants, and newest-first pages of the two tables.
 *
 * @module
 */
import { type SQL, and } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import type { mortgageContracts, mortgageTranches } from "../db/schema";
import { MortgageId } from "./inputs";
import { afterCursor, newestFirstOrder, pageOf } from "../db/pagination";

/** True if `id` could name a stored object (a path parameter that cannot is simply not found). */
export const isObjectId = (id: string | undefined): id is string => id !== undefined && MortgageId.safeParse(id).success;

/** An ISO-8601 instant with offset, as epoch ms. */
export const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

type Paged = typeof mortgageContracts | typeof mortgageTranches;

/** One newest-first page of contracts or tranches matching `where`, after `cursor`. */
export async function newestFirstPage<T extends Paged>(
  db: Db,
  table: T,
  where: SQL | undefined,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: T["$inferSelect"][]; nextCursor: string | null }> {
  const rows = (await db
    .select()
    .from(table as Paged)
    .where(and(where, afterCursor(table, q.cursor)))
    .orderBy(...newestFirstOrder(table))
    .limit(q.limit + 1)
    .all()) as T["$inferSelect"][];
  return pageOf(rows, q.limit, (r) => [r.createdAt, r.id]);
}
