/**
 * Monitoring routes: stats, the event log, the dashboard and health. Admin routes
 * need the `ADMIN_TOKEN` bearer; health is public. All are reads: handlers only parse, call one
 * function of this folder and return its body.
 *
 * @module
 */
import * as z from "zod";
import { LimitParam } from "../http/query";
import { type AnyRoute, defineRoute } from "../http/route";
import { MinorTotal } from "../money/totals";
import { dashboard as buildDashboardFromDb } from "./dashboard";
import { listEvents, parseTypeFilter } from "./events";
import { health as runHealth } from "./health";
import { feeStats, presenceStats, voucherStats } from "./stats";
import { InstantParam, RangeQuery, resolveRange } from "./time";

const ok = z.literal(true);
const Tally = z.object({ count: z.number().int(), amount: MinorTotal });

export const statsPresence = defineRoute({
  id: "admin.stats.presence",
  method: "GET",
  path: "/api/admin/stats/presence",
  tag: "admin",
  summary: "Presence now: sessions seen (online) in the last 60 s, sessions by status, the top pair codes.",
  auth: "admin",
  access: "read",
  query: z.strictObject({ top: LimitParam(100, 10) }),
  response: z.object({
    ok,
    at: z.string(),
    windowSeconds: z.number().int(),
    activeSessions: z.number().int(),
    sessions: z.number().int(),
    statuses: z.object({ online: z.number().int(), offline: z.number().int() }),
    pairCodes: z.array(z.object({ pairCode: z.string(), sessions: z.number().int(), active: z.number().int() })),
  }),
  handler: async (ctx) => ({ body: await presenceStats(ctx.db, ctx.now, ctx.query.top) }),
});

export const statsVouchers = defineRoute({
  id: "admin.stats.vouchers",
  method: "GET",
  path: "/api/admin/stats/vouchers",
  tag: "admin",
  summary:
    "Book / cancel / reschedule actions per UTC day of [from, to) (default: the last 30 days, at most 366), and per template the vouchers issued in the window and how many of them hold or held a slot (utilization in basis points).",
  auth: "admin",
  access: "read",
  query: RangeQuery,
  response: z.object({
    ok,
    from: z.string(),
    to: z.string(),
    bookingsPerDay: z.array(
      z.object({ day: z.string(), booked: z.number().int(), cancelled: z.number().int(), rescheduled: z.number().int() }),
    ),
    templates: z.array(
      z.object({
        templateId: z.string().nullable(),
        title: z.string().nullable(),
        vouchersIssued: z.number().int(),
        slotsBooked: z.number().int(),
        utilizationBp: z.number().int().nullable(),
      }),
    ),
  }),
  errors: { invalid_range: "400 from ≥ to, or more than 366 days" },
  handler: async (ctx) => ({ body: await voucherStats(ctx.db, resolveRange(ctx.query, ctx.now)) }),
});

export const statsFees = defineRoute({
  id: "admin.stats.fees",
  method: "GET",
  path: "/api/admin/stats/fees",
  tag: "admin",
  summary:
    "Fee ledger per UTC day × currency of [from, to) (charges, reversals, net; minor units) with per-currency totals, and the settlements whose period starts in the window by status.",
  auth: "admin",
  access: "read",
  query: RangeQuery,
  response: z.object({
    ok,
    from: z.string(),
    to: z.string(),
    days: z.array(z.object({ day: z.string(), currency: z.string(), charges: Tally, reversals: Tally, net: MinorTotal })),
    totals: z.array(z.object({ currency: z.string(), charges: Tally, reversals: Tally, net: MinorTotal })),
    settlements: z.array(z.object({ currency: z.string(), open: Tally, invoiced: Tally, paid: Tally })),
  }),
  errors: { invalid_range: "400 from ≥ to, or more than 366 days" },
  handler: async (ctx) => ({ body: await feeStats(ctx.db, resolveRange(ctx.query, ctx.now)) }),
});

