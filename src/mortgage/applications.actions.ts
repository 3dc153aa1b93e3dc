/**
 * Application state changes: submit, share with a lender, withdraw. Each reads what it needs to
 * explain a refusal, then writes everything in ONE batch whose statements repeat every check
 * (property ownership and the loan bound in the `INSERT … SELECT`, lender roles in `EXISTS`,
 * the status as compare-and-swap), so a race can never write what the reads would have refused.
 * After a refused batch, a fresh read names the reason.
 *
 * @module
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { z } from "zod";
import { type Statement, abortUnlessChanged, isGuardAbort, isUniqueViolation } from "../db/client";
import { newId } from "../db/ids";
import { events, mortgageApplicationLenders, mortgageApplications, mortgageOffers, partyRoles, properties } from "../db/schema";
import { badRequest, conflict, forbidden } from "../core/errors";
import type { HandlerContext, HandlerResult } from "../http/route";
import { commitAndPush } from "../rooms/commit-push";
import { mortgageEvent } from "./handler-kit";
import { callerOf } from "../http/authenticate";
import {
  type ApplicationRow,
  APPLICATION_TRANSITIONS,
  type PropertyRow,
  assertTransition,
  mortgageRoomId,
  toApplication,
} from "./model";
import { propertyNotFound } from "./properties";
import { type ApplicationAccess, applicationAccess, applicationNotFound, openOfferIds } from "./applications.read";
import type { ApplicationBody, ShareBody, WithdrawBody } from "./applications.schemas";
import { hasRoleSql } from "./roles";

type Ctx<B> = HandlerContext<B, unknown>;
type CreateBody = z.output<typeof ApplicationBody>;
const OPEN_STATUSES = APPLICATION_TRANSITIONS.withdraw.from;

// ── submit ───────────────────────────────────────────────────────────────────────────────────

/** `POST /api/hypotheken/anfrage` and `POST /api/mortgage/application`. */
export async function createApplication(ctx: Ctx<CreateBody>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const me = callerOf(ctx);
  const invited = b.invitedLenders ?? [];
  if (invited.includes(me)) throw badRequest("self_invite", "a borrower cannot invite itself as a lender");
  await assertSubmittable(ctx, b, me);
  const row: ApplicationRow = {
    id: b.applicationId ?? newId("app", now),
    propertyId: b.propertyId,
    borrowerUid: me,
    loanAmount: b.desiredLoan.amount,
    currency: b.desiredLoan.currency,
    durationYears: b.desiredDurationYears,
    rateType: b.desiredRateType,
    maxInterestPpm: b.maxInterestRate ?? null,
    status: "open",
    visibility: b.visibility,
    meta: JSON.stringify(b.meta ?? {}),
    acceptedOfferId: null,
    submittedAt: now,
    createdAt: now,
    updatedAt: now,
  };
  const statements: Statement[] = [
    insertApplication(ctx, row),
    abortUnlessChanged(db),
    ...invited.flatMap((uid) => [shareRow(ctx, row.id, uid, sql`1`), abortUnlessChanged(db)]),
    mortgageEvent(ctx, {
      type: "mortgage.application",
      subjectType: "mortgage_application",
      subjectId: row.id,
      meta: {
        propertyId: row.propertyId,
        visibility: row.visibility,
        loan: { amount: row.loanAmount, currency: row.currency },
        invitedLenders: invited,
      },
    }),
  ];
  try {
    // A new application's room cannot have been entered yet: nothing to push.
    return await ctx.commit(statements, { body: { ok: true, applicationId: row.id, application: toApplication(row) } });
  } catch (err) {
    if (isUniqueViolation(err, "mortgage_applications", "id")) {
      throw conflict("application_exists", `application id ${row.id} is taken`);
    }
    if (isGuardAbort(err)) await assertSubmittable(ctx, b, me);
    throw err;
  }
}

/**
 * The application row as an `INSERT … SELECT` from the property: it matches only the caller's
 * property in the loan's currency whose price less own capital covers the loan.
 */
function insertApplication(ctx: Ctx<unknown>, a: ApplicationRow): Statement {
  return ctx.db.insert(mortgageApplications).select(
    sql`SELECT ${a.id}, id, ${a.borrowerUid}, ${a.loanAmount}, currency, ${a.durationYears}, ${a.rateType},
        ${a.maxInterestPpm}, 'open', ${a.visibility}, ${a.meta}, NULL, ${a.submittedAt}, ${a.createdAt}, ${a.updatedAt}
      FROM properties
      WHERE id = ${a.propertyId} AND owner_uid = ${a.borrowerUid} AND currency = ${a.currency}
        AND purchase_price_amount - own_capital_amount >= ${a.loanAmount}`,
  );
}

