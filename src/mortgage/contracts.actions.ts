/**
 * Contract signatures and cancellation (`POST /api/hypotheken/vertrag/update-status`).
 *
 * Borrower and lender sign in either order; the notary signs last and makes the contract
 * `signed`, which charges the lender the `mortgage.contract` fee in the same batch. Every rule the
 * handler checks on its read is repeated in the batch's compare-and-swap WHERE (status, the
 * signature still missing, who the caller is, the notary role), so a race or a role revoked
 * meanwhile can never write what the rules refuse. After a refused batch the row is read again
 * only to name the reason.
 *
 * @module
 */
import { type SQL, and, eq, inArray, ne, or, sql } from "drizzle-orm";
import type * as z from "zod";
import { conflict, forbidden, notFound, badRequest } from "../core/errors";
import { type Statement, abortUnlessChanged, isGuardAbort } from "../db/client";
import { newId } from "../db/ids";
import { mortgageContracts } from "../db/schema";
import { chargeStatement, reversalStatement } from "../fees/fees";
import type { HandlerContext, HandlerResult } from "../http/route";
import { commitAndPush } from "../rooms/commit-push";
import { mortgageEvent } from "./handler-kit";
import { callerOf } from "../http/authenticate";
import { CONTRACT_TRANSITIONS, type ContractRow, assertTransition, mortgageRoomId, toContract } from "./model";
import { hasRoleSql, roleQuery } from "./roles";
import type { UpdateStatusBody } from "./contracts.schemas";

type Ctx = HandlerContext<z.output<typeof UpdateStatusBody>, unknown>;
/** An action of `update-status`. */
export type ContractAction = keyof typeof CONTRACT_TRANSITIONS;

/** Fee rule charged when a contract becomes `signed` (a rate of the loan, paid by the lender). */
export const CONTRACT_FEE = "mortgage.contract";
/** `fee_events.subject_type` (and event subject type) of a contract. */
export const CONTRACT_SUBJECT = "mortgage_contract";

/** 404 for a contract that does not exist or that the caller may not see. */
export const contractNotFound = () => notFound("contract_not_found", "contract not found");

/** What the caller may see of a contract: its parties and its named notary. */
export const isContractParty = (k: ContractRow, uid: string) =>
  k.borrowerUid === uid || k.lenderUid === uid || (k.notaryUid !== null && k.notaryUid === uid);

/** Roles that decide an action, read before the batch (the batch checks them again). */
interface Roles {
  callerIsNotary: boolean;
  targetIsNotary: boolean;
}

/**
 * What `action` by `caller` does to `k`: `write` it, or nothing because it already happened
 * (`already`: the caller's signature exists; `unchanged`: that notary is already named). Throws
 * the reason it is refused.
 */
export function decideContractAction(
  k: ContractRow | undefined,
  caller: string,
  action: ContractAction,
  roles: Roles,
  notaryUid?: string,
): "write" | "already" | "unchanged" {
  // Any notary may notarize a contract that names none yet; everyone else sees only their own.
  const unnamedForNotary = action === "signed-by-notary" && roles.callerIsNotary && k?.notaryUid === null;
  if (!k || !(isContractParty(k, caller) || unnamedForNotary)) throw contractNotFound();
  const party = k.borrowerUid === caller || k.lenderUid === caller;
  switch (action) {
    case "signed-by-borrower":
      if (k.borrowerUid !== caller) throw forbidden("not_allowed", "only the borrower signs as borrower");
      if (k.signedByBorrowerAt !== null) return "already";
      break;
    case "signed-by-lender":
      if (k.lenderUid !== caller) throw forbidden("not_allowed", "only the lender signs as lender");
      if (k.signedByLenderAt !== null) return "already";
      break;
    case "signed-by-notary":
      if (party) throw forbidden("not_notary", "a party to the contract cannot notarize it");
      if (!roles.callerIsNotary) throw forbidden("not_notary", "only a notary may notarize a contract");
      if (k.signedByNotaryAt !== null) return "already";
      break;
    case "assign-notary":
    case "cancel":
      if (!party)
        throw forbidden(
          "not_allowed",
          `only the borrower or the lender may ${action === "cancel" ? "cancel" : "name the notary"}`,
        );
      break;
  }
  assertTransition("contract", CONTRACT_TRANSITIONS, action, k.status);
  if (action === "assign-notary") {
    if (notaryUid === k.borrowerUid || notaryUid === k.lenderUid) {
      throw badRequest("invalid_notary", "a party to the contract cannot be its notary");
    }
    if (!roles.targetIsNotary) throw badRequest("invalid_notary", "notaryUid does not hold the notary role");
    if (k.notaryUid === notaryUid) return "unchanged";
  }
  return "write";
}

