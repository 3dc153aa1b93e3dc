/**
 * Offer state changes: a lender offers on an application, withdraws its offer, and the borrower
 * accepts one (which declines the others, closes the application and drafts the contract).
 *
 * Each change is ONE D1 batch: compare-and-swap writes whose WHERE repeats every rule (the
 * lender role, the application's visibility and status, the offer's status and validity, the
 * notary role), each followed by an abort-unless-changed guard, the event, and a trailing SELECT
 * of the new state. Without an `Idempotency-Key` nothing is read first; only a refused batch
 * reads, to name the reason with the same rules (`offers.rules.ts`). With a key the response must
 * be stored in the batch, so the rows are read and checked before it.
 *
 * @module
 */
import { and, eq, gt, inArray, lte, ne, sql } from "drizzle-orm";
import type { z } from "zod";
import { conflict } from "../core/errors";
import { type Statement, abortUnlessChanged, isGuardAbort, isUniqueViolation } from "../db/client";
import { newId } from "../db/ids";
import { mortgageApplicationLenders, mortgageApplications, mortgageContracts, mortgageOffers } from "../db/schema";
import type { HandlerContext, HandlerResult } from "../http/route";
import { type ContractRow, type OfferRow, type OfferTerms, mortgageRoomId, toContract } from "./model";
import { mortgageEvent } from "./handler-kit";
import { callerOf } from "../http/authenticate";
import { commitAndPush } from "../rooms/commit-push";
import { applicationRoomOfOfferSql } from "./room-access";
import { hasRoleSql, roleQuery } from "./roles";
import {
  type ApplicationFacts,
  type OfferDraft,
  checkAcceptable,
  checkOfferable,
  checkWithdrawable,
  legacyOfferOut,
  offerOut,
  priceOffer,
  validityWindow,
} from "./offers.rules";
import type { AcceptOfferBody, LegacyOfferBody, OfferBody, WithdrawOfferBody } from "./offers.schemas";

type Ctx<B> = HandlerContext<B, undefined>;

const DAY = 86_400_000;
/** The original portal's offers name no validity: they stay open two weeks. */
const LEGACY_VALIDITY_MS = 14 * DAY;
/** The original portal's offers name no fixed-interest period. */
const LEGACY_FIXED_YEARS = 10;

// ── create ──────────────────────────────────────────────────────────────────────────────────

/** `POST /api/hypotheken/angebot`: the lender's offer, every figure computed by the server. */
export async function createOffer(ctx: Ctx<z.output<typeof OfferBody>>): Promise<HandlerResult> {
  const { body: b, now } = ctx;
  const caller = callerOf(ctx);
  const { validFrom, validUntil } = validityWindow(b.validity.validFrom ?? now, b.validity.validUntil, now);
  const fees = {
    processingFee: b.fees?.processingFee ?? 0,
    valuationFee: b.fees?.valuationFee ?? 0,
    otherFees: b.fees?.otherFees ?? [],
  };
  const priced = priceOffer({
    loan: b.loan.amount,
    nominalPpm: b.interest.nominalRate,
    initialRepaymentPpm: b.repayment.initialRate,
    fixedYears: b.interest.fixedYears,
    fees,
    statedEffectivePpm: b.interest.effectiveRate ?? null,
  });
  const draft: OfferDraft = {
    id: b.voucherId ?? newId("mort-offer", now),
    applicationId: b.applicationId,
    lenderUid: caller,
    holderUid: b.holderUid ?? null,
    loanAmount: b.loan.amount,
    currency: b.loan.currency,
    nominalRatePpm: b.interest.nominalRate,
    initialRepaymentPpm: b.repayment.initialRate,
    fixedYears: b.interest.fixedYears,
    statedEffectiveRatePpm: b.interest.effectiveRate ?? null,
    termsRef: b.termsRef ?? null,
    validFrom,
    validUntil,
    terms: {
      repayment: {
        specialPaymentsAllowed: b.repayment.specialPaymentsAllowed ?? false,
        specialPaymentMaxPerYear: b.repayment.specialPaymentMaxPerYear ?? null,
      },
      fees,
      figures: priced.figures,
    },
    monthlyPayment: priced.monthlyPayment,
    upfrontFees: priced.upfrontFees,
    effectiveRatePpm: priced.effectiveRatePpm,
  };
  // With a key the stored answer needs the borrower, so the application is read (and checked) first.
  const facts = ctx.idempotent ? await readApplicationFacts(ctx, draft, true) : null;
  return commitOffer(ctx, draft, facts, (row) => ({ body: { ok: true, voucherId: row.id, offer: offerOut(row, null) } }));
}