const EventItemOut = z.object({
  id: z.string(),
  type: z.string(),
  actorId: z.string().nullable(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  meta: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

/** Event types are dotted names; `<prefix>.*` selects every type under the prefix. */
const TypeParam = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*(\.\*)?$/, "a type such as voucher.book, or a prefix such as voucher.*");

export const events = defineRoute({
  id: "admin.events",
  method: "GET",
  path: "/api/admin/events",
  tag: "admin",
  summary:
    "The event log, newest first. Filters: type (exact, or prefix `voucher.*`), subject_id, created[gte] / created[lt] (epoch ms or ISO-8601); cursor: starting_after = the last id of the previous page.",
  auth: "admin",
  access: "read",
  query: z.strictObject({
    limit: LimitParam(100, 50),
    type: TypeParam.optional(),
    subject_id: z.string().min(1).max(200).optional(),
    "created[gte]": InstantParam.optional(),
    "created[lt]": InstantParam.optional(),
    starting_after: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, "an event id")
      .optional(),
  }),
  response: z.object({ ok, items: z.array(EventItemOut), has_more: z.boolean(), nextCursor: z.string().nullable() }),
  handler: async ({ db, query: q }) => ({
    body: await listEvents(db, {
      limit: q.limit,
      type: q.type === undefined ? undefined : parseTypeFilter(q.type),
      subjectId: q.subject_id,
      createdGte: q["created[gte]"],
      createdLt: q["created[lt]"],
      startingAfter: q.starting_after,
    }),
  }),
});

const DashboardOut = z.object({
  ok,
  productionReadiness: z.number(),
  qualityScore: z.number(),
  systemStability: z.number(),
  activityCount: z.number().int(),
  productionTimeline: z.array(z.object({ date: z.string(), count: z.number().int() })),
  errorStats: z.object({
    rate: z.number(),
    count: z.number().int(),
    total: z.number().int(),
    topErrors: z.array(z.object({ type: z.string(), count: z.number().int() })),
  }),
  fixStats: z.object({ rate: z.number(), fixesPerWeek: z.number().int(), openErrors: z.number().int() }),
  featureMaturity: z.array(z.object({ name: z.string(), events: z.number().int(), errorRate: z.number() })),
  recentEvents: z.array(EventItemOut),
  backupHealth: z.object({ status: z.literal("not_tracked"), lastBackup: z.null(), backupFrequency: z.null() }),
});

export const dashboard = defineRoute({
  id: "admin.dashboard",
  method: "GET",
  path: "/api/admin/dashboard",
  tag: "admin",
  summary:
    "The original production dashboard (readiness, quality, stability, 7-day timeline, errors, fixes, features, 20 recent events), computed from the events of the last 30 days.",
  auth: "admin",
  access: "read",
  response: DashboardOut,
  handler: async (ctx) => ({ body: await buildDashboardFromDb(ctx.db, ctx.now) }),
});

const Check = z.looseObject({ ok: z.boolean() });

export const health = defineRoute({
  id: "health",
  method: "GET",
  path: "/api/health",
  tag: "monitoring",
  summary:
    "Public health: D1 answers, bundled migrations applied, newest settlement run and its age. 200 healthy, 503 (same body) when D1 fails or migrations are behind.",
  auth: "none",
  access: "read",
  // Must answer while D1 is down: no rate-limit counter write (docs/operations.md, Monitoring).
  rateLimited: false,
  response: z.object({ ok: z.boolean(), at: z.string(), checks: z.object({ d1: Check, migrations: Check, settlement: Check }) }),
  handler: async (ctx) => {
    const r = await runHealth(ctx.db, ctx.now, ctx.log);
    return { status: r.status, body: r.body, headers: { "cache-control": "no-store" } };
  },
});

/** Every monitoring route, for the registry. */
export const monitoringRoutes: readonly AnyRoute[] = [statsPresence, statsVouchers, statsFees, events, dashboard, health];