/**
 * A share row for `lenderUid`, inserted only while it holds the lender role and `also` holds
 * (an SQL condition over nothing, or over the application).
 */
function shareRow(ctx: Ctx<unknown>, applicationId: string, lenderUid: string, also: ReturnType<typeof sql>): Statement {
  return ctx.db
    .insert(mortgageApplicationLenders)
    .select(sql`SELECT ${applicationId}, ${lenderUid}, ${ctx.now} WHERE ${hasRoleSql(lenderUid, "lender")} AND ${also}`);
}

/** Throws the reason the application cannot be submitted as asked (nothing when it can). */
async function assertSubmittable(ctx: Ctx<unknown>, b: CreateBody, me: string): Promise<void> {
  const invited = b.invitedLenders ?? [];
  const [[p], lenders] = await ctx.read([
    ctx.db.select().from(properties).where(eq(properties.id, b.propertyId)),
    ctx.db
      .select({ uid: partyRoles.uid })
      .from(partyRoles)
      .where(and(eq(partyRoles.role, "lender"), inArray(partyRoles.uid, invited))),
  ]);
  if (!p || p.ownerUid !== me) throw propertyNotFound(b.propertyId);
  assertLoanFits(p, b.desiredLoan);
  const found = new Set(lenders.map((l) => l.uid));
  const missing = invited.filter((uid) => !found.has(uid));
  if (missing.length > 0) throw unknownLender(missing);
}

/** The loan must be in the property's currency and at most its price less the own capital. */
function assertLoanFits(p: PropertyRow, loan: { amount: number; currency: string }): void {
  if (loan.currency !== p.currency) {
    throw badRequest("currency_mismatch", `desiredLoan must be in the property's currency ${p.currency}`);
  }
  const need = p.purchasePriceAmount - p.ownCapitalAmount;
  if (loan.amount > need) {
    throw badRequest("loan_exceeds_need", `desiredLoan may be at most the purchase price less own capital (${need})`, {
      maxLoan: need,
      requested: loan.amount,
    });
  }
}

const unknownLender = (uids: string[]) =>
  badRequest("unknown_lender", `not a lender: ${uids.join(", ")} (GET /api/hypotheken/lenders lists them)`, { uids });

// ── share ────────────────────────────────────────────────────────────────────────────────────

/**
 * `POST /api/hypotheken/anfrage/share`: the borrower shares the application with a lender, which
 * then sees a private application and the financial data of any. Sharing twice is a success
 * without a second row or event (`alreadyShared`).
 */
export async function shareApplication(ctx: Ctx<z.output<typeof ShareBody>>): Promise<HandlerResult> {
  const { body: b, db } = ctx;
  const me = callerOf(ctx);
  const access = await borrowerAccess(ctx, b.applicationId);
  if (b.lenderUid === me) throw badRequest("self_invite", "a borrower cannot share with itself");
  const app = access.row;
  const [existing, role] = await ctx.read([
    db
      .select({ uid: mortgageApplicationLenders.lenderUid })
      .from(mortgageApplicationLenders)
      .where(and(eq(mortgageApplicationLenders.applicationId, app.id), eq(mortgageApplicationLenders.lenderUid, b.lenderUid))),
    db
      .select({ uid: partyRoles.uid })
      .from(partyRoles)
      .where(and(eq(partyRoles.uid, b.lenderUid), eq(partyRoles.role, "lender"))),
  ]);
  const result = (alreadyShared: boolean) => ({
    body: { ok: true as const, alreadyShared, lenderUid: b.lenderUid, application: toApplication(app) },
  });
  if (existing.length > 0) return result(true);
  assertOpen(app);
  if (role.length === 0) throw unknownLender([b.lenderUid]);
  const stillOpen = sql`EXISTS (SELECT 1 FROM mortgage_applications WHERE id = ${app.id} AND borrower_uid = ${me}
    AND status IN ('open', 'offered'))`;
  const eventId = newId("ev", ctx.now);
  try {
    return await commitAndPush(
      ctx,
      [
        shareRow(ctx, app.id, b.lenderUid, stillOpen),
        abortUnlessChanged(db),
        mortgageEvent(ctx, {
          id: eventId,
          type: "mortgage.application.share",
          subjectType: "mortgage_application",
          subjectId: app.id,
          meta: { lenderUid: b.lenderUid },
        }),
      ],
      result(false),
      [mortgageRoomId("application", app.id)],
      { eventId, type: "mortgage.application.share", subject: app.id, data: { applicationId: app.id, lenderUid: b.lenderUid } },
    );
  } catch (err) {
    // A concurrent share of the same pair won: the outcome is the same.
    if (isUniqueViolation(err, "mortgage_application_lenders")) return result(true);
    if (!isGuardAbort(err)) throw err;
    const again = await borrowerAccess(ctx, app.id);
    assertOpen(again.row);
    throw unknownLender([b.lenderUid]);
  }
}