/**
 * `POST /api/mortgage/offer`, the original portal's call: the loan is the application's, the plan
 * follows from the stated payment, so the application is always read first.
 */
export async function createLegacyOffer(ctx: Ctx<z.output<typeof LegacyOfferBody>>): Promise<HandlerResult> {
  const { body: b, now } = ctx;
  const caller = callerOf(ctx);
  const { validFrom, validUntil } = validityWindow(now, b.validUntil ?? now + LEGACY_VALIDITY_MS, now);
  const probe: OfferDraft = {
    id: b.voucherId ?? newId("mort-offer", now),
    applicationId: b.applicationId,
    lenderUid: caller,
    holderUid: null,
    loanAmount: 0,
    currency: "",
    nominalRatePpm: b.interestRate,
    initialRepaymentPpm: null,
    fixedYears: b.fixedYears ?? LEGACY_FIXED_YEARS,
    statedEffectiveRatePpm: null,
    termsRef: null,
    validFrom,
    validUntil,
    terms: { repayment: { specialPaymentsAllowed: false, specialPaymentMaxPerYear: null }, fees: noFees(), figures: noFigures() },
    monthlyPayment: b.monthlyPayment,
    upfrontFees: 0,
    effectiveRatePpm: 0,
  };
  const facts = await readApplicationFacts(ctx, probe, false);
  const app = facts.application;
  // Who may offer is decided before the figures; loan and currency are the application's own.
  checkOfferable(facts, { ...probe, loanAmount: app.loanAmount, currency: app.currency });
  const priced = priceOffer({
    loan: app.loanAmount,
    nominalPpm: b.interestRate,
    payment: b.monthlyPayment,
    fixedYears: probe.fixedYears,
    fees: noFees(),
    statedEffectivePpm: null,
  });
  const draft: OfferDraft = {
    ...probe,
    loanAmount: app.loanAmount,
    currency: app.currency,
    terms: { ...probe.terms, figures: priced.figures },
    effectiveRatePpm: priced.effectiveRatePpm,
  };
  return commitOffer(ctx, draft, facts, (row) => ({ body: { ok: true, offerId: row.id, offer: legacyOfferOut(row) } }));
}

/**
 * The offer batch. The row is an INSERT…SELECT from the application that matches only when every
 * rule holds now: the caller is a lender (role inside the batch), may see the application (market,
 * or shared with it), is not its borrower, the application is open or offered, and the loan,
 * currency, rate limit and named holder fit it. `facts` (read beforehand) gives the answer up front.
 */
