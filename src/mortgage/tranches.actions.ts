/**
 * Investor tranches of a signed contract: issue, subscribe, cancel.
 *
 * The nominal sum of a contract's live tranches is kept on the contract (`tranched_amount`) and
 * bounded by a CHECK constraint (`0 ≤ tranched_amount ≤ loan_amount`): issuing adds the nominal
 * in the same batch that inserts the tranche, so two concurrent issues can never place more than
 * the loan, and cancelling subtracts it again. A subscription is a compare-and-swap on the
 * tranche's status (exactly one investor wins a race) and charges the lender the
 * `mortgage.tranche` fee in the same batch.
 *
 * @module
 */
import { and, eq, gt, lte, ne, sql } from "drizzle-orm";
import type * as z from "zod";
import { type AppError, badRequest, conflict, forbidden, notFound } from "../core/errors";
import { abortUnlessChanged, errorText, isGuardAbort, isUniqueViolation } from "../db/client";
import { newId } from "../db/ids";
import { mortgageContracts, mortgageTranches } from "../db/schema";
import { chargeStatement } from "../fees/fees";
import type { HandlerContext, HandlerResult } from "../http/route";
import { commitAndPush } from "../rooms/commit-push";
import { mortgageEvent } from "./handler-kit";
import { callerOf } from "../http/authenticate";
import { contractNotFound, isContractParty } from "./contracts.actions";
import { type ContractRow, TRANCHE_TRANSITIONS, type TrancheRow, assertTransition, mortgageRoomId, toTranche } from "./model";
import { hasRoleSql, roleQuery } from "./roles";
import type { IssueTrancheBody, TrancheActionBody } from "./tranches.schemas";

/** Fee rule charged when a tranche is subscribed (a rate of the nominal, paid by the lender). */
export const TRANCHE_FEE = "mortgage.tranche";
/** `fee_events.subject_type` (and event subject type) of a tranche. */
export const TRANCHE_SUBJECT = "mortgage_tranche";

const DAY_MS = 86_400_000;
/** Validity when the lender names none. */
const DEFAULT_VALIDITY_MS = 30 * DAY_MS;
const MAX_VALIDITY_MS = 366 * DAY_MS;

const trancheNotFound = () => notFound("tranche_not_found", "tranche not found");

// ── issue ────────────────────────────────────────────────────────────────────────────────────

type IssueCtx = HandlerContext<z.output<typeof IssueTrancheBody>, unknown>;

/** Reads the contract a tranche is issued on (by its id or its offer's) and whether the caller is a lender now. */
async function readIssueState(ctx: IssueCtx, caller: string): Promise<[ContractRow | undefined, boolean]> {
  const { db, body: b } = ctx;
  const c = mortgageContracts;
  const [krows, role] = await ctx.read([
    db
      .select()
      .from(c)
      .where(
        and(
          b.contractVoucherId ? eq(c.id, b.contractVoucherId) : undefined,
          b.underlyingOfferId ? eq(c.offerId, b.underlyingOfferId) : undefined,
        ),
      ),
    roleQuery(db, caller, "lender"),
  ]);
  return [krows[0], role.length > 0];
}

/** Throws the reason `caller` may not issue a tranche of `amount` on `k` now (nothing if it may). */
function assertIssuable(
  k: ContractRow | undefined,
  caller: string,
  isLender: boolean,
  amount: number,
  currency: string,
): ContractRow {
  if (!k || !isContractParty(k, caller)) throw contractNotFound();
  if (k.lenderUid !== caller) throw forbidden("not_lender", "only the contract's lender may issue tranches of it");
  if (!isLender) throw forbidden("not_lender", "the caller no longer holds the lender role");
  if (k.status !== "signed") {
    throw conflict("contract_not_signed", `tranches are issued on signed contracts; this one is ${k.status}`, {
      status: k.status,
    });
  }
  if (currency !== k.currency) throw badRequest("currency_mismatch", `the contract is in ${k.currency}`);
  if (k.tranchedAmount + amount > k.loanAmount) throw exceedsLoan(k, amount);
  return k;
}

function exceedsLoan(k: ContractRow, requested: number): AppError {
  return conflict("tranche_exceeds_loan", "the contract's tranches would exceed its loan", {
    loan: k.loanAmount,
    tranched: k.tranchedAmount,
    requested,
  });
}

