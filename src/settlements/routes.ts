/**
 * Settlement and fee administration routes, all behind the `ADMIN_TOKEN` bearer.
 *
 * @module
 */
import * as z from "zod";
import { FeeUpdateBody, listFees, updateFee } from "../fees/admin";
import { AppError, badRequest } from "../core/errors";
import { CursorParam, LimitParam } from "../http/query";
import { type AnyRoute, defineRoute } from "../http/route";
import { Currency } from "../money/money";
import { MinorTotal } from "../money/totals";
import { FEE_KINDS, ROUNDING_MODES } from "../db/schema";
import {
  type SettlementFilter,
  getSettlement,
  listSettlements,
  settlementPage,
  settlementWhere,
  toSettlement,
  transition,
} from "./admin";
import { SETTLEMENT_CSV_COLUMNS, csvLine, settlementCsvLine } from "./csv";
import { periodProblem } from "./period";
import { runSettlement } from "./run";

const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const ok = z.literal(true);

const FilterQuery = {
  status: z.enum(["open", "invoiced", "paid"]).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  beneficiary: z.string().min(1).max(128).optional(),
  payer: z.string().min(1).max(128).optional(),
  currency: Currency.optional(),
};
const ListQuery = z.strictObject({ ...FilterQuery, limit: LimitParam(100, 50), cursor: CursorParam });
const ExportQuery = z.strictObject(FilterQuery);
/** The detail's cursor is the last fee event's ledger position (`seq`), as the page returned it. */
const DetailQuery = z.strictObject({
  limit: LimitParam(500, 100),
  cursor: z
    .string()
    .regex(/^[0-9]{1,15}$/, "a cursor from a previous page")
    .transform(Number)
    .optional(),
});
const SettlementOut = z.object({
  id: z.string(),
  beneficiaryId: z.string(),
  payerUid: z.string(),
  periodFrom: z.string(),
  periodTo: z.string(),
  currency: z.string(),
  /** Decimal string: a settlement sums any number of fee events, so its total may pass 2^53. */
  totalAmount: MinorTotal,
  itemCount: z.number().int(),
  status: z.enum(["open", "invoiced", "paid"]),
  createdAt: z.string(),
  updatedAt: z.string(),
  invoicedAt: z.string().nullable(),
  paidAt: z.string().nullable(),
});

const Int = z.number().int();
const FeeEventOut = z.object({
  id: z.string(),
  seq: Int,
  feeId: z.string(),
  kind: z.enum(FEE_KINDS),
  subjectType: z.string(),
  subjectId: z.string(),
  amount: Int,
  currency: z.string(),
  baseAmount: Int,
  ratePpm: Int,
  fixedAmount: Int,
  rounding: z.enum(ROUNDING_MODES),
  ruleVersion: Int,
  payerUid: z.string(),
  beneficiaryId: z.string(),
  reversesId: z.string().nullable(),
  settlementId: z.string().nullable(),
  createdAt: z.string(),
});
const RunOut = z.object({
  status: z.literal("done"),
  periodId: z.string(),
  assigned: Int,
  chunks: Int,
  settlements: Int,
  reconciliation: z.array(
    z.object({
      currency: z.string(),
      settlementTotal: MinorTotal,
      settlementItems: Int,
      eventTotal: MinorTotal,
      eventCount: Int,
      ok: z.boolean(),
    }),
  ),
  chunkMismatches: z.array(Int),
  durationMs: z.number(),
  phases: z.object({ begin: z.number(), chunks: z.number(), finalize: z.number() }),
});
const FeeOut = z.object({
  id: z.string(),
  scope: z.enum(["voucher", "transfer", "room", "mortgage"]),
  ratePpm: Int,
  fixedAmount: Int,
  currency: z.string().nullable(),
  rounding: z.enum(ROUNDING_MODES),
  payer: z.enum(["issuer", "holder", "borrower", "lender", "actor"]),
  active: z.boolean(),
  version: Int,
  meta: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
});

const settlementId = (params: Record<string, string>) => {
  const id = params.id ?? "";
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) throw badRequest("bad_settlement_id", "invalid settlement id");
  return id;
};

export const run = defineRoute({
  id: "admin.settlements.run",
  method: "POST",
  path: "/api/admin/settlements/run",
  tag: "admin",
  summary:
    "Settle a period now (same code path as the cron): fee events created before `to` and not settled yet → open settlements of [from, to).",
  auth: "admin",
  access: "write",
  // The run is idempotent by construction (a rerun changes nothing), so no stored response.
  idempotent: false,
  body: z.strictObject({ from: Instant, to: Instant }),
  response: z.object({ ok, run: RunOut }),
  errors: {
    invalid_period: "400",
    run_in_progress: "409",
    reconciliation_failed: "500 totals disagree with the fee events; nothing settled (`details` is the failed run)",
    lease_lost: "500 another run took the ledger's lease; retry (`details` is the failed run)",
  },
  async handler(ctx) {
    const period = { from: ctx.body.from, to: ctx.body.to };
    const problem = periodProblem(period, ctx.now);
    if (problem) throw badRequest("invalid_period", problem);
    const outcome = await runSettlement({ db: ctx.db, period, trigger: "admin", log: ctx.log, requestId: ctx.requestId });
    if (outcome.status === "skipped") {
      throw new AppError(409, "run_in_progress", "another settlement run holds the ledger's lease; retry later", undefined, {
        "retry-after": "30",
      });
    }
    if (outcome.status === "failed") throw new AppError(500, outcome.error, "the settlement run failed", outcome);
    return { body: { ok: true, run: outcome } };
  },
});