async function commitOffer(
  ctx: Ctx<unknown>,
  d: OfferDraft,
  facts: ApplicationFacts | null,
  answer: (row: OfferRow) => HandlerResult,
): Promise<HandlerResult> {
  const { db, now } = ctx;
  const eventId = newId("ev", now);
  const statements: Statement[] = [
    db.insert(mortgageOffers).select(sql`
      SELECT ${d.id}, a.id, ${d.lenderUid}, a.borrower_uid, ${d.loanAmount}, a.currency, ${d.nominalRatePpm},
        ${d.initialRepaymentPpm}, ${d.fixedYears}, ${d.monthlyPayment}, ${d.upfrontFees}, ${d.effectiveRatePpm},
        ${d.statedEffectiveRatePpm}, ${JSON.stringify(d.terms)}, ${d.termsRef}, ${d.validFrom}, ${d.validUntil}, 'offered',
        ${now}, ${now}
      FROM mortgage_applications a
      WHERE a.id = ${d.applicationId} AND a.status IN ('open', 'offered') AND a.borrower_uid <> ${d.lenderUid}
        AND ${hasRoleSql(d.lenderUid, "lender")}
        AND (a.visibility = 'market' OR EXISTS (SELECT 1 FROM mortgage_application_lenders s WHERE s.application_id = a.id AND s.lender_uid = ${d.lenderUid}))
        AND a.currency = ${d.currency} AND a.loan_amount >= ${d.loanAmount}
        AND (a.max_interest_ppm IS NULL OR a.max_interest_ppm >= ${d.nominalRatePpm})
        AND (${d.holderUid} IS NULL OR a.borrower_uid = ${d.holderUid})`),
    abortUnlessChanged(db),
    // The first offer moves the application from open to offered; later ones change nothing here.
    db
      .update(mortgageApplications)
      .set({ status: "offered", updatedAt: now })
      .where(and(eq(mortgageApplications.id, d.applicationId), eq(mortgageApplications.status, "open"))),
    mortgageEvent(ctx, {
      id: eventId,
      type: "mortgage.offer",
      subjectType: "mortgage_offer",
      subjectId: d.id,
      meta: {
        applicationId: d.applicationId,
        loan: { amount: d.loanAmount, currency: d.currency },
        nominalRatePpm: d.nominalRatePpm,
        effectiveRatePpm: d.effectiveRatePpm,
        monthlyPayment: d.monthlyPayment,
      },
    }),
  ];
  // The application's room also holds the competing lenders: the frame names the offer, not its lender or terms.
  const push = {
    eventId,
    type: "mortgage.offer",
    subject: d.id,
    data: { offerId: d.id, applicationId: d.applicationId, status: "offered" },
  };
  const rooms = [mortgageRoomId("application", d.applicationId), mortgageRoomId("offer", d.id)];
  try {
    if (facts) {
      const row = draftRow(d, facts.application.borrowerUid, now);
      return await commitAndPush(ctx, statements, answer(row), rooms, push);
    }
    const after = db.select().from(mortgageOffers).where(eq(mortgageOffers.id, d.id));
    return await commitAndPush(ctx, [...statements, after], (rows) => answer(lastRow<OfferRow>(rows)), rooms, push);
  } catch (err) {
    if (isUniqueViolation(err, "mortgage_offers", "id")) throw conflict("offer_exists", `offer id ${d.id} is taken`);
    if (isGuardAbort(err)) {
      // Refused inside the batch: the same rules name the reason against the current rows.
      checkOfferable(await readApplicationFacts(ctx, d, false, true), d);
      throw raced("offer");
    }
    throw err;
  }
}

/**
 * The application as the offering caller sees it: the row, whether the caller is a lender and
 * whether the application is shared with it. With `check`, refuses what the batch would refuse.
 * `direct` reads outside the request's read batch (after a refused commit).
 */
async function readApplicationFacts(ctx: Ctx<unknown>, d: OfferDraft, check: boolean, direct = false): Promise<ApplicationFacts> {
  const { db } = ctx;
  const queries = [
    db.select().from(mortgageApplications).where(eq(mortgageApplications.id, d.applicationId)),
    roleQuery(db, d.lenderUid, "lender"),
    db
      .select({ lenderUid: mortgageApplicationLenders.lenderUid })
      .from(mortgageApplicationLenders)
      .where(
        and(eq(mortgageApplicationLenders.applicationId, d.applicationId), eq(mortgageApplicationLenders.lenderUid, d.lenderUid)),
      ),
  ] as const;
  const [apps, roles, shares] = direct ? await db.batch(queries) : await ctx.read(queries);
  const facts = { application: apps[0], isLender: roles.length > 0, sharedWithCaller: shares.length > 0, caller: d.lenderUid };
  if (!facts.application || check) checkOfferable(facts, d);
  return facts as ApplicationFacts;
}

/** The stored row of a draft, as the batch writes it. */
function draftRow(d: OfferDraft, borrowerUid: string, now: number): OfferRow {
  return {
    id: d.id,
    applicationId: d.applicationId,
    lenderUid: d.lenderUid,
    borrowerUid,
    loanAmount: d.loanAmount,
    currency: d.currency,
    nominalRatePpm: d.nominalRatePpm,
    initialRepaymentPpm: d.initialRepaymentPpm,
    fixedYears: d.fixedYears,
    monthlyPayment: d.monthlyPayment,
    upfrontFees: d.upfrontFees,
    effectiveRatePpm: d.effectiveRatePpm,
    statedEffectiveRatePpm: d.statedEffectiveRatePpm,
    terms: JSON.stringify(d.terms),
    termsRef: d.termsRef,
    validFrom: d.validFrom,
    validUntil: d.validUntil,
    status: "offered",
    createdAt: now,
    updatedAt: now,
  };
}

// ── withdraw ────────────────────────────────────────────────────────────────────────────────

