/**
 * Telbank writes. Logging a transfer is ONE D1 batch: the row, its `transfer.logged` event and
 * the `transfer.logged` fee charge (computed in SQL from the row just inserted; nothing while the
 * rule is inactive). A status change is a compare-and-swap on `status = 'logged'` (and on the
 * owner, unless the admin acts) guarded by `abortUnlessChanged`, with its event in the same batch.
 *
 * @module
 */
import { and, eq, sql } from "drizzle-orm";
import { type Statement, abortUnlessChanged, isGuardAbort } from "../db/client";
import { newId } from "../db/ids";
import { transfers } from "../db/schema";
import { eventStatement } from "../events/events";
import { chargeStatement } from "../fees/fees";
import { conflict, notFound } from "../core/errors";
import { ADMIN_CALLER } from "../http/admin";
import type { HandlerContext, HandlerResult } from "../http/route";
import { type TransferRow, assertTransferTransition, defaultLabel, toTransfer } from "./model";
import type { TransferBody, TransferStatusBody } from "./schemas";

/** The fee rule a logged transfer is charged by (inactive until an admin sets it). */
export const TRANSFER_FEE = "transfer.logged";
/** Subject type of transfers in events and fee events. */
export const TRANSFER_SUBJECT = "transfer";

/** 404 for a transfer that does not exist or is not the caller's (the two are not told apart). */
export const transferNotFound = () => notFound("transfer_not_found", "no such transfer among the caller's");

/** `POST /api/telbank/transfers` */
export async function logTransfer(ctx: HandlerContext<TransferBody, undefined>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const owner = ctx.caller ?? "";
  const id = newId(b.direction, now);
  const row: TransferRow = {
    id,
    actorUid: owner,
    direction: b.direction,
    label: b.label ?? defaultLabel(b.direction),
    walletAddress: b.walletAddress,
    network: b.network,
    cryptoAmount: b.units.toString(),
    cryptoDecimals: b.decimals,
    cryptoSymbol: b.cryptoSymbol,
    fiatAmount: b.fiatAmount,
    fiatCurrency: b.fiatCurrency,
    externalAccount: b.externalAccount,
    meta: JSON.stringify(b.meta ?? {}),
    status: "logged",
    statusChangedAt: null,
    statusReason: null,
    createdAt: now,
    updatedAt: now,
  };
  const statements: Statement[] = [
    db.insert(transfers).values(row),
    // The wallet address and account stay out of the event log: they are personal data that the
    // transfer row already holds, and the log is read by the admin feed.
    eventStatement(db, {
      type: "transfer.logged",
      actorUid: owner,
      subjectType: TRANSFER_SUBJECT,
      subjectId: id,
      meta: { direction: b.direction, network: b.network, cryptoSymbol: b.cryptoSymbol, fiatCurrency: b.fiatCurrency },
      requestId: ctx.requestId,
      now,
    }),
    // Charged from the row just inserted, so it is exactly the stored fiat value; the unique
    // (subject, rule) index on charges makes a second charge of the same transfer impossible.
    chargeStatement(db, {
      feeId: TRANSFER_FEE,
      subjectType: TRANSFER_SUBJECT,
      subjectId: id,
      source: sql`SELECT fiat_amount AS base_amount, fiat_currency AS base_currency, actor_uid AS payer_uid
        FROM transfers WHERE id = ${id}`,
      beneficiaryId: ctx.config.platformId,
      now,
    }),
  ];
  return ctx.commit(statements, { body: { ok: true, transfer: toTransfer(row) } });
}

/** Reads a transfer the caller may see: its owner's, or any for the admin. */
async function visibleTransfer(ctx: HandlerContext<unknown, unknown>, id: string): Promise<TransferRow> {
  const [[t]] = await ctx.read([ctx.db.select().from(transfers).where(eq(transfers.id, id))]);
  if (!t || (ctx.caller !== ADMIN_CALLER && t.actorUid !== ctx.caller)) throw transferNotFound();
  return t;
}

/** `GET /api/telbank/transfers/:id` */
export async function getTransfer(ctx: HandlerContext<undefined, undefined>, id: string): Promise<HandlerResult> {
  return { body: { ok: true, transfer: toTransfer(await visibleTransfer(ctx, id)) } };
}

/**
 * `POST /api/telbank/transfers/:id/status` (the owner) and `POST /api/admin/telbank/transfers/:id/status`
 * (the admin): `logged → settled | failed`, once.
 */
export async function changeTransferStatus(
  ctx: HandlerContext<TransferStatusBody, undefined>,
  id: string,
): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const admin = ctx.caller === ADMIN_CALLER;
  const t = await visibleTransfer(ctx, id);
  assertTransferTransition(t.status, b.status);
  const reason = b.reason ?? null;
  const after: TransferRow = { ...t, status: b.status, statusChangedAt: now, statusReason: reason, updatedAt: now };
  const statements: Statement[] = [
    db
      .update(transfers)
      .set({ status: b.status, statusChangedAt: now, statusReason: reason, updatedAt: now })
      .where(
        and(eq(transfers.id, id), eq(transfers.status, t.status), admin ? undefined : eq(transfers.actorUid, ctx.caller ?? "")),
      ),
    abortUnlessChanged(db),
    eventStatement(db, {
      type: `transfer.${b.status}`,
      actorUid: ctx.caller,
      subjectType: TRANSFER_SUBJECT,
      subjectId: id,
      meta: { from: t.status, to: b.status, ...(reason ? { reason } : {}), by: admin ? "admin" : "owner" },
      requestId: ctx.requestId,
      now,
    }),
  ];
  try {
    return await ctx.commit(statements, { body: { ok: true, transfer: toTransfer(after) } });
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    // Refused inside the batch: the transfer changed since the read; name the reason from its state now.
    const current = await db.select().from(transfers).where(eq(transfers.id, id)).get();
    if (current) assertTransferTransition(current.status, b.status);
    throw conflict("concurrent_update", "the transfer changed while the request ran; retry");
  }
}