/** The row after a successful write of `action` (what the batch's UPDATE does to it). */
function applied(k: ContractRow, caller: string, action: ContractAction, now: number, notaryUid?: string): ContractRow {
  const base = { ...k, updatedAt: now };
  switch (action) {
    case "signed-by-borrower":
      return { ...base, signedByBorrowerAt: now, status: k.signedByLenderAt !== null ? "pending-notary" : "draft" };
    case "signed-by-lender":
      return { ...base, signedByLenderAt: now, status: k.signedByBorrowerAt !== null ? "pending-notary" : "draft" };
    case "signed-by-notary":
      return { ...base, signedByNotaryAt: now, notaryUid: caller, status: "signed" };
    case "assign-notary":
      return { ...base, notaryUid: notaryUid ?? null };
    case "cancel":
      return { ...base, status: "cancelled", cancelledBy: caller };
  }
}

/** The CAS of `action`: every rule of {@link decideContractAction}, as SQL over the current row. */
function casWhere(id: string, caller: string, action: ContractAction, notaryUid?: string): SQL | undefined {
  const c = mortgageContracts;
  const from = CONTRACT_TRANSITIONS[action].from as readonly ContractRow["status"][];
  const base = and(eq(c.id, id), inArray(c.status, [...from]));
  const party = or(eq(c.borrowerUid, caller), eq(c.lenderUid, caller));
  switch (action) {
    case "signed-by-borrower":
      return and(base, eq(c.borrowerUid, caller), sql`${c.signedByBorrowerAt} IS NULL`);
    case "signed-by-lender":
      return and(base, eq(c.lenderUid, caller), sql`${c.signedByLenderAt} IS NULL`);
    case "signed-by-notary":
      return and(
        base,
        sql`${c.signedByNotaryAt} IS NULL`,
        or(sql`${c.notaryUid} IS NULL`, eq(c.notaryUid, caller)),
        ne(c.borrowerUid, caller),
        ne(c.lenderUid, caller),
        hasRoleSql(caller, "notary"),
      );
    case "assign-notary": {
      const target = notaryUid ?? "";
      return and(base, party, ne(c.borrowerUid, target), ne(c.lenderUid, target), hasRoleSql(target, "notary"));
    }
    case "cancel":
      return and(base, party);
  }
}

/**
 * With an Idempotency-Key the answer is stored in the batch, so it is computed from the row read
 * before: the CAS then also requires that row's signatures and notary to be unchanged (a
 * concurrent signature makes this request a 409 `concurrent_update` rather than a wrong answer).
 */
function pinned(k: ContractRow): SQL {
  const c = mortgageContracts;
  return sql`${c.status} = ${k.status} AND ${c.signedByBorrowerAt} IS ${k.signedByBorrowerAt}
    AND ${c.signedByLenderAt} IS ${k.signedByLenderAt} AND ${c.notaryUid} IS ${k.notaryUid}`;
}

/** The SET of `action`. Status follows the other party's signature as it is in the row at write time. */
function setOf(caller: string, action: ContractAction, now: number, notaryUid?: string) {
  const c = mortgageContracts;
  switch (action) {
    case "signed-by-borrower":
      return {
        signedByBorrowerAt: now,
        status: sql`CASE WHEN ${c.signedByLenderAt} IS NOT NULL THEN 'pending-notary' ELSE 'draft' END`,
        updatedAt: now,
      };
    case "signed-by-lender":
      return {
        signedByLenderAt: now,
        status: sql`CASE WHEN ${c.signedByBorrowerAt} IS NOT NULL THEN 'pending-notary' ELSE 'draft' END`,
        updatedAt: now,
      };
    case "signed-by-notary":
      return { signedByNotaryAt: now, notaryUid: caller, status: "signed" as const, updatedAt: now };
    case "assign-notary":
      return { notaryUid: notaryUid ?? null, updatedAt: now };
    case "cancel":
      return { status: "cancelled" as const, cancelledBy: caller, updatedAt: now };
  }
}

