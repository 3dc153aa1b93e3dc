/**
 * `GET /api/admin/stats/mortgage`: the pipeline per UTC day — applications submitted, offers
 * made, offers accepted, contracts signed, tranches placed, each as a count and a volume per
 * currency — and the window's cohort of applications through the stages (conversion in basis
 * points). Counts are integers; volumes decimal strings summed exactly (they add unbounded rows).
 *
 * Each stage is dated by its own instant: an application by its creation, an offer by its
 * creation, an acceptance by its contract's creation (the accept batch creates the contract), a
 * signature by the notary's, a placement by the subscription.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import * as z from "zod";
import { type Db, rawBatch } from "../db/client";
import { defineRoute } from "../http/route";
import { MinorTotal, exactSumSql, joinExactSum, minorTotal } from "../money/totals";
import { basisPoints } from "../monitoring/stats";
import { DAY_MS, type Range, RangeQuery, dayKey, resolveRange } from "../monitoring/time";

/** The stages, in pipeline order. */
export const STAGES = ["applications", "offers", "accepted", "signed", "tranchesPlaced"] as const;
export type Stage = (typeof STAGES)[number];

/** A stage's count and exact volume. */
export interface StageTally {
  count: number;
  volume: MinorTotal;
}

/** One UTC day × currency of the pipeline. */
export type PipelineDay = { day: string; currency: string } & Record<Stage, StageTally>;

/** A stage row from SQL: `(stage, day number, currency, n, exact sum)`. */
export interface StageRow {
  stage: string;
  day: number;
  currency: string;
  n: number;
  volume: string | null;
}

const PER_DAY = sql.raw(String(DAY_MS));
const zero = (): StageTally => ({ count: 0, volume: "0" });
const empty = (day: string, currency: string): PipelineDay => ({
  day,
  currency,
  applications: zero(),
  offers: zero(),
  accepted: zero(),
  signed: zero(),
  tranchesPlaced: zero(),
});

/** Stage rows → one entry per day × currency that had activity, by day then currency; plus per-currency totals. */
export function pipelineDays(rows: readonly StageRow[]): { days: PipelineDay[]; totals: PipelineDay[] } {
  const days = new Map<string, PipelineDay>();
  const totals = new Map<string, PipelineDay>();
  const add = (into: PipelineDay, stage: Stage, n: number, volume: bigint) => {
    into[stage] = { count: into[stage].count + n, volume: minorTotal(BigInt(into[stage].volume) + volume) };
  };
  for (const r of rows) {
    if (!(STAGES as readonly string[]).includes(r.stage)) continue;
    const stage = r.stage as Stage;
    const day = dayKey(r.day * DAY_MS);
    const key = `${day}|${r.currency}`;
    const d = days.get(key) ?? empty(day, r.currency);
    const t = totals.get(r.currency) ?? empty("", r.currency);
    const volume = joinExactSum(r.volume);
    add(d, stage, r.n, volume);
    add(t, stage, r.n, volume);
    days.set(key, d);
    totals.set(r.currency, t);
  }
  const byKey = (a: PipelineDay, b: PipelineDay) => a.day.localeCompare(b.day) || a.currency.localeCompare(b.currency);
  return { days: [...days.values()].sort(byKey), totals: [...totals.values()].sort(byKey) };
}

/** The window's applications through the stages, with the share reaching each stage (basis points of the applications). */
export function funnel(c: { applications: number; offered: number; accepted: number; signed: number }) {
  return {
    applications: c.applications,
    withOffers: c.offered,
    accepted: c.accepted,
    signed: c.signed,
    conversionBp: {
      offered: basisPoints(c.offered, c.applications),
      accepted: basisPoints(c.accepted, c.applications),
      signed: basisPoints(c.signed, c.applications),
      acceptedToSigned: basisPoints(c.signed, c.accepted),
    },
  };
}