/** 409 `application_closed` unless the application still takes offers (open or offered). */
function assertOpen(a: ApplicationRow): void {
  if (!(OPEN_STATUSES as readonly string[]).includes(a.status)) {
    throw conflict("application_closed", `application ${a.id} is ${a.status}: it takes no more lenders`, { status: a.status });
  }
}

// ── withdraw ─────────────────────────────────────────────────────────────────────────────────

/**
 * `POST /api/hypotheken/anfrage/withdraw`: the borrower withdraws an open (or offered)
 * application; in the same batch every offer on it still `offered` is declined.
 */
export async function withdrawApplication(ctx: Ctx<z.output<typeof WithdrawBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const me = callerOf(ctx);
  const app = (await borrowerAccess(ctx, b.applicationId)).row;
  assertTransition("application", APPLICATION_TRANSITIONS, "withdraw", app.status);
  const [offers] = await ctx.read([openOfferIds(ctx, app.id)]);
  const offerIds = offers.map((o) => o.id);
  const eventId = newId("ev", now);
  const after: ApplicationRow = { ...app, status: "withdrawn", updatedAt: now };
  try {
    return await commitAndPush(
      ctx,
      [
        // Written first, so its meta records the status and the open offers the withdrawal acts on.
        withdrawEvent(ctx, eventId, app.id),
        db
          .update(mortgageApplications)
          .set({ status: "withdrawn", updatedAt: now })
          .where(
            and(
              eq(mortgageApplications.id, app.id),
              eq(mortgageApplications.borrowerUid, me),
              inArray(mortgageApplications.status, [...OPEN_STATUSES]),
            ),
          ),
        abortUnlessChanged(db),
        db
          .update(mortgageOffers)
          .set({ status: "declined", updatedAt: now })
          .where(and(eq(mortgageOffers.applicationId, app.id), eq(mortgageOffers.status, "offered"))),
      ],
      { body: { ok: true, application: toApplication(after), declinedOfferIds: offerIds } },
      [mortgageRoomId("application", app.id), ...offerIds.map((id) => mortgageRoomId("offer", id))],
      {
        eventId,
        type: "mortgage.application.withdraw",
        subject: app.id,
        data: { applicationId: app.id, declinedOfferIds: offerIds },
      },
    );
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    const cur = (await borrowerAccess(ctx, app.id)).row;
    assertTransition("application", APPLICATION_TRANSITIONS, "withdraw", cur.status);
    throw err;
  }
}

/** The withdrawal's event, its meta read inside the batch before anything changes. */
function withdrawEvent(ctx: Ctx<unknown>, eventId: string, applicationId: string): Statement {
  return ctx.db.insert(events).select(
    sql`SELECT ${eventId}, 'mortgage.application.withdraw', ${ctx.caller}, 'mortgage_application', ${applicationId},
        json_object(
          'fromStatus', (SELECT status FROM mortgage_applications WHERE id = ${applicationId}),
          'declinedOfferIds', json((SELECT json_group_array(id) FROM mortgage_offers
            WHERE application_id = ${applicationId} AND status = 'offered'))),
        ${ctx.requestId}, ${ctx.now}`,
  );
}

/**
 * The application if the caller is its borrower; a lender who may see it gets 403 `not_borrower`,
 * anyone else 404 (as if it did not exist).
 */
async function borrowerAccess(ctx: Ctx<unknown>, id: string): Promise<ApplicationAccess> {
  const access = await applicationAccess(ctx, id);
  if (access.as === "borrower") return access;
  if (access.as === "lender") throw forbidden("not_borrower", "only the application's borrower may do this");
  throw applicationNotFound(id);
}
