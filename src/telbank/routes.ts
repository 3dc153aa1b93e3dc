/**
 * Route declarations of the telbank API: the original `GET`/`POST /api/telbank/transfers`, the
 * single transfer, its status change by the owner or the admin, and the admin statistics.
 *
 * @module
 */
import { and, eq, inArray } from "drizzle-orm";
import * as z from "zod";
import { newestFirst } from "../db/pagination";
import { transfers } from "../db/schema";
import type { AnyRoute } from "../http/route";
import { defineRoute } from "../http/route";
import { changeTransferStatus, getTransfer, logTransfer, transferNotFound } from "./actions";
import { addressSpellings } from "./addresses";
import { TransferOut, toTransfer } from "./model";
import { TransferBody, TransferListQuery, TransferStatusBody } from "./schemas";
import { MinorTotal } from "../money/totals";
import { RangeQuery, resolveRange } from "../monitoring/time";
import { telbankStats } from "./stats";

const ok = z.literal(true);
const NOT_FOUND = { transfer_not_found: "404 no such transfer among the caller's" };
const STATUS_ERRORS = {
  ...NOT_FOUND,
  invalid_transition: "409 the status does not allow this change ({from, to} in details)",
  concurrent_update: "409 the transfer changed while the request ran; retry",
};

/** A transfer id from the path: 404 for anything that cannot be one. */
const transferId = (params: Record<string, string>) => {
  const id = params.id ?? "";
  if (!/^(in|out)-[0-9a-z]{9}-[0-9a-z]{1,32}$/.test(id)) throw transferNotFound();
  return id;
};

export const createTransfer = defineRoute({
  id: "telbank.transfer.create",
  method: "POST",
  path: "/api/telbank/transfers",
  tag: "telbank",
  summary:
    "Log a fiat↔crypto transfer of the caller: the crypto amount exact (decimal string, at most the asset's decimals), the wallet address checked for its network, an IBAN by mod-97; one batch with its event and the transfer.logged fee.",
  auth: "required",
  access: "write",
  body: TransferBody,
  response: z.object({ ok, transfer: TransferOut }),
  handler: logTransfer,
});

export const listTransfers = defineRoute({
  id: "telbank.transfer.list",
  method: "GET",
  path: "/api/telbank/transfers",
  tag: "telbank",
  summary: "The caller's transfers, newest first, cursor-paginated; filters walletAddress (exact) and direction. IBANs masked.",
  auth: "required",
  access: "read",
  query: TransferListQuery,
  response: z.object({ ok, items: z.array(TransferOut), nextCursor: z.string().nullable() }),
  async handler({ query: q, db, caller }) {
    const where = and(
      eq(transfers.actorUid, caller ?? ""),
      q.walletAddress ? inArray(transfers.walletAddress, addressSpellings(q.walletAddress)) : undefined,
      q.direction ? eq(transfers.direction, q.direction) : undefined,
    );
    const p = await newestFirst(db, transfers, where, q);
    return { body: { ok: true, items: p.items.map((t) => toTransfer(t, { masked: true })), nextCursor: p.nextCursor } };
  },
});

export const transfer = defineRoute({
  id: "telbank.transfer.get",
  method: "GET",
  path: "/api/telbank/transfers/:id",
  tag: "telbank",
  summary: "One of the caller's transfers (account unmasked).",
  auth: "required",
  access: "read",
  response: z.object({ ok, transfer: TransferOut }),
  errors: NOT_FOUND,
  handler: (ctx) => getTransfer(ctx, transferId(ctx.params)),
});

export const transferStatus = defineRoute({
  id: "telbank.transfer.status",
  method: "POST",
  path: "/api/telbank/transfers/:id/status",
  tag: "telbank",
  summary: "The owner marks a logged transfer settled or failed (once; both are final).",
  auth: "required",
  access: "write",
  body: TransferStatusBody,
  response: z.object({ ok, transfer: TransferOut }),
  errors: STATUS_ERRORS,
  handler: (ctx) => changeTransferStatus(ctx, transferId(ctx.params)),
});

export const adminTransferStatus = defineRoute({
  id: "admin.telbank.transfer.status",
  method: "POST",
  path: "/api/admin/telbank/transfers/:id/status",
  tag: "admin",
  summary: "The admin marks any logged transfer settled or failed (once; both are final).",
  auth: "admin",
  access: "write",
  body: TransferStatusBody,
  response: z.object({ ok, transfer: TransferOut }),
  errors: { ...STATUS_ERRORS },
  handler: (ctx) => changeTransferStatus(ctx, transferId(ctx.params)),
});

const CountsOut = { count: z.number().int(), settled: z.number().int(), failed: z.number().int() };
const FiatOut = { ...CountsOut, currency: z.string(), volume: MinorTotal };
const CryptoOut = {
  ...CountsOut,
  symbol: z.string(),
  decimals: z.number().int(),
  units: z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/)
    .describe("Exact total in base units (parse with BigInt)."),
  amount: z.string().describe("The same total as a decimal of the asset's unit."),
};
const Key = { day: z.string(), direction: z.enum(["in", "out"]), network: z.string().nullable() };

export const statsTelbank = defineRoute({
  id: "admin.stats.telbank",
  method: "GET",
  path: "/api/admin/stats/telbank",
  tag: "admin",
  summary:
    "Telbank transfers per UTC day × direction × network of [from, to) (default: the last 30 days, at most 366): counts (all, settled, failed), exact fiat volumes per currency and exact crypto volumes per symbol, with totals per direction.",
  auth: "admin",
  access: "read",
  query: RangeQuery,
  response: z.object({
    ok: z.literal(true),
    from: z.string(),
    to: z.string(),
    fiat: z.array(z.object({ ...Key, ...FiatOut })),
    crypto: z.array(z.object({ ...Key, ...CryptoOut })),
    totals: z.object({
      fiat: z.array(z.object({ direction: z.enum(["in", "out"]), ...FiatOut })),
      crypto: z.array(z.object({ direction: z.enum(["in", "out"]), ...CryptoOut })),
    }),
  }),
  errors: {
    invalid_range: "400 from ≥ to, or more than 366 days",
  },
  handler: async (ctx) => ({ body: await telbankStats(ctx.db, resolveRange(ctx.query, ctx.now)) }),
});

/** Every telbank route, for the registry in `src/routes.ts`. */
export const telbankRoutes: readonly AnyRoute[] = [
  createTransfer,
  listTransfers,
  transfer,
  transferStatus,
  adminTransferStatus,
  statsTelbank,
];
