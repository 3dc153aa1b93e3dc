/**
 * Route declarations of mortgage offers: a lender offers on an application (`mortgage-offer`
 * voucher, every price figure computed by the server), lists and reads offers and their
 * amortization plan, withdraws an open offer; the borrower accepts one, which drafts the
 * contract. The `/api/mortgage/*` routes are the original portal's, with its shapes. Reads are
 * here, state changes in `offers.actions.ts`, the rules in `offers.rules.ts`.
 *
 * @module
 */
import { type SQL, and, eq, inArray, or } from "drizzle-orm";
import * as z from "zod";
import { notFound } from "../core/errors";
import type { Db } from "../db/client";
import { mortgageContracts, mortgageOffers } from "../db/schema";
import { defineRoute } from "../http/route";
import type { AnyRoute } from "../http/route";
import { toSafeNumber } from "../money/money";
import { ROUNDING_RULE_ID, amortizationPlan } from "./finance";
import { afterCursor, newestFirstOrder, pageOf } from "../db/pagination";
import { ContractOut, OfferOut, type OfferRow } from "./model";
import { acceptOffer, createLegacyOffer, createOffer, withdrawOffer } from "./offers.actions";
import { LegacyOfferOut, legacyOfferOut, offerOut } from "./offers.rules";
import {
  AcceptOfferBody,
  LegacyOfferBody,
  LegacyOfferListQuery,
  OfferBody,
  OfferListQuery,
  WithdrawOfferBody,
} from "./offers.schemas";

const ok = z.literal(true);

const NOT_FOUND = { offer_not_found: "404 no such offer, or not the caller's (as borrower or lender)" };
const TRANSITION = {
  invalid_transition: "409 the offer's (or its application's) status does not allow this ({from, to} in details)",
};
const RACE = { concurrent_update: "409 the offer changed while the request ran; retry" };
/** What refuses a new offer, on the hypotheken route and the original portal's alike. */
const OFFER_ERRORS = {
  not_lender: "403 the caller does not hold the lender role",
  not_allowed: "403 the caller is the application's borrower",
  application_not_found: "404 no such application, or not visible to the caller (private and not shared with it)",
  offer_exists: "409 the requested voucherId is taken",
  invalid_validity: "400 validFrom not before validUntil, validUntil not in the future, or more than 180 days away",
  holder_mismatch: "400 holderUid is not the application's borrower",
  currency_mismatch: "400 the loan's currency is not the application's",
  loan_exceeds_application: "400 the loan exceeds the loan applied for",
  rate_above_max: "400 the nominal rate exceeds the application's maxInterestRate",
  payment_too_low: "400 the monthly payment does not exceed the first month's interest (or does not repay within 100 years)",
  invalid_terms: "400 the upfront fees are not less than the loan, or leave no computable effective rate",
  ...TRANSITION,
  ...RACE,
};

/** `POST /api/hypotheken/angebot` */
export const create = defineRoute({
  id: "mortgage.offer.create",
  method: "POST",
  path: "/api/hypotheken/angebot",
  tag: "mortgage",
  summary:
    "A lender offers on an application it may see; the server computes the monthly payment, the plan's figures and the effective rate (APRC) with the fees.",
  auth: "required",
  access: "write",
  body: OfferBody,
  response: z.object({ ok, voucherId: z.string(), offer: OfferOut }),
  errors: {
    ...OFFER_ERRORS,
    effective_rate_mismatch: "400 the stated effectiveRate differs from the computed one by more than 0.01 percentage points",
  },
  claims: ({ body }) => [body.issuerId],
  handler: createOffer,
});

/** `GET /api/hypotheken/angebot/list` */
export const list = defineRoute({
  id: "mortgage.offer.list",
  method: "GET",
  path: "/api/hypotheken/angebot/list",
  tag: "mortgage",
  summary:
    "Offers the caller made (lender) or received (borrower), optionally of one application, newest first, cursor-paginated.",
  auth: "required",
  access: "read",
  query: OfferListQuery,
  response: z.object({ ok, offers: z.array(OfferOut), nextCursor: z.string().nullable() }),
  async handler({ query: q, db, caller }) {
    const p = await offerPage(db, mineWhere(caller ?? "", q.role, q.applicationId, q.status), q);
    const contracts = await contractsOf(db, p.items);
    return {
      body: { ok: true, offers: p.items.map((o) => offerOut(o, contracts.get(o.id) ?? null)), nextCursor: p.nextCursor },
    };
  },
});