/** `POST /api/hypotheken/angebot/withdraw`: the offer's lender takes back an open offer. */
export async function withdrawOffer(ctx: Ctx<z.output<typeof WithdrawOfferBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const eventId = newId("ev", now);
  const statements: Statement[] = [
    db
      .update(mortgageOffers)
      .set({ status: "withdrawn", updatedAt: now })
      .where(and(eq(mortgageOffers.id, b.voucherId), eq(mortgageOffers.lenderUid, caller), eq(mortgageOffers.status, "offered"))),
    abortUnlessChanged(db),
    mortgageEvent(ctx, {
      id: eventId,
      type: "mortgage.offer.withdraw",
      subjectType: "mortgage_offer",
      subjectId: b.voucherId,
      meta: {},
    }),
  ];
  const push = {
    eventId,
    type: "mortgage.offer.withdraw",
    subject: b.voucherId,
    data: { offerId: b.voucherId, status: "withdrawn" },
  };
  const rooms = [mortgageRoomId("offer", b.voucherId), applicationRoomOfOfferSql(b.voucherId)];
  const answer = (row: OfferRow) => ({ body: { ok: true, offer: offerOut(row, null) } });
  try {
    if (ctx.idempotent) {
      const [[offer]] = await ctx.read([db.select().from(mortgageOffers).where(eq(mortgageOffers.id, b.voucherId))]);
      checkWithdrawable(offer, caller);
      const after = { ...(offer as OfferRow), status: "withdrawn" as const, updatedAt: now };
      return await commitAndPush(ctx, statements, answer(after), rooms, push);
    }
    const after = db.select().from(mortgageOffers).where(eq(mortgageOffers.id, b.voucherId));
    return await commitAndPush(ctx, [...statements, after], (rows) => answer(lastRow<OfferRow>(rows)), rooms, push);
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    checkWithdrawable(await db.select().from(mortgageOffers).where(eq(mortgageOffers.id, b.voucherId)).get(), caller);
    throw raced("offer");
  }
}

// ── accept ──────────────────────────────────────────────────────────────────────────────────

/**
 * `POST /api/hypotheken/angebot/accept`: in one batch the offer becomes `accepted` (only if it is
 * the caller's, `offered`, within its validity and its application still open or offered), every
 * other open offer of the application `declined`, the application `accepted` naming the offer, and
 * the contract is drafted from the offer (with the named notary, if that uid holds the notary role
 * and is neither party). Two accepts on one application can never both win: the second finds its
 * offer declined, and `ux_offers_accepted` / the contract's unique keys stop anything that slipped by.
 */
export async function acceptOffer(ctx: Ctx<z.output<typeof AcceptOfferBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const offerId = b.voucherId;
  const notary = b.notaryUid ?? null;
  const contractId = newId("mort-contract", now);
  const eventId = newId("ev", now);
  const applicationOfOffer = sql`(SELECT application_id FROM mortgage_offers WHERE id = ${offerId})`;
  const statements: Statement[] = [
    db
      .update(mortgageOffers)
      .set({ status: "accepted", updatedAt: now })
      .where(
        and(
          eq(mortgageOffers.id, offerId),
          eq(mortgageOffers.borrowerUid, caller),
          eq(mortgageOffers.status, "offered"),
          lte(mortgageOffers.validFrom, now),
          gt(mortgageOffers.validUntil, now),
          sql`EXISTS (SELECT 1 FROM mortgage_applications a WHERE a.id = ${mortgageOffers.applicationId} AND a.status IN ('open', 'offered'))`,
        ),
      ),
    abortUnlessChanged(db),
    db
      .update(mortgageOffers)
      .set({ status: "declined", updatedAt: now })
      .where(
        and(
          sql`${mortgageOffers.applicationId} = ${applicationOfOffer}`,
          eq(mortgageOffers.status, "offered"),
          ne(mortgageOffers.id, offerId),
        ),
      ),
    db
      .update(mortgageApplications)
      .set({ status: "accepted", acceptedOfferId: offerId, updatedAt: now })
      .where(
        and(sql`${mortgageApplications.id} = ${applicationOfOffer}`, inArray(mortgageApplications.status, ["open", "offered"])),
      ),
    abortUnlessChanged(db),
    db.insert(mortgageContracts).select(sql`
      SELECT ${contractId}, o.id, o.application_id, o.lender_uid, o.borrower_uid, ${notary}, o.loan_amount, o.currency,
        'draft', NULL, NULL, NULL, NULL, 0, '{}', ${now}, ${now}
      FROM mortgage_offers o
      WHERE o.id = ${offerId} AND o.status = 'accepted'
        AND (${notary} IS NULL OR (${hasRoleSql(notary ?? "", "notary")} AND ${notary} NOT IN (o.borrower_uid, o.lender_uid)))`),
    abortUnlessChanged(db),
    mortgageEvent(ctx, {
      id: eventId,
      type: "mortgage.accept",
      subjectType: "mortgage_offer",
      subjectId: offerId,
      meta: { contractId, notaryUid: notary },
    }),
  ];
  const push = {
    eventId,
    type: "mortgage.accept",
    subject: offerId,
    data: { offerId, contractId, status: "accepted" },
  };
  const rooms = [mortgageRoomId("offer", offerId), mortgageRoomId("contract", contractId), applicationRoomOfOfferSql(offerId)];
  const answer = (offer: OfferRow, contract: ContractRow) => ({
    body: { ok: true, contractVoucherId: contract.id, contract: toContract(contract), offer: offerOut(offer, contract.id) },
  });
  try {
    if (ctx.idempotent) {
      const offer = checkAcceptable(await readAcceptFacts(ctx, offerId, notary, false), caller, notary, now);
      const after: OfferRow = { ...offer, status: "accepted", updatedAt: now };
      return await commitAndPush(ctx, statements, answer(after, draftContract(after, contractId, notary, now)), rooms, push);
    }
    const offerAfter = db.select().from(mortgageOffers).where(eq(mortgageOffers.id, offerId));
    const contractAfter = db.select().from(mortgageContracts).where(eq(mortgageContracts.id, contractId));
    return await commitAndPush(
      ctx,
      [...statements, offerAfter, contractAfter],
      (rows) => answer(lastRow<OfferRow>(rows.slice(0, -1)), lastRow<ContractRow>(rows)),
      rooms,
      push,
    );
  } catch (err) {
    // A guard, or a unique key (another offer already accepted, a contract already drafted).
    if (!isGuardAbort(err) && !isUniqueViolation(err, "mortgage_offers") && !isUniqueViolation(err, "mortgage_contracts")) {
      throw err;
    }
    checkAcceptable(await readAcceptFacts(ctx, offerId, notary, true), caller, notary, now);
    throw raced("offer");
  }
}

