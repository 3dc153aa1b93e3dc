/**
 * Who sees an application, and the reads built on that rule. The borrower sees its own
 * applications with everything. A lender (a uid holding the `lender` role) sees the market
 * applications still open to offers, the ones shared with it and the ones it offered on; the
 * borrower's financial data (`meta`) only on those shared with it. Anyone else is told the
 * application does not exist (404), so its existence is never revealed.
 *
 * @module
 */
import { type SQL, and, eq, getTableColumns, sql } from "drizzle-orm";
import { mortgageApplications, mortgageOffers } from "../db/schema";
import { notFound } from "../core/errors";
import type { HandlerContext } from "../http/route";
import { afterCursor, newestFirstOrder, pageOf } from "../db/pagination";
import { type ApplicationRow, toApplication } from "./model";
import { roleQuery } from "./roles";

type Ctx = HandlerContext<unknown, unknown>;
const A = mortgageApplications;
const KEY = { createdAt: A.createdAt, id: A.id };

/**
 * SQL over `mortgage_applications`: the application is shared with `lenderUid`. Columns are named
 * with their table in full, because drizzle leaves a single table's columns unqualified, which
 * inside a subquery would bind to the subquery's own table.
 */
export const sharedWithSql = (lenderUid: string): SQL =>
  sql`EXISTS (SELECT 1 FROM mortgage_application_lenders s WHERE s.application_id = mortgage_applications.id AND s.lender_uid = ${lenderUid})`;

/**
 * SQL over `mortgage_applications`: lender `lenderUid` may see the application (a market one
 * still open to offers, one shared with it, or one it offered on). The role itself is checked apart.
 */
export const lenderMaySeeSql = (lenderUid: string): SQL =>
  sql`((mortgage_applications.visibility = 'market' AND mortgage_applications.status IN ('open', 'offered')) OR ${sharedWithSql(lenderUid)}
    OR EXISTS (SELECT 1 FROM mortgage_offers o WHERE o.application_id = mortgage_applications.id AND o.lender_uid = ${lenderUid}))`;

/** The application columns plus, for `uid`, whether it is shared with it and whether it may see it as a lender. */
const withAccess = (uid: string) => ({
  ...getTableColumns(A),
  shared: sql<number>`${sharedWithSql(uid)}`.mapWith(Number),
  visible: sql<number>`${lenderMaySeeSql(uid)}`.mapWith(Number),
});

/** How the caller relates to an application. */
export interface ApplicationAccess {
  row: ApplicationRow;
  /** `borrower`: its own; `lender`: a lender who may see it; `none`: must be answered as not found. */
  as: "borrower" | "lender" | "none";
  /** True when the caller may see the financial data. */
  financialsShared: boolean;
}

/** 404 `application_not_found`. */
export const applicationNotFound = (id: string) => notFound("application_not_found", `no application ${id}`);

/** Reads application `id` and how the caller relates to it (404 when it does not exist). */
export async function applicationAccess(ctx: Ctx, id: string): Promise<ApplicationAccess> {
  const me = ctx.caller ?? "";
  const [[r], role] = await ctx.read([
    ctx.db.select(withAccess(me)).from(A).where(eq(A.id, id)),
    roleQuery(ctx.db, me, "lender"),
  ]);
  if (!r) throw applicationNotFound(id);
  const { shared, visible, ...row } = r;
  if (row.borrowerUid === me) return { row, as: "borrower", financialsShared: true };
  if (role.length > 0 && visible === 1) return { row, as: "lender", financialsShared: shared === 1 };
  return { row, as: "none", financialsShared: false };
}

/** One newest-first page of the caller's own applications. */
export async function borrowerPage(ctx: Ctx, q: PageQuery) {
  const me = ctx.caller ?? "";
  const where = and(eq(A.borrowerUid, me), q.status ? eq(A.status, q.status) : undefined, afterCursor(KEY, q.cursor));
  const [rows] = await ctx.read([
    ctx.db
      .select()
      .from(A)
      .where(where)
      .orderBy(...newestFirstOrder(KEY))
      .limit(q.limit + 1),
  ]);
  const page = pageOf(rows, q.limit, (a) => [a.createdAt, a.id]);
  return { applications: page.items.map((a) => toApplication(a, true)), nextCursor: page.nextCursor };
}

/** One newest-first page of what lender `caller` may see; null when the caller holds no lender role. */
export async function lenderPage(ctx: Ctx, q: PageQuery) {
  const me = ctx.caller ?? "";
  const where = and(lenderMaySeeSql(me), q.status ? eq(A.status, q.status) : undefined, afterCursor(KEY, q.cursor));
  const [role, rows] = await ctx.read([
    roleQuery(ctx.db, me, "lender"),
    ctx.db
      .select(withAccess(me))
      .from(A)
      .where(where)
      .orderBy(...newestFirstOrder(KEY))
      .limit(q.limit + 1),
  ]);
  if (role.length === 0) return null;
  const page = pageOf(rows, q.limit, (a) => [a.createdAt, a.id]);
  return {
    applications: page.items.map(({ shared, visible: _, ...a }) => toApplication(a, shared === 1)),
    nextCursor: page.nextCursor,
  };
}

/** What a list asks for. */
export interface PageQuery {
  status?: ApplicationRow["status"] | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Query: the ids of the offers on an application that are still `offered`. */
export const openOfferIds = (ctx: Ctx, applicationId: string) =>
  ctx.db
    .select({ id: mortgageOffers.id })
    .from(mortgageOffers)
    .where(and(eq(mortgageOffers.applicationId, applicationId), eq(mortgageOffers.status, "offered")));