/** `POST /api/hypotheken/tranche/issue` */
export async function issueTranche(ctx: IssueCtx): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const nominal = b.nominalAmount;
  const [read, isLender] = await readIssueState(ctx, caller);
  const k = assertIssuable(read, caller, isLender, nominal.amount, nominal.currency);

  const validFrom = b.validity?.validFrom ?? now;
  const validUntil = b.validity?.validUntil ?? Math.max(validFrom, now) + DEFAULT_VALIDITY_MS;
  if (validFrom >= validUntil) throw badRequest("invalid_validity", "validFrom must be before validUntil");
  if (validUntil <= now) throw badRequest("invalid_validity", "validUntil must be in the future");
  if (validUntil - validFrom > MAX_VALIDITY_MS) throw badRequest("invalid_validity", "validity may span at most 366 days");

  const row: TrancheRow = {
    id: b.voucherId ?? newId("mort-tranche", now),
    contractId: k.id,
    underlyingOfferId: k.offerId,
    lenderUid: caller,
    holderUid: null,
    nominalAmount: nominal.amount,
    currency: k.currency,
    expectedYieldPpm: b.expectedYield,
    riskClass: b.riskClass,
    durationYears: b.durationYears,
    validFrom,
    validUntil,
    status: "offered",
    subscribedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const c = mortgageContracts;
  const eventId = newId("ev", now);
  const meta = { contractVoucherId: k.id, nominalAmount: nominal.amount, currency: k.currency };
  try {
    return await commitAndPush(
      ctx,
      [
        // The CHECK on tranched_amount aborts the batch here when the sum would pass the loan.
        db
          .update(c)
          .set({ tranchedAmount: sql`${c.tranchedAmount} + ${nominal.amount}`, updatedAt: now })
          .where(and(eq(c.id, k.id), eq(c.status, "signed"), eq(c.lenderUid, caller), hasRoleSql(caller, "lender"))),
        abortUnlessChanged(db),
        db.insert(mortgageTranches).values(row),
        mortgageEvent(ctx, {
          id: eventId,
          type: "mortgage.tranche.issue",
          subjectType: TRANCHE_SUBJECT,
          subjectId: row.id,
          meta,
        }),
      ],
      { body: { ok: true, voucherId: row.id, tranche: toTranche(row) } },
      [mortgageRoomId("contract", k.id), mortgageRoomId("tranche", row.id)],
      { eventId, type: "mortgage.tranche.issue", subject: row.id, data: { voucherId: row.id, ...meta } },
    );
  } catch (err) {
    if (isUniqueViolation(err, "mortgage_tranches", "id")) throw conflict("tranche_exists", `tranche id ${row.id} is taken`);
    if (isGuardAbort(err) || /ck_mortgage_contracts_tranched/.test(errorText(err))) {
      // Refused inside the batch (another tranche took the room, the contract or role changed).
      const [cur, stillLender] = await readIssueState(ctx, caller);
      assertIssuable(cur, caller, stillLender, nominal.amount, nominal.currency);
      throw conflict("concurrent_update", "the contract changed while the request ran; retry");
    }
    throw err;
  }
}

// ── subscribe ────────────────────────────────────────────────────────────────────────────────

type ActionCtx = HandlerContext<z.output<typeof TrancheActionBody>, unknown>;

const getTranche = (ctx: ActionCtx, id: string) =>
  ctx.db.select().from(mortgageTranches).where(eq(mortgageTranches.id, id)).get();

/**
 * What a subscription of `t` by `caller` at `now` does: `write`, or `already` when the caller
 * holds it already. Throws the reason it is refused.
 */
function decideSubscribe(t: TrancheRow | undefined, caller: string, now: number): "write" | "already" {
  if (!t) throw trancheNotFound();
  if (t.lenderUid === caller) throw forbidden("not_allowed", "the tranche's lender cannot subscribe to it");
  if (t.status === "subscribed" && t.holderUid === caller) return "already";
  assertTransition("tranche", TRANCHE_TRANSITIONS, "subscribe", t.status);
  const validity = { validFrom: new Date(t.validFrom).toISOString(), validUntil: new Date(t.validUntil).toISOString() };
  if (t.validUntil <= now) throw conflict("tranche_expired", "the tranche's offer has expired", validity);
  if (t.validFrom > now) throw conflict("tranche_not_yet_valid", "the tranche cannot be subscribed before validFrom", validity);
  return "write";
}

const subscribed = (t: TrancheRow, alreadySubscribed: boolean): HandlerResult => ({
  body: { ok: true, alreadySubscribed, tranche: toTranche(t) },
});

