/**
 * The settlement run (issue 4 §1–§2): fee events → one settlement per beneficiary × payer ×
 * period × currency. The cron and `POST /api/admin/settlements/run` call the same function.
 *
 * How it keeps its guarantees:
 * - **Scope**: a run of `[from, to)` takes every *unassigned* fee event created before `to` — so a
 *   late event (committed after its own period's run) or a reversal lands in the next run's
 *   settlement — and assigns it to the *open* settlement of its key for this period. An event
 *   whose settlement for this period is already invoiced/paid stays unassigned and goes into the
 *   next period's settlement: closed settlements never change (D1 triggers enforce it too).
 * - **Exactly once**: the assignment is the event's `settlement_id`, set once (trigger
 *   `tg_fee_events_assign`), so no event is in two settlements, and a rerun finds nothing to do.
 * - **Chunks**: the run walks unassigned events in `(created_at, id)` order with a keyset cursor
 *   (partial index `ix_fee_events_unassigned`); each chunk is ONE D1 batch (renew lease, create
 *   the chunk's settlements, assign its events, count progress). Nothing is loaded into memory but
 *   the chunk boundary, so memory is flat in the number of events. A crash between chunks loses
 *   nothing: the next run (after the lease expires) continues with what is still unassigned.
 * - **Totals** are recomputed from the assigned events at the end (`UPDATE … FROM` an aggregate),
 *   never incremented, and only written where they differ, so a rerun is byte-identical.
 * - **Reconciliation**: per currency, the sum of the period's settlement totals must equal the sum
 *   of the fee events assigned to them; a mismatch fails the run and logs
 *   `settlement.reconciliation_failed`.
 * - **Lease**: `settlement_runs` row per period, taken by compare-and-swap (owner null or lease
 *   expired) and renewed by every chunk inside its batch; a run that lost its lease aborts its
 *   batch (guard) instead of writing.
 *
 * @module
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import { ABORT_UNLESS_CHANGED, type Db, type Statement, abortUnlessChanged, isGuardAbort, rawBatch } from "../db/client";
import { newId } from "../db/ids";
import { feeEvents, settlementRuns, settlements } from "../db/schema";
import { eventStatement } from "../events/events";
import type { Logger } from "../http/log";
import { type Period, periodId } from "./period";

/**
 * Fee events per chunk: one D1 batch each (few bound parameters, small statements). Large enough
 * that the per-chunk work (one upsert per settlement key, the boundary seek, a round trip) is
 * spread over many events, and 1M events take ~50 batches, well inside a Worker invocation's
 * D1 query budget; small enough that a batch runs for well under a second.
 */
export const DEFAULT_CHUNK_SIZE = 20_000;
/** A run's lease; renewed by every chunk, so only a dead run's lease expires. */
export const DEFAULT_LEASE_MS = 120_000;
/** Progress is logged every this many chunks (100,000 events at the default chunk size). */
const LOG_EVERY_CHUNKS = 5;

/** What a run needs. */
export interface RunOptions {
  db: Db;
  period: Period;
  trigger: "cron" | "admin";
  log: Logger;
  /** Wall clock for leases and timestamps (the period never comes from it). */
  now?: () => number;
  chunkSize?: number;
  leaseMs?: number;
  /** Request id or cron id, written on the run's events. */
  requestId?: string;
}

/** Per-currency sums compared by the reconciliation. */
export interface CurrencyReconciliation {
  currency: string;
  /** Sum of the period's settlement totals / their item counts. */
  settlementTotal: number;
  settlementItems: number;
  /** Sum / count of the fee events assigned to those settlements. */
  eventTotal: number;
  eventCount: number;
  ok: boolean;
}

/** Outcome of {@link runSettlement}. */
export type RunOutcome =
  | {
      status: "done";
      periodId: string;
      /** Fee events assigned by this run (0 on a rerun). */
      assigned: number;
      chunks: number;
      /** Settlements of the period (all statuses). */
      settlements: number;
      reconciliation: CurrencyReconciliation[];
      durationMs: number;
      /** Wall time per phase (ms): finding chunk boundaries, chunk batches, totals + reconciliation. */
      phases: { boundaries: number; chunks: number; finalize: number };
    }
  | { status: "skipped"; periodId: string; reason: "lease_held" }
  | { status: "failed"; periodId: string; error: string; reconciliation?: CurrencyReconciliation[]; durationMs: number };

/** Keyset position in `(created_at, id)` order of the unassigned fee events. */
export interface Cursor {
  at: number;
  id: string;
}

/**
 * Settles one period. Never throws for a lost lease or a failed reconciliation (those are
 * outcomes); rethrows infrastructure errors after marking the run failed, so a cron run errors.
 */