/** Reads the contract and the roles its action depends on. */
async function readState(ctx: Ctx, id: string): Promise<[ContractRow | undefined, Roles]> {
  const { db, body: b } = ctx;
  const caller = callerOf(ctx);
  const [krows, callerRole, targetRole] = await ctx.read([
    db.select().from(mortgageContracts).where(eq(mortgageContracts.id, id)),
    roleQuery(db, caller, "notary"),
    roleQuery(db, b.notaryUid ?? "", "notary"),
  ]);
  return [
    krows[0],
    { callerIsNotary: callerRole.length > 0, targetIsNotary: b.notaryUid !== undefined && targetRole.length > 0 },
  ];
}

const unchangedResult = (k: ContractRow, alreadySigned: boolean): HandlerResult => ({
  body: { ok: true, alreadySigned, contract: toContract(k) },
});

/** `POST /api/hypotheken/vertrag/update-status` */
export async function updateContractStatus(ctx: Ctx): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const id = b.contractVoucherId;
  const [k, roles] = await readState(ctx, id);
  const decision = decideContractAction(k, caller, b.action, roles, b.notaryUid);
  if (!k) throw contractNotFound();
  if (decision !== "write") return unchangedResult(k, decision === "already");

  const eventId = newId("ev", now);
  const cancel = b.action === "cancel";
  const meta: Record<string, unknown> = { action: b.action, ...(b.notaryUid ? { notaryUid: b.notaryUid } : {}) };
  const statements: Statement[] = [
    db
      .update(mortgageContracts)
      .set(setOf(caller, b.action, now, b.notaryUid))
      .where(and(casWhere(id, caller, b.action, b.notaryUid), ctx.idempotent ? pinned(k) : undefined)),
    abortUnlessChanged(db),
    mortgageEvent(ctx, {
      id: eventId,
      type: cancel ? "mortgage.contract.cancel" : "mortgage.sign",
      subjectType: CONTRACT_SUBJECT,
      subjectId: id,
      meta,
    }),
  ];
  if (b.action === "signed-by-notary") {
    statements.push(
      chargeStatement(db, {
        feeId: CONTRACT_FEE,
        subjectType: CONTRACT_SUBJECT,
        subjectId: id,
        source: sql`SELECT loan_amount AS base_amount, currency AS base_currency, lender_uid AS payer_uid
          FROM mortgage_contracts WHERE id = ${id} AND status = 'signed'`,
        beneficiaryId: ctx.config.platformId,
        now,
      }),
    );
  }
  // A contract is charged only once signed, and a signed contract cannot be cancelled; the
  // reversal still runs so that a cancelled contract can never keep a charge, whatever wrote it.
  if (cancel) statements.push(reversalStatement(db, CONTRACT_SUBJECT, id, now));

  const push = {
    eventId,
    type: cancel ? "mortgage.contract.cancel" : "mortgage.sign",
    subject: id,
    data: { contractVoucherId: id, ...meta },
  };
  const rooms = [mortgageRoomId("contract", id)];
  try {
    if (ctx.idempotent) {
      return await commitAndPush(
        ctx,
        statements,
        unchangedResult(applied(k, caller, b.action, now, b.notaryUid), false),
        rooms,
        push,
      );
    }
    const after = db.select().from(mortgageContracts).where(eq(mortgageContracts.id, id));
    return await commitAndPush(
      ctx,
      [...statements, after],
      (rows) => {
        const [row] = rows[rows.length - 1] as ContractRow[];
        if (!row) throw new Error("contract vanished after its update");
        return unchangedResult(row, false);
      },
      rooms,
      push,
    );
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    // Refused inside the batch: the same rules name the reason against the row as it is now.
    const [cur, curRoles] = await readState(ctx, id);
    const again = decideContractAction(cur, caller, b.action, curRoles, b.notaryUid);
    if (cur && again !== "write") return unchangedResult(cur, again === "already");
    throw conflict("concurrent_update", "the contract changed while the request ran; retry");
  }
}
