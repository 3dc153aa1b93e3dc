/**
 * `GET /api/admin/dashboard`: the original's response shape (its
 * `functions/api/admin/dashboard.js`) with every number computed from the event log.
 *
 * The original loaded all events of 30 days into memory; here D1 aggregates them (one batch of
 * three id-range scans: per-type counts, per-day counts, the 20 newest) and the pure
 * {@link buildDashboard} applies the original's formulas to the aggregates:
 *
 * - error event: type contains `error` or `fail`, or a `voucher.cancel` whose meta `reason`
 *   contains `error`; critical: type contains `critical` or `crash`; fix: `fix` or `resolve`;
 * - errorRate = errors / events × 100 (2 decimals); qualityScore = 100 − errorRate;
 *   activity = min(100, events in 24 h); stability = max(0, 100 − 2 × errorRate);
 *   productionReadiness = 0.3 activity + 0.4 quality + 0.3 stability (1 decimal);
 *   systemStability = 100 − critical / events × 100;
 * - productionTimeline: the last 7 UTC days, today included, zeros included;
 * - featureMaturity: grouped by subject type, else the type's first segment.
 *
 * `backupHealth` had only constants ("Vor 2 Stunden", 85). Nothing here takes or records backups
 * (D1 Time Travel restores any minute of the last 30 days without a job), so it says so:
 * `{status: "not_tracked", lastBackup: null, backupFrequency: null}` instead of invented numbers.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import { type Db, rawBatch } from "../db/client";
import { type EventItem, type EventRow, toEventItem } from "./events";
import { DAY_MS, dayKey, dayStart, eventIdAt } from "./time";

const HOUR_MS = 3_600_000;
const WINDOW_DAYS = 30;
const TIMELINE_DAYS = 7;
const RECENT = 20;
const TOP_ERRORS = 10;

/** Events of the window grouped by (type, subject type). */
export interface TypeGroup {
  type: string;
  subject_type: string | null;
  n: number;
  /** Of them: in the last 24 h, in the last 7 days, `voucher.cancel` with an error reason. */
  n24h: number;
  n7d: number;
  cancel_errors: number;
}

/** The aggregates {@link buildDashboard} needs. */
export interface DashboardInput {
  now: number;
  groups: readonly TypeGroup[];
  /** Events per day number (`created_at / DAY_MS`) of the timeline window. */
  days: ReadonlyArray<{ day: number; n: number }>;
  recent: readonly EventItem[];
}

const has = (type: string, words: readonly string[]) => {
  const t = type.toLowerCase();
  return words.some((w) => t.includes(w));
};
const pct = (part: number, whole: number) => (whole > 0 ? (part * 100) / whole : 0);
const round = (x: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

/** The dashboard from the aggregates: the original's formulas, nothing constant. */
export function buildDashboard(input: DashboardInput) {
  let total = 0;
  let last24h = 0;
  let errors = 0;
  let critical = 0;
  let fixes = 0;
  let fixesWeek = 0;
  const errorByType = new Map<string, number>();
  const features = new Map<string, { events: number; errors: number }>();
  for (const g of input.groups) {
    const groupErrors = has(g.type, ["error", "fail"]) ? g.n : g.type === "voucher.cancel" ? g.cancel_errors : 0;
    total += g.n;
    last24h += g.n24h;
    errors += groupErrors;
    if (groupErrors > 0) errorByType.set(g.type, (errorByType.get(g.type) ?? 0) + groupErrors);
    if (has(g.type, ["critical", "crash"])) critical += g.n;
    if (has(g.type, ["fix", "resolve"])) {
      fixes += g.n;
      fixesWeek += g.n7d;
    }
    const name = g.subject_type || g.type.split(".")[0] || "unknown";
    const f = features.get(name) ?? { events: 0, errors: 0 };
    f.events += g.n;
    f.errors += groupErrors;
    features.set(name, f);
  }
  const errorRate = pct(errors, total);
  const qualityScore = Math.max(0, 100 - errorRate);
  const activity = Math.min(100, last24h);
  const stability = Math.max(0, 100 - 2 * errorRate);
  const perDay = new Map(input.days.map((d) => [d.day, d.n]));
  const today = dayStart(input.now);
  const timeline = Array.from({ length: TIMELINE_DAYS }, (_, i) => {
    const start = today - (TIMELINE_DAYS - 1 - i) * DAY_MS;
    return { date: dayKey(start), count: perDay.get(start / DAY_MS) ?? 0 };
  });
  return {
    ok: true as const,
    productionReadiness: round(0.3 * activity + 0.4 * qualityScore + 0.3 * stability, 1),
    qualityScore: round(qualityScore, 1),
    systemStability: round(total > 0 ? Math.max(0, 100 - pct(critical, total)) : 100, 1),
    activityCount: last24h,
    productionTimeline: timeline,
    errorStats: {
      rate: round(errorRate, 2),
      count: errors,
      total,
      topErrors: [...errorByType]
        .map(([type, count]) => ({ type, count }))
        .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type))
        .slice(0, TOP_ERRORS),
    },
    fixStats: {
      rate: round(pct(fixes, errors), 1),
      fixesPerWeek: fixesWeek,
      openErrors: Math.max(0, errors - fixes),
    },
    featureMaturity: [...features]
      .map(([name, f]) => ({ name, events: f.events, errorRate: round(pct(f.errors, f.events), 2) }))
      .sort((a, b) => b.events - a.events || a.name.localeCompare(b.name)),
    recentEvents: input.recent,
    backupHealth: { status: "not_tracked" as const, lastBackup: null, backupFrequency: null },
  };
}

/** Reads the aggregates (one D1 batch) and builds the dashboard. */
export async function dashboard(db: Db, now: number) {
  const since = now - WINDOW_DAYS * DAY_MS;
  const firstDay = dayStart(now) - (TIMELINE_DAYS - 1) * DAY_MS;
  // Each query is a range of the primary key: the window as event ids (see time.ts).
  const window = (from: number) => sql`id >= ${eventIdAt(from)} AND id < 'ev.' AND +created_at >= ${from}`;
  const [groups, days, recent] = (
    await rawBatch(db, [
      sql`SELECT type, subject_type, count(*) AS n,
          sum(created_at >= ${now - 24 * HOUR_MS}) AS n24h,
          sum(created_at >= ${now - 7 * DAY_MS}) AS n7d,
          sum(CASE WHEN type = 'voucher.cancel' AND json_valid(meta)
            THEN lower(coalesce(json_extract(meta, '$.reason'), '')) LIKE '%error%' ELSE 0 END) AS cancel_errors
        FROM events WHERE ${window(since)} GROUP BY type, subject_type`,
      sql`SELECT created_at / ${sql.raw(String(DAY_MS))} AS day, count(*) AS n
        FROM events WHERE ${window(firstDay)} GROUP BY day`,
      sql`SELECT id, type, actor_uid, subject_type, subject_id, meta, created_at
        FROM events WHERE ${window(since)} ORDER BY id DESC LIMIT ${RECENT}`,
    ])
  ).map((r) => r.results);
  return buildDashboard({
    now,
    groups: groups as TypeGroup[],
    days: days as { day: number; n: number }[],
    recent: (recent as EventRow[]).map(toEventItem),
  });
}
