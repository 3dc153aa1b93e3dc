/**
 * The scheduled jobs of the backend Worker (settlements, sweeps). One table maps each cron expression of
 * `wrangler.toml` to its job; an unknown expression is an error (a renamed trigger must not
 * silently run nothing). Every period comes from `controller.scheduledTime`, never `Date.now()`,
 * so a retried invocation does exactly what the original would have. One `cron run` JSON summary
 * line per run (counts, duration); a settlement also logs its own progress and result lines.
 *
 * @module
 */
import { createDb } from "../db/client";
import { newId } from "../db/ids";
import { log } from "../core/log";
import { periodId, periodLengthMs, periodsToSettle } from "../settlements/period";
import { runSettlement } from "../settlements/run";
import { sweepDocuments } from "../legal/sweep";
import { eventRetentionMs, sweep, telemetryRetentionMs } from "../sweeps/sweep";

/** What the jobs read from the Worker's environment. */
export interface CronEnv {
  readonly DB: D1Database;
  /** Settlement period length in hours (default 24: daily, for the previous UTC day). */
  readonly SETTLEMENT_PERIOD_HOURS?: string;
  /** Days events are kept (default 400); money-related types are kept forever. */
  readonly EVENT_RETENTION_DAYS?: string;
  /** Days portal telemetry is kept (default 30). */
  readonly TELEMETRY_RETENTION_DAYS?: string;
  /** The legal-hub bucket: the sweep removes objects of abandoned uploads and deleted documents. */
  readonly CONTRACTS?: R2Bucket;
}

/** The cron expressions, as in `src/worker/wrangler.toml` `[triggers] crons`. */
export const CRONS = {
  /**
   * Daily at 00:10 UTC (a few minutes' slack for late commits): settle the previous day — its one
   * period, or each of its periods when SETTLEMENT_PERIOD_HOURS is shorter than a day.
   */
  settle: "10 0 * * *",
  /** Every 5 minutes: expire, mark offline, delete past retention. */
  sweep: "*/5 * * * *",
} as const;

type Job = (env: CronEnv, scheduledTime: number, runId: string) => Promise<Record<string, unknown>>;

const JOBS: Readonly<Record<string, { name: string; run: Job }>> = {
  [CRONS.settle]: {
    name: "settle",
    async run(env, scheduledTime, runId) {
      const db = createDb(env.DB);
      const totals = { periods: [] as string[], assigned: 0, settlements: 0, skipped: 0 };
      // In order, and stop at the first period that did not run: a later period must not take
      // an earlier one's events. A failure fails the invocation; a held lease is another run at
      // work (a duplicate invocation goes on to the later periods itself), so this one just stops.
      for (const period of periodsToSettle(scheduledTime, periodLengthMs(env.SETTLEMENT_PERIOD_HOURS))) {
        const outcome = await runSettlement({
          db,
          period,
          trigger: "cron",
          requestId: runId,
          log: (level, msg, fields) => log(level, msg, { runId, ...fields }),
        });
        if (outcome.status === "failed") throw new Error(`settlement ${periodId(period)} failed: ${outcome.error}`);
        totals.periods.push(periodId(period));
        if (outcome.status === "skipped") {
          totals.skipped++;
          break;
        }
        totals.assigned += outcome.assigned;
        totals.settlements += outcome.settlements;
      }
      return totals;
    },
  },
  [CRONS.sweep]: {
    name: "sweep",
    run: async (env, scheduledTime, runId) => ({
      ...(await sweep(createDb(env.DB), scheduledTime, {
        eventRetentionMs: eventRetentionMs(env.EVENT_RETENTION_DAYS),
        telemetryRetentionMs: telemetryRetentionMs(env.TELEMETRY_RETENTION_DAYS),
        requestId: runId,
      })),
      ...(env.CONTRACTS ? { documents: await sweepDocuments(createDb(env.DB), env.CONTRACTS, scheduledTime) } : {}),
    }),
  },
};

/**
 * Runs the job of `controller.cron`. Throws (so the invocation is marked failed and retried by
 * the platform) for an unknown cron or a failed job, after logging it.
 */
export async function runScheduled(controller: Pick<ScheduledController, "cron" | "scheduledTime">, env: CronEnv): Promise<void> {
  const job = JOBS[controller.cron];
  const runId = newId("cron", controller.scheduledTime);
  const started = Date.now();
  if (!job) {
    log("error", "unknown cron", { runId, cron: controller.cron });
    throw new Error(`unknown cron "${controller.cron}"`);
  }
  try {
    const result = await job.run(env, controller.scheduledTime, runId);
    log("info", "cron run", {
      runId,
      job: job.name,
      cron: controller.cron,
      scheduledTime: new Date(controller.scheduledTime).toISOString(),
      durationMs: Date.now() - started,
      ...result,
    });
  } catch (err) {
    log("error", "cron run failed", {
      runId,
      job: job.name,
      cron: controller.cron,
      durationMs: Date.now() - started,
      error: String(err),
    });
    throw err;
  }
}