/** `(stage, day, currency, n, volume)` of one stage: `at` dates it, `amount` is its volume. */
function stage(name: Stage, table: string, at: string, amount: string, range: Range): SQL {
  const t = sql.identifier(table);
  const when = sql.identifier(at);
  return sql`SELECT ${name} AS stage, ${when} / ${PER_DAY} AS day, currency, count(*) AS n,
      ${exactSumSql(sql`${sql.identifier(amount)}`)} AS volume
    FROM ${t} WHERE ${when} >= ${range.from} AND ${when} < ${range.to} GROUP BY day, currency`;
}

/** The stats of `range`: one D1 round trip. */
export async function mortgageStats(db: Db, range: Range) {
  const [stages, cohort] = await rawBatch(db, [
    sql`${stage("applications", "mortgage_applications", "created_at", "loan_amount", range)}
      UNION ALL ${stage("offers", "mortgage_offers", "created_at", "loan_amount", range)}
      UNION ALL ${stage("accepted", "mortgage_contracts", "created_at", "loan_amount", range)}
      UNION ALL ${stage("signed", "mortgage_contracts", "signed_by_notary_at", "loan_amount", range)}
      UNION ALL ${stage("tranchesPlaced", "mortgage_tranches", "subscribed_at", "nominal_amount", range)}`,
    sql`SELECT count(*) AS applications,
        coalesce(sum(EXISTS (SELECT 1 FROM mortgage_offers o WHERE o.application_id = a.id)), 0) AS offered,
        coalesce(sum(a.accepted_offer_id IS NOT NULL), 0) AS accepted,
        coalesce(sum(EXISTS (SELECT 1 FROM mortgage_contracts k WHERE k.application_id = a.id AND k.status = 'signed')), 0) AS signed
      FROM mortgage_applications a WHERE a.created_at >= ${range.from} AND a.created_at < ${range.to}`,
  ]);
  const { days, totals } = pipelineDays((stages?.results ?? []) as StageRow[]);
  const c = (cohort?.results?.[0] ?? {}) as Record<string, number>;
  return {
    ok: true as const,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    days,
    totals: totals.map(({ day: _day, ...t }) => t),
    funnel: funnel({
      applications: c.applications ?? 0,
      offered: c.offered ?? 0,
      accepted: c.accepted ?? 0,
      signed: c.signed ?? 0,
    }),
  };
}

const Tally = z.object({ count: z.number().int(), volume: MinorTotal });
const Stages = {
  applications: Tally,
  offers: Tally,
  accepted: Tally,
  signed: Tally,
  tranchesPlaced: Tally,
};
const Bp = z.number().int().nullable();

export const statsMortgage = defineRoute({
  id: "admin.stats.mortgage",
  method: "GET",
  path: "/api/admin/stats/mortgage",
  tag: "admin",
  summary:
    "The mortgage pipeline per UTC day × currency of [from, to) (default: the last 30 days, at most 366): applications, offers, accepted, signed, tranches placed — count and exact volume each — with per-currency totals, and the window's applications through the stages (conversion in basis points).",
  auth: "admin",
  access: "read",
  query: RangeQuery,
  response: z.object({
    ok: z.literal(true),
    from: z.string(),
    to: z.string(),
    days: z.array(z.object({ day: z.string(), currency: z.string(), ...Stages })),
    totals: z.array(z.object({ currency: z.string(), ...Stages })),
    funnel: z.object({
      applications: z.number().int(),
      withOffers: z.number().int(),
      accepted: z.number().int(),
      signed: z.number().int(),
      conversionBp: z.object({ offered: Bp, accepted: Bp, signed: Bp, acceptedToSigned: Bp }),
    }),
  }),
  errors: {
    invalid_range: "400 from ≥ to, or more than 366 days",
  },
  handler: async (ctx) => ({ body: await mortgageStats(ctx.db, resolveRange(ctx.query, ctx.now)) }),
});

/** The admin's mortgage routes. */
export const mortgageStatsRoutes = [statsMortgage] as const;