export async function runSettlement(opts: RunOptions): Promise<RunOutcome> {
  const { db, period, log } = opts;
  const now = opts.now ?? Date.now;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const id = periodId(period);
  const runId = newId("run", now());
  const started = now();

  if (!(await acquireLease(db, period, runId, opts.trigger, started, leaseMs))) {
    log("info", "settlement run skipped: lease held", { periodId: id });
    return { status: "skipped", periodId: id, reason: "lease_held" };
  }
  const ownLease = (t: number) =>
    db
      .update(settlementRuns)
      .set({ leaseUntil: t + leaseMs, updatedAt: t })
      .where(and(eq(settlementRuns.id, id), eq(settlementRuns.leaseOwner, runId)));

  let assigned = 0;
  let chunks = 0;
  const phases = { boundaries: 0, chunks: 0, finalize: 0 };
  try {
    let cursor: Cursor = { at: -1, id: "" };
    for (;;) {
      let t = now();
      const boundary = await chunkBoundary(db, period, cursor, chunkSize);
      phases.boundaries += now() - t;
      t = now();
      const chunk = chunkQueries(period, cursor, boundary, t);
      // Raw statements: the assignment is an UPDATE … FROM join, which the query builder's D1
      // batch cannot bind. One batch = one transaction: lease check, settlements, assignment, progress.
      const res = await rawBatch(db, [
        sql`UPDATE settlement_runs SET lease_until = ${t + leaseMs}, updated_at = ${t} WHERE id = ${id} AND lease_owner = ${runId}`,
        ABORT_UNLESS_CHANGED,
        chunk.openSettlements,
        chunk.assign,
        sql`UPDATE settlement_runs SET assigned = assigned + changes(), chunks = chunks + 1 WHERE id = ${id}`,
      ]);
      assigned += res[3]?.meta.changes ?? 0;
      phases.chunks += now() - t;
      chunks++;
      if (chunks % LOG_EVERY_CHUNKS === 0) log("info", "settlement run progress", { periodId: id, chunks, assigned });
      if (!boundary) break;
      cursor = boundary;
    }

    const t = now();
    const [, , , sums, assignedSums, [count]] = await db.batch([
      ownLease(t),
      abortUnlessChanged(db),
      recomputeTotals(db, period, t),
      db
        .select({
          currency: settlements.currency,
          total: sql<number>`COALESCE(SUM(${settlements.totalAmount}), 0)`,
          items: sql<number>`COALESCE(SUM(${settlements.itemCount}), 0)`,
        })
        .from(settlements)
        .where(inPeriod(period))
        .groupBy(settlements.currency),
      // The events' own currency: the trigger keeps it equal to their settlement's.
      db
        .select({
          currency: feeEvents.currency,
          total: sql<number>`COALESCE(SUM(${feeEvents.amount}), 0)`,
          items: sql<number>`COUNT(*)`,
        })
        .from(feeEvents)
        .where(assignedRange(period, periodSql(period)))
        .groupBy(feeEvents.currency),
      db.select({ n: sql<number>`COUNT(*)` }).from(settlements).where(inPeriod(period)),
    ]);
    phases.finalize = now() - t;
    const reconciliation = reconcile(sums, assignedSums);
    const settled = count?.n ?? 0;
    const durationMs = now() - started;
    const ok = reconciliation.every((r) => r.ok);
    const t2 = now();
    await db.batch([
      db
        .update(settlementRuns)
        .set({
          status: ok ? "done" : "failed",
          leaseOwner: null,
          leaseUntil: 0,
          settlements: settled,
          error: ok ? null : "reconciliation_failed",
          finishedAt: t2,
          updatedAt: t2,
        })
        .where(and(eq(settlementRuns.id, id), eq(settlementRuns.leaseOwner, runId))),
      abortUnlessChanged(db),
      eventStatement(db, {
        type: ok ? "settlement.run" : "settlement.reconciliation_failed",
        actorUid: opts.trigger === "admin" ? "admin" : null,
        subjectType: "settlement_period",
        subjectId: id,
        meta: { trigger: opts.trigger, from: period.from, to: period.to, assigned, chunks, settlements: settled, reconciliation },
        requestId: opts.requestId ?? runId,
        now: t2,
      }),
    ]);
    if (!ok) {
      log("error", "settlement reconciliation failed", { periodId: id, reconciliation });
      return { status: "failed", periodId: id, error: "reconciliation_failed", reconciliation, durationMs };
    }
    log("info", "settlement run done", {
      periodId: id,
      trigger: opts.trigger,
      assigned,
      chunks,
      settlements: settled,
      durationMs,
    });
    return { status: "done", periodId: id, assigned, chunks, settlements: settled, reconciliation, durationMs, phases };
  } catch (err) {
    const durationMs = now() - started;
    if (isGuardAbort(err)) {
      // Our lease was taken over (we were presumed dead): the other run owns the period now.
      log("warn", "settlement run lost its lease", { periodId: id, assigned, chunks });
      return { status: "failed", periodId: id, error: "lease_lost", durationMs };
    }
    log("error", "settlement run failed", { periodId: id, assigned, chunks, error: String(err) });
    await markFailed(db, id, runId, String(err), now()).catch((e) =>
      log("error", "could not mark the settlement run failed", { periodId: id, error: String(e) }),
    );
    throw err;
  }
}