/** `POST /api/hypotheken/angebot/accept` */
export const accept = defineRoute({
  id: "mortgage.offer.accept",
  method: "POST",
  path: "/api/hypotheken/angebot/accept",
  tag: "mortgage",
  summary:
    "The borrower accepts an open, valid offer: the other open offers are declined, the application accepted and the contract drafted, in one batch.",
  auth: "required",
  access: "write",
  body: AcceptOfferBody,
  response: z.object({ ok, contractVoucherId: z.string(), contract: ContractOut, offer: OfferOut }),
  errors: {
    not_borrower: "403 only the borrower the offer is made to may accept it",
    invalid_notary: "400 notaryUid does not hold the notary role, or is the borrower or the lender",
    offer_expired: "409 the offer's validUntil has passed",
    offer_not_yet_valid: "409 the offer's validFrom has not come yet",
    ...NOT_FOUND,
    ...TRANSITION,
    ...RACE,
  },
  handler: acceptOffer,
});

/** `POST /api/hypotheken/angebot/withdraw` */
export const withdraw = defineRoute({
  id: "mortgage.offer.withdraw",
  method: "POST",
  path: "/api/hypotheken/angebot/withdraw",
  tag: "mortgage",
  summary: "The offer's lender withdraws an open offer.",
  auth: "required",
  access: "write",
  body: WithdrawOfferBody,
  response: z.object({ ok, offer: OfferOut }),
  errors: { not_lender: "403 only the offer's lender may withdraw it", ...NOT_FOUND, ...TRANSITION, ...RACE },
  handler: withdrawOffer,
});

/** `GET /api/hypotheken/angebot/:id` */
export const get = defineRoute({
  id: "mortgage.offer.get",
  method: "GET",
  path: "/api/hypotheken/angebot/:id",
  tag: "mortgage",
  summary: "One offer, for its borrower and its lender.",
  auth: "required",
  access: "read",
  response: z.object({ ok, offer: OfferOut }),
  errors: NOT_FOUND,
  async handler({ params, db, caller, read }) {
    const id = params.id ?? "";
    const [[offer], contracts] = await read([
      db.select().from(mortgageOffers).where(eq(mortgageOffers.id, id)),
      db.select({ id: mortgageContracts.id }).from(mortgageContracts).where(eq(mortgageContracts.offerId, id)),
    ]);
    return { body: { ok: true, offer: offerOut(visibleOffer(offer, caller), contracts[0]?.id ?? null) } };
  },
});

const PlanRowOut = z.object({
  month: z.number().int(),
  payment: z.number().int(),
  interest: z.number().int(),
  principal: z.number().int(),
  balance: z.number().int(),
});

/** `GET /api/hypotheken/angebot/:id/plan` */
export const plan = defineRoute({
  id: "mortgage.offer.plan",
  method: "GET",
  path: "/api/hypotheken/angebot/:id/plan",
  tag: "mortgage",
  summary:
    "The offer's amortization plan until full repayment: per month payment, interest, principal and remaining balance (the last row clears the balance).",
  auth: "required",
  access: "read",
  response: z.object({
    ok,
    voucherId: z.string(),
    currency: z.string(),
    monthlyPayment: z.number().int(),
    roundingRule: z.string(),
    rows: z.array(PlanRowOut),
    totals: z.object({ payments: z.number().int(), interest: z.number().int(), principal: z.number().int() }),
  }),
  errors: NOT_FOUND,
  async handler({ params, db, caller }) {
    const offer = visibleOffer(
      await db
        .select()
        .from(mortgageOffers)
        .where(eq(mortgageOffers.id, params.id ?? ""))
        .get(),
      caller,
    );
    // The stored payment was checked against this plan when the offer was made, so it exists.
    const rows = amortizationPlan(offer.loanAmount, offer.nominalRatePpm, offer.monthlyPayment);
    let payments = 0n;
    let interest = 0n;
    let principal = 0n;
    for (const r of rows) {
      payments += BigInt(r.payment);
      interest += BigInt(r.interest);
      principal += BigInt(r.principal);
    }
    return {
      body: {
        ok: true,
        voucherId: offer.id,
        currency: offer.currency,
        monthlyPayment: offer.monthlyPayment,
        roundingRule: ROUNDING_RULE_ID,
        rows,
        totals: { payments: toSafeNumber(payments), interest: toSafeNumber(interest), principal: toSafeNumber(principal) },
      },
    };
  },
});

