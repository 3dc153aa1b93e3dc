/**
 * `GET /api/health`: public, unauthenticated, no secrets, no writes. Three independent checks
 * (one D1 query each, run in parallel, so one failing check does not hide the others):
 *
 * - `d1`: a trivial query answers;
 * - `migrations`: every migration bundled with this build (`migrations/meta/_journal.json`,
 *   read at build time) is recorded in wrangler's `d1_migrations` table. Applied migrations the
 *   build does not know are reported but fine: `npm run deploy` migrates before it deploys code;
 * - `settlement`: the newest finished settlement run (`settlement_runs`) and its age.
 *
 * HTTP 200 when D1 answers and the migrations are current, else 503 with the same body. A stale or
 * failed settlement run shows as `checks.settlement.ok: false` but keeps 200: the API still serves
 * correctly, and a monitor alerts on the field (the settlement runs are retried by the cron).
 *
 * @module
 */
import journal from "../../migrations/meta/_journal.json";
import type { Db } from "../db/client";
import type { Logger } from "../core/log";

/** Migration file names this build expects, in order (`<tag>.sql`, as wrangler records them). */
export const BUNDLED_MIGRATIONS: readonly string[] = journal.entries.map((e) => `${e.tag}.sql`);

/** The cron settles daily (00:10 UTC): a newest finished run older than this means a missed day. */
export const SETTLEMENT_STALE_MS = 26 * 3_600_000;

/** The migrations check from the expected and the applied names (pure). */
export function migrationCheck(expected: readonly string[], applied: readonly string[]) {
  const have = new Set(applied);
  const known = new Set(expected);
  const pending = expected.filter((m) => !have.has(m));
  return {
    ok: pending.length === 0,
    expected: expected.length,
    applied: applied.length,
    latest: expected.at(-1) ?? null,
    pending,
    unknown: applied.filter((m) => !known.has(m)),
  };
}

/** The newest finished settlement run, as stored. */
export interface RunRow {
  id: string;
  period_from: number;
  period_to: number;
  status: string;
  finished_at: number;
}

/** The settlement check (pure): `never`, `failed`, `stale` (> 26 h) or `ok`. */
export function settlementCheck(run: RunRow | null, now: number) {
  if (!run) return { ok: false, status: "never" as const, lastRun: null, ageSeconds: null };
  const ageMs = Math.max(0, now - run.finished_at);
  const status =
    run.status === "failed" ? ("failed" as const) : ageMs > SETTLEMENT_STALE_MS ? ("stale" as const) : ("ok" as const);
  return {
    ok: status === "ok",
    status,
    lastRun: {
      id: run.id,
      periodFrom: new Date(run.period_from).toISOString(),
      periodTo: new Date(run.period_to).toISOString(),
      status: run.status,
      finishedAt: new Date(run.finished_at).toISOString(),
    },
    ageSeconds: Math.floor(ageMs / 1000),
  };
}

const failed = (error: string) => ({ ok: false as const, error });

/** Runs the checks; never throws (a D1 failure is a 503 report, not an error). */
export async function health(db: Db, now: number, log: Logger): Promise<{ status: number; body: unknown }> {
  const d1 = db.$client;
  // Each check in its own async function: a binding that throws synchronously is a failed check too.
  const [ping, migrations, run] = await Promise.allSettled([
    (async () => d1.prepare("SELECT 1 AS one").first<{ one: number }>())(),
    (async () => (await d1.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>()).results)(),
    (async () =>
      d1
        .prepare(
          // ix_settlement_runs_finished; NULLs (running) sort last in DESC.
          "SELECT id, period_from, period_to, status, finished_at FROM settlement_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1",
        )
        .first<RunRow>())(),
  ]);
  for (const [name, r] of [
    ["d1", ping],
    ["migrations", migrations],
    ["settlement", run],
  ] as const) {
    if (r.status === "rejected") log("error", "health check failed", { check: name, error: String(r.reason) });
  }
  const d1Ok = ping.status === "fulfilled" && ping.value?.one === 1;
  const checks = {
    d1: d1Ok ? { ok: true as const } : failed("D1 did not answer"),
    migrations:
      migrations.status === "fulfilled"
        ? migrationCheck(
            BUNDLED_MIGRATIONS,
            migrations.value.map((m) => m.name),
          )
        : failed("d1_migrations could not be read"),
    settlement:
      run.status === "fulfilled" ? settlementCheck(run.value ?? null, now) : failed("settlement_runs could not be read"),
  };
  const ok = checks.d1.ok && checks.migrations.ok;
  return { status: ok ? 200 : 503, body: { ok, at: new Date(now).toISOString(), checks } };
}