/** Takes the period's lease by compare-and-swap: free (no owner) or expired. */
async function acquireLease(
  db: Db,
  period: Period,
  runId: string,
  trigger: string,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  const rows = await db
    .insert(settlementRuns)
    .values({
      id: periodId(period),
      periodFrom: period.from,
      periodTo: period.to,
      status: "running",
      leaseOwner: runId,
      leaseUntil: now + leaseMs,
      trigger,
      attempts: 1,
      startedAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: settlementRuns.id,
      set: {
        status: "running",
        leaseOwner: runId,
        leaseUntil: now + leaseMs,
        trigger,
        attempts: sql`${settlementRuns.attempts} + 1`,
        assigned: 0,
        chunks: 0,
        error: null,
        startedAt: now,
        finishedAt: null,
        updatedAt: now,
      },
      setWhere: sql`${settlementRuns.leaseOwner} IS NULL OR ${settlementRuns.leaseUntil} <= ${now}`,
    })
    .returning({ owner: settlementRuns.leaseOwner });
  return rows[0]?.owner === runId;
}

/**
 * The last event of the next chunk (the `chunkSize`-th unassigned event after `cursor`), or
 * null when fewer remain: then the chunk is everything left before `to`. `INDEXED BY` the partial
 * index: the planner would otherwise take `ix_fee_events_unsettled` (settlement_id = NULL) and
 * sort every remaining row for each chunk — quadratic in the number of events.
 */
async function chunkBoundary(db: Db, period: Period, cursor: Cursor, chunkSize: number): Promise<Cursor | null> {
  const [row] = await db.all<Cursor>(sql`SELECT created_at AS at, id FROM fee_events INDEXED BY ix_fee_events_unassigned
    WHERE settlement_id IS NULL AND created_at < ${period.to} AND (created_at, id) > (${cursor.at}, ${cursor.id})
    ORDER BY created_at, id LIMIT 1 OFFSET ${chunkSize - 1}`);
  return row ?? null;
}

/** The two writes of a chunk `(cursor, boundary]` (exported so tests can check their query plans). */
export function chunkQueries(period: Period, cursor: Cursor, boundary: Cursor | null, now: number) {
  const range = chunkRange(period, cursor, boundary);
  return { openSettlements: openSettlements(period, range, now), assign: assign(period, range) };
}

/**
 * Unassigned events of the chunk `(cursor, boundary]` (the last chunk: `(cursor, to)`). Exactly
 * one upper bound: given both `created_at < to` and the boundary, SQLite seeks the index up to the
 * scalar bound and filters the rest, so every chunk would scan all events left in the period —
 * quadratic (measured: 1M events 3.4 × slower per event than 100k). The boundary is already `< to`.
 */
function chunkRange(period: Period, cursor: Cursor, boundary: Cursor | null): SQL {
  const upper = boundary
    ? sql`(fee_events.created_at, fee_events.id) <= (${boundary.at}, ${boundary.id})`
    : sql`fee_events.created_at < ${period.to}`;
  return sql`fee_events.settlement_id IS NULL AND (fee_events.created_at, fee_events.id) > (${cursor.at}, ${cursor.id})
    AND ${upper}`;
}

/**
 * Creates the open settlements the chunk's events need, with `first_event_at` = the earliest
 * event of the chunk for their key. An existing open settlement's bound only moves down (a late
 * event); closed settlements are left alone (their events go to a later period). Events whose
 * settlement already exists with a bound at or below them are filtered out by one key probe each
 * before grouping: after a period's first chunk that is nearly all of them, so the GROUP BY sorts
 * almost nothing.
 */
