/**
 * Route declarations of the investor tranches: issue (the lender of a signed contract), the open
 * market and one's own, subscribe (an investor takes a whole tranche), cancel. State changes live
 * in `tranches.actions.ts`.
 *
 * @module
 */
import { and, eq, gt, or } from "drizzle-orm";
import * as z from "zod";
import { mortgageTranches } from "../db/schema";
import { type AnyRoute, defineRoute } from "../http/route";
import { newestFirstPage } from "./contract-tranche-kit";
import { callerOf } from "../http/authenticate";
import { TrancheOut, toTranche } from "./model";
import { cancelTranche, issueTranche, subscribeTranche } from "./tranches.actions";
import { IssueTrancheBody, TrancheActionBody, TrancheListQuery } from "./tranches.schemas";

const ok = z.literal(true);
const NOT_FOUND = { tranche_not_found: "404 no such tranche" };
const TRANSITION = { invalid_transition: "409 the tranche's status does not allow this action ({from, to} in details)" };
const RACE = { concurrent_update: "409 the tranche changed while the request ran; retry" };

export const trancheIssue = defineRoute({
  id: "mortgage.tranche.issue",
  method: "POST",
  path: "/api/hypotheken/tranche/issue",
  tag: "mortgage",
  summary:
    "The lender of a signed contract offers investors a tranche of it; the nominal sum of the contract's live tranches never exceeds the loan.",
  auth: "required",
  access: "write",
  body: IssueTrancheBody,
  response: z.object({ ok, voucherId: z.string(), tranche: TrancheOut }),
  errors: {
    contract_not_found: "404 no such contract among those the caller is party to",
    not_lender: "403 only the contract's lender, holding the lender role, may issue tranches",
    contract_not_signed: "409 the contract is not signed yet (details.status)",
    currency_mismatch: "400 the nominal's currency is not the contract's",
    invalid_validity: "400 validFrom is not before validUntil, validUntil is past, or the window exceeds 366 days",
    tranche_exceeds_loan: "409 the contract's tranches would exceed its loan (details {loan, tranched, requested})",
    tranche_exists: "409 the requested voucherId is taken",
    concurrent_update: "409 the contract changed while the request ran; retry",
  },
  claims: ({ body }) => [body.issuerId],
  handler: issueTranche,
});

export const trancheList = defineRoute({
  id: "mortgage.tranche.list",
  method: "GET",
  path: "/api/hypotheken/tranche/list",
  tag: "mortgage",
  summary:
    "scope=open: tranches investors can subscribe to now; scope=mine: those the caller issued or holds (`role` narrows to one). Newest first, cursor-paginated.",
  auth: "required",
  access: "read",
  query: TrancheListQuery,
  response: z.object({ ok, tranches: z.array(TrancheOut), nextCursor: z.string().nullable() }),
  async handler(ctx) {
    const me = callerOf(ctx);
    const t = mortgageTranches;
    const q = ctx.query;
    const as = { issuer: eq(t.lenderUid, me), holder: eq(t.holderUid, me) };
    const mine = q.role ? as[q.role] : or(as.issuer, as.holder);
    const where = q.scope === "open" ? and(eq(t.status, "offered"), gt(t.validUntil, ctx.now)) : mine;
    const p = await newestFirstPage(ctx.db, t, where, q);
    return { body: { ok: true, tranches: p.items.map(toTranche), nextCursor: p.nextCursor } };
  },
});

export const trancheSubscribe = defineRoute({
  id: "mortgage.tranche.subscribe",
  method: "POST",
  path: "/api/hypotheken/tranche/subscribe",
  tag: "mortgage",
  summary:
    "An investor takes a whole open tranche (exactly one wins a race); the lender is charged the tranche fee. Repeating it answers alreadySubscribed.",
  auth: "required",
  access: "write",
  body: TrancheActionBody,
  response: z.object({ ok, alreadySubscribed: z.boolean(), tranche: TrancheOut }),
  errors: {
    ...NOT_FOUND,
    not_allowed: "403 the tranche's lender cannot subscribe to it",
    tranche_expired: "409 the tranche's validUntil has passed",
    tranche_not_yet_valid: "409 the tranche's validFrom has not come yet",
    ...TRANSITION,
    ...RACE,
  },
  handler: subscribeTranche,
});

export const trancheCancel = defineRoute({
  id: "mortgage.tranche.cancel",
  method: "POST",
  path: "/api/hypotheken/tranche/cancel",
  tag: "mortgage",
  summary: "The lender withdraws an open tranche; its nominal is free for another tranche.",
  auth: "required",
  access: "write",
  body: TrancheActionBody,
  response: z.object({ ok, tranche: TrancheOut }),
  errors: { ...NOT_FOUND, not_lender: "403 only the tranche's lender may cancel it", ...TRANSITION, ...RACE },
  handler: cancelTranche,
});

/** The tranche routes. */
export const trancheRoutes: readonly AnyRoute[] = [trancheIssue, trancheList, trancheSubscribe, trancheCancel];