/** `POST /api/hypotheken/tranche/subscribe`: an investor takes a whole open tranche. */
export async function subscribeTranche(ctx: ActionCtx): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const id = b.voucherId;
  const t = await getTranche(ctx, id);
  const decision = decideSubscribe(t, caller, now);
  if (!t) throw trancheNotFound();
  if (decision === "already") return subscribed(t, true);

  const after: TrancheRow = { ...t, status: "subscribed", holderUid: caller, subscribedAt: now, updatedAt: now };
  const x = mortgageTranches;
  const eventId = newId("ev", now);
  const meta = { contractVoucherId: t.contractId, nominalAmount: t.nominalAmount, currency: t.currency };
  try {
    return await commitAndPush(
      ctx,
      [
        db
          .update(x)
          .set({ status: "subscribed", holderUid: caller, subscribedAt: now, updatedAt: now })
          .where(
            and(eq(x.id, id), eq(x.status, "offered"), gt(x.validUntil, now), lte(x.validFrom, now), ne(x.lenderUid, caller)),
          ),
        abortUnlessChanged(db),
        mortgageEvent(ctx, {
          id: eventId,
          type: "mortgage.tranche.subscribe",
          subjectType: TRANCHE_SUBJECT,
          subjectId: id,
          meta,
        }),
        chargeStatement(db, {
          feeId: TRANCHE_FEE,
          subjectType: TRANCHE_SUBJECT,
          subjectId: id,
          source: sql`SELECT nominal_amount AS base_amount, currency AS base_currency, lender_uid AS payer_uid
            FROM mortgage_tranches WHERE id = ${id} AND status = 'subscribed'`,
          beneficiaryId: ctx.config.platformId,
          now,
        }),
      ],
      subscribed(after, false),
      [mortgageRoomId("tranche", id)],
      { eventId, type: "mortgage.tranche.subscribe", subject: id, data: { voucherId: id, ...meta } },
    );
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    // Lost a race: the tranche as it is now names the reason (or the caller's own earlier win).
    const cur = await getTranche(ctx, id);
    if (decideSubscribe(cur, caller, now) === "already" && cur) return subscribed(cur, true);
    throw conflict("concurrent_update", "the tranche changed while the request ran; retry");
  }
}

// ── cancel ───────────────────────────────────────────────────────────────────────────────────

function assertCancellable(t: TrancheRow | undefined, caller: string): TrancheRow {
  if (!t) throw trancheNotFound();
  if (t.lenderUid !== caller) throw forbidden("not_lender", "only the tranche's lender may cancel it");
  assertTransition("tranche", TRANCHE_TRANSITIONS, "cancel", t.status);
  return t;
}

/** `POST /api/hypotheken/tranche/cancel`: the lender withdraws an open tranche; its nominal is free again. */
export async function cancelTranche(ctx: ActionCtx): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const t = assertCancellable(await getTranche(ctx, b.voucherId), caller);
  const after: TrancheRow = { ...t, status: "cancelled", updatedAt: now };
  const x = mortgageTranches;
  const c = mortgageContracts;
  const eventId = newId("ev", now);
  const meta = { contractVoucherId: t.contractId, nominalAmount: t.nominalAmount, currency: t.currency };
  try {
    return await commitAndPush(
      ctx,
      [
        db
          .update(x)
          .set({ status: "cancelled", updatedAt: now })
          .where(and(eq(x.id, t.id), eq(x.status, "offered"), eq(x.lenderUid, caller))),
        abortUnlessChanged(db),
        // A tranche's nominal never changes, so the amount read is the amount that was added.
        db
          .update(c)
          .set({ tranchedAmount: sql`${c.tranchedAmount} - ${t.nominalAmount}`, updatedAt: now })
          .where(eq(c.id, t.contractId)),
        abortUnlessChanged(db),
        mortgageEvent(ctx, { id: eventId, type: "mortgage.tranche.cancel", subjectType: TRANCHE_SUBJECT, subjectId: t.id, meta }),
      ],
      { body: { ok: true, tranche: toTranche(after) } },
      [mortgageRoomId("tranche", t.id), mortgageRoomId("contract", t.contractId)],
      { eventId, type: "mortgage.tranche.cancel", subject: t.id, data: { voucherId: t.id, ...meta } },
    );
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    assertCancellable(await getTranche(ctx, t.id), caller);
    throw conflict("concurrent_update", "the tranche changed while the request ran; retry");
  }
}