function openSettlements(period: Period, range: SQL, now: number): SQL {
  const prefix = `st-${now.toString(36).padStart(9, "0")}-`;
  return sql`INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency, total_amount,
      item_count, status, created_at, updated_at, first_event_at)
    SELECT ${prefix} || lower(hex(randomblob(10))), beneficiary_id, payer_uid, ${period.from}, ${period.to}, currency,
      0, 0, 'open', ${now}, ${now}, MIN(created_at)
    FROM fee_events INDEXED BY ix_fee_events_unassigned WHERE ${range}
      AND NOT EXISTS (SELECT 1 FROM settlements AS k WHERE k.beneficiary_id = fee_events.beneficiary_id
        AND k.payer_uid = fee_events.payer_uid AND k.period_from = ${period.from} AND k.period_to = ${period.to}
        AND k.currency = fee_events.currency AND k.first_event_at <= fee_events.created_at)
    GROUP BY beneficiary_id, payer_uid, currency
    ON CONFLICT (beneficiary_id, payer_uid, period_from, period_to, currency) DO UPDATE
      SET first_event_at = excluded.first_event_at, updated_at = excluded.updated_at
      WHERE settlements.status = 'open'
        AND (settlements.first_event_at IS NULL OR excluded.first_event_at < settlements.first_event_at)`;
}

/**
 * Assigns the chunk's events to the open settlement of their key (one index probe per event);
 * events whose settlement for this period is closed match nothing and stay unassigned.
 * `INDEXED BY` (here and in `openSettlements`): the keyset range must come from the partial index;
 * the planner may otherwise pick `ix_fee_events_created` and filter its way through the period.
 * The trigger `tg_fee_events_assign` checks each assignment (open, same key, inside the range).
 */
function assign(period: Period, range: SQL): SQL {
  return sql`UPDATE fee_events INDEXED BY ix_fee_events_unassigned SET settlement_id = s.id FROM settlements AS s
    WHERE s.beneficiary_id = fee_events.beneficiary_id AND s.payer_uid = fee_events.payer_uid
      AND s.period_from = ${period.from} AND s.period_to = ${period.to} AND s.currency = fee_events.currency
      AND s.status = 'open' AND ${range}`;
}

/**
 * The events assigned to a set of settlements, found by range: every assigned event lies in its
 * settlement's `[first_event_at, period_to)` (trigger-enforced), so the period's settlements'
 * events are in `[MIN(first_event_at), to)` — a `created_at` range scan (≈ one pass over the
 * period), filtered by membership. `which` selects the settlements (a WHERE on `settlements`).
 * There is no other index on `created_at` these bounds could pick.
 */
export function assignedRange(period: Period, which: SQL): SQL {
  return sql`fee_events.created_at >= (SELECT MIN(first_event_at) FROM settlements WHERE ${which})
    AND fee_events.created_at < ${period.to} AND fee_events.settlement_id IN (SELECT id FROM settlements WHERE ${which})`;
}

const periodSql = (period: Period) => sql`period_from = ${period.from} AND period_to = ${period.to}`;

/** Recomputes totals of the period's open settlements from their events; writes only changed rows. */
function recomputeTotals(db: Db, period: Period, now: number): Statement {
  const open = sql`${periodSql(period)} AND status = 'open'`;
  return db
    .update(settlements)
    .set({ totalAmount: sql`agg.total`, itemCount: sql`agg.n`, updatedAt: now })
    .from(
      sql`(SELECT settlement_id AS sid, SUM(amount) AS total, COUNT(*) AS n FROM fee_events
        WHERE ${assignedRange(period, open)} GROUP BY settlement_id) AS agg`,
    )
    .where(sql`settlements.id = agg.sid AND (settlements.total_amount IS NOT agg.total OR settlements.item_count IS NOT agg.n)`);
}

function inPeriod(period: Period): SQL {
  return and(eq(settlements.periodFrom, period.from), eq(settlements.periodTo, period.to)) as SQL;
}

/**
 * Pure: compares per-currency settlement totals with the sums of their assigned events.
 * A currency present on one side only is a mismatch.
 */
export function reconcile(
  settled: ReadonlyArray<{ currency: string; total: number; items: number }>,
  events: ReadonlyArray<{ currency: string; total: number; items: number }>,
): CurrencyReconciliation[] {
  const currencies = [...new Set([...settled.map((s) => s.currency), ...events.map((e) => e.currency)])].sort();
  return currencies.map((currency) => {
    const s = settled.find((x) => x.currency === currency) ?? { total: 0, items: 0 };
    const e = events.find((x) => x.currency === currency) ?? { total: 0, items: 0 };
    return {
      currency,
      settlementTotal: s.total,
      settlementItems: s.items,
      eventTotal: e.total,
      eventCount: e.items,
      ok: s.total === e.total && s.items === e.items,
    };
  });
}

async function markFailed(db: Db, id: string, runId: string, error: string, now: number): Promise<void> {
  await db
    .update(settlementRuns)
    .set({ status: "failed", leaseOwner: null, leaseUntil: 0, error: error.slice(0, 500), finishedAt: now, updatedAt: now })
    .where(and(eq(settlementRuns.id, id), eq(settlementRuns.leaseOwner, runId)));
}