export const list = defineRoute({
  id: "admin.settlements.list",
  method: "GET",
  path: "/api/admin/settlements",
  tag: "admin",
  summary: "Settlements, newest first; filters status, period (from/to), beneficiary, payer, currency; cursor pagination.",
  auth: "admin",
  access: "read",
  query: ListQuery,
  response: z.object({ ok, items: z.array(SettlementOut), nextCursor: z.string().nullable() }),
  handler: async (ctx) => ({ body: await listSettlements(ctx, ctx.query, ctx.query) }),
});

export const exportCsv = defineRoute({
  id: "admin.settlements.export",
  method: "GET",
  path: "/api/admin/settlements/export.csv",
  tag: "admin",
  summary: "All settlements matching the filters as CSV (total_minor: exact integer minor units), streamed page by page.",
  auth: "admin",
  access: "read",
  query: ExportQuery,
  async handler(ctx) {
    const where = settlementWhere(ctx.query as SettlementFilter);
    const db = ctx.db;
    let cursor: string | undefined;
    let headerSent = false;
    // Pulled page by page as the client reads: memory stays flat however many rows match.
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const enc = new TextEncoder();
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(enc.encode(csvLine([...SETTLEMENT_CSV_COLUMNS])));
        }
        const page = await settlementPage(db, where, { limit: 500, cursor });
        if (page.items.length > 0)
          controller.enqueue(enc.encode(page.items.map((s) => settlementCsvLine(toSettlement(s))).join("")));
        if (!page.nextCursor) controller.close();
        else cursor = page.nextCursor;
      },
    });
    return {
      body: null,
      raw: new Response(stream, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": 'attachment; filename="settlements.csv"',
          "x-request-id": ctx.requestId,
        },
      }),
    };
  },
});

export const get = defineRoute({
  id: "admin.settlements.get",
  method: "GET",
  path: "/api/admin/settlements/:id",
  tag: "admin",
  summary: "A settlement with its fee events (in ledger order; cursor = `nextCursor` of the previous page).",
  auth: "admin",
  access: "read",
  query: DetailQuery,
  response: z.object({ ok, settlement: SettlementOut, feeEvents: z.array(FeeEventOut), nextCursor: z.string().nullable() }),
  errors: { bad_settlement_id: "400", settlement_not_found: "404" },
  handler: async (ctx) => ({ body: await getSettlement(ctx, settlementId(ctx.params), ctx.query) }),
});

const transitionRoute = (action: "invoice" | "pay") =>
  defineRoute({
    id: `admin.settlements.${action}`,
    method: "POST",
    path: `/api/admin/settlements/:id/${action}`,
    tag: "admin",
    summary:
      action === "invoice"
        ? "open → invoiced (totals recomputed and frozen); later fee events go into the next open settlement."
        : "invoiced → paid.",
    auth: "admin",
    access: "write",
    // Compare-and-swap: a repeat answers 409 invalid_transition with the current status.
    idempotent: false,
    response: z.object({ ok, settlement: SettlementOut }),
    errors: { bad_settlement_id: "400", settlement_not_found: "404", invalid_transition: "409" },
    handler: (ctx) => transition(ctx, settlementId(ctx.params), action),
  });

export const invoice = transitionRoute("invoice");
export const pay = transitionRoute("pay");

export const fees = defineRoute({
  id: "admin.fees.list",
  method: "GET",
  path: "/api/admin/fees",
  tag: "admin",
  summary: "Fee rules with their current version.",
  auth: "admin",
  access: "read",
  response: z.object({ ok, items: z.array(FeeOut) }),
  handler: async (ctx) => ({ body: await listFees(ctx) }),
});

export const feeUpdate = defineRoute({
  id: "admin.fees.update",
  method: "PUT",
  path: "/api/admin/fees/:id",
  tag: "admin",
  summary:
    "Change a fee rule (rate, fixed amount, currency, rounding, active); bumps its version; past fee events keep their snapshot.",
  auth: "admin",
  access: "write",
  body: FeeUpdateBody,
  response: z.object({ ok, fee: FeeOut }),
  errors: { fee_not_found: "404", version_conflict: "409" },
  handler: (ctx) => updateFee(ctx, ctx.params.id ?? ""),
});

/** Every settlement and fee route, for the registry. */
export const settlementRoutes: readonly AnyRoute[] = [run, list, exportCsv, get, invoice, pay, fees, feeUpdate];