/** The offer, its application and the named notary's role, for {@link checkAcceptable}. */
async function readAcceptFacts(ctx: Ctx<unknown>, offerId: string, notary: string | null, direct: boolean) {
  const { db } = ctx;
  const queries = [
    db.select().from(mortgageOffers).where(eq(mortgageOffers.id, offerId)),
    db
      .select({ status: mortgageApplications.status })
      .from(mortgageApplications)
      .where(sql`${mortgageApplications.id} = (SELECT application_id FROM mortgage_offers WHERE id = ${offerId})`),
    roleQuery(db, notary ?? "", "notary"),
  ] as const;
  const [offers, apps, roles] = direct ? await db.batch(queries) : await ctx.read(queries);
  return { offer: offers[0], applicationStatus: apps[0]?.status, notaryIsNotary: notary !== null && roles.length > 0 };
}

/** The contract row the accept batch drafts from `offer`. */
function draftContract(offer: OfferRow, id: string, notaryUid: string | null, now: number): ContractRow {
  return {
    id,
    offerId: offer.id,
    applicationId: offer.applicationId,
    lenderUid: offer.lenderUid,
    borrowerUid: offer.borrowerUid,
    notaryUid,
    loanAmount: offer.loanAmount,
    currency: offer.currency,
    status: "draft",
    signedByBorrowerAt: null,
    signedByLenderAt: null,
    signedByNotaryAt: null,
    cancelledBy: null,
    tranchedAmount: 0,
    documentRefs: "{}",
    createdAt: now,
    updatedAt: now,
  };
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────────

/** The one row of the last statement of a batch (a trailing SELECT). */
function lastRow<T>(rows: unknown[]): T {
  const [row] = (rows[rows.length - 1] ?? []) as T[];
  if (!row) throw new Error("the row written in this batch vanished");
  return row;
}

/** Every rule held on the re-read, so the batch lost a race to a change that is gone again. */
const raced = (object: string) => conflict("concurrent_update", `the ${object} changed while the request ran; retry`);

const noFees = (): OfferTerms["fees"] => ({ processingFee: 0, valuationFee: 0, otherFees: [] });
const noFigures = (): OfferTerms["figures"] => ({
  numberOfPayments: 0,
  lastPayment: 0,
  totalPaid: 0,
  totalInterest: 0,
  remainingDebtAtFixedEnd: 0,
  fixedPeriodPayments: 0,
});