/** `POST /api/mortgage/offer` (the original portal) */
export const legacyCreate = defineRoute({
  id: "mortgage.offer.legacy",
  method: "POST",
  path: "/api/mortgage/offer",
  tag: "mortgage",
  summary:
    "The original portal's offer: the application's loan at interestRate with the stated monthlyPayment (fixedYears default 10, validUntil default 14 days, no fees).",
  auth: "required",
  access: "write",
  body: LegacyOfferBody,
  response: z.object({ ok, offerId: z.string(), offer: LegacyOfferOut }),
  errors: OFFER_ERRORS,
  handler: createLegacyOffer,
});

/** `GET /api/mortgage/offer-list` (the original portal) */
export const legacyList = defineRoute({
  id: "mortgage.offer.legacy-list",
  method: "GET",
  path: "/api/mortgage/offer-list",
  tag: "mortgage",
  summary: "The original portal's offer list: offers received (role=borrower, default) or made (role=lender), newest first.",
  auth: "required",
  access: "read",
  query: LegacyOfferListQuery,
  response: z.object({ ok, offers: z.array(LegacyOfferOut), nextCursor: z.string().nullable() }),
  async handler({ query: q, db, caller }) {
    const p = await offerPage(db, mineWhere(caller ?? "", q.role, q.applicationId, undefined), q);
    return { body: { ok: true, offers: p.items.map(legacyOfferOut), nextCursor: p.nextCursor } };
  },
});

/** The offer routes, for the registry (the static paths before `:id`, which would match them too). */
export const offerRoutes: readonly AnyRoute[] = [create, list, accept, withdraw, get, plan, legacyCreate, legacyList];

// ── helpers ─────────────────────────────────────────────────────────────────────────────────

/** The offer if `caller` is its borrower or lender; anyone else learns nothing (404). */
function visibleOffer(offer: OfferRow | undefined, caller: string | null): OfferRow {
  if (!offer || (offer.borrowerUid !== caller && offer.lenderUid !== caller))
    throw notFound("offer_not_found", "offer not found");
  return offer;
}

/** The caller's offers: as `role` (or either), of one application, of one status. */
function mineWhere(me: string, role: "borrower" | "lender" | undefined, applicationId?: string, status?: OfferRow["status"]) {
  const mine =
    role === "borrower"
      ? eq(mortgageOffers.borrowerUid, me)
      : role === "lender"
        ? eq(mortgageOffers.lenderUid, me)
        : or(eq(mortgageOffers.borrowerUid, me), eq(mortgageOffers.lenderUid, me));
  return and(
    mine,
    applicationId ? eq(mortgageOffers.applicationId, applicationId) : undefined,
    status ? eq(mortgageOffers.status, status) : undefined,
  );
}

/** One newest-first page of offers (the same keyset cursor as every other list). */
async function offerPage(db: Db, where: SQL | undefined, q: { limit: number; cursor?: string | undefined }) {
  const rows = await db
    .select()
    .from(mortgageOffers)
    .where(and(where, afterCursor(mortgageOffers, q.cursor)))
    .orderBy(...newestFirstOrder(mortgageOffers))
    .limit(q.limit + 1)
    .all();
  return pageOf(rows, q.limit, (o) => [o.createdAt, o.id]);
}

/** The contracts accepted offers became, by offer id. */
async function contractsOf(db: Db, offers: OfferRow[]): Promise<Map<string, string>> {
  const accepted = offers.filter((o) => o.status === "accepted").map((o) => o.id);
  if (accepted.length === 0) return new Map();
  const rows = await db
    .select({ id: mortgageContracts.id, offerId: mortgageContracts.offerId })
    .from(mortgageContracts)
    .where(inArray(mortgageContracts.offerId, accepted))
    .all();
  return new Map(rows.map((r) => [r.offerId, r.id]));
}
