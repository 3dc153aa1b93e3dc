/**
 * The settlement run: fee events → one settlement per beneficiary × payer ×
 * period × currency. The cron and `POST /api/admin/settlements/run` call the same function.
 *
 * The model: the fee ledger is append-only with a commit-order sequence `seq`, and one cursor row
 * (`settlement_ledger`) says what is settled: every event with `seq ≤ settled_seq` and
 * `created_at < settled_to`. A run of `[from, to)` pins the ledger's current end (`run_seq`) and
 * settles every event up to it that was created before `to` and is not settled yet — so a late
 * event (committed after its own period's run) or a reversal lands in the next run — then moves
 * the cursor to `(run_seq, to)`. It records what it settled as slices of the sequence
 * (`settlement_chunks`, see ./ledger.ts) with one summed row per key (`settlement_parts`) pointing
 * at the key's open settlement for the period, instead of writing every event: the work is one
 * rowid-range scan of the new events plus a few rows per key.
 *
 * How it keeps its guarantees:
 * - **Exactly once**: chunks are cut from the cursor inside the batch that advances it (trigger
 *   `tg_settlement_chunks_next`), so their regions never overlap; an event's settlement is the
 *   part of (its chunk, its key) — one row by primary key. A rerun finds nothing past the cursor.
 * - **Closed periods stay closed**: a part links only to an *open* settlement (trigger
 *   `tg_settlement_parts_link`). If the key's settlement for this period is already
 *   invoiced/paid, the part stays unlinked and the next run's open settlement adopts it.
 * - **Chunks**: each chunk is ONE D1 batch (renew lease, cut the chunk with its events' sum, sum
 *   its parts, create and link settlements, count progress). Memory holds nothing but
 *   the cursor. A crash between chunks loses nothing: the run in progress is recorded on the
 *   ledger row, and the next run (after the lease expires) finishes it from its last chunk.
 * - **Totals** are recomputed at the end as the sum of each settlement's parts (each part an
 *   aggregate of its events), never incremented, and written only where they differ, so a
 *   rerun is byte-identical. A chunk's sums are SQLite integers (a chunk is small enough that
 *   they cannot overflow, see `MAX_CHUNK_EVENTS`); the per-currency sums across a period are
 *   exact at any size (`exactSumSql`) and reported as decimal strings.
 * - **Reconciliation**: per currency, the period's settlement totals must equal the sums of the
 *   parts settled into them (each part the sum of its events); and every chunk feeding the
 *   period must hold exactly its parts: the sum and count of its events, read straight from
 *   `fee_events` when it was cut (a plain scan, no grouping), equal the sums of its parts. A
 *   mismatch fails the run and logs `settlement.reconciliation_failed`.
 * - **Lease**: one lease on the ledger row, taken by compare-and-swap (free or expired) and
 *   renewed by every batch; a run that lost it aborts its batch (guard) instead of writing.
 *
 * @module
 */
import { type SQL, and, eq, sql } from "drizzle-orm";
import { ABORT_UNLESS_CHANGED, type Db, abortUnlessChanged, isGuardAbort, rawBatch } from "../db/client";
import { newId, sqlNewId } from "../db/ids";
import { settlementLedger, settlementRuns } from "../db/schema";
import { eventStatement } from "../events/events";
import type { Logger } from "../core/log";
import { MAX_CHUNK_EVENTS } from "../money/money";
import { type MinorTotal, exactSumSql, joinExactSum, minorTotal } from "../money/totals";
import { type ChunkBounds, chunkEvents, sameKey } from "./ledger";
import { type Period, periodId } from "./period";

/**
 * Fee events per chunk: one D1 batch each. Each batch does two rowid-range scans of the chunk
 * (a plain sum, and one grouped by key) and writes one part per key, so larger chunks spread the
 * per-key rows and the round trip over more events; 100k keeps a batch well under a second
 * (and far inside D1's per-query limits) while 1M events take 10 batches. A run refuses a chunk
 * size above `MAX_CHUNK_EVENTS`, where a chunk's sum could leave SQLite's 64-bit integers.
 */
export const DEFAULT_CHUNK_SIZE = 100_000;
/** A run's lease; renewed by every batch, so only a dead run's lease expires. */
export const DEFAULT_LEASE_MS = 120_000;
/** Progress is logged every this many chunks. */
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
  /** Sum of the period's settlement totals (minor units, decimal string: exact past 2^53) / their item counts. */
  settlementTotal: MinorTotal;
  settlementItems: number;
  /** Sum (decimal string) / count of the fee events settled into those settlements. */
  eventTotal: MinorTotal;
  eventCount: number;
  ok: boolean;
}

/** Outcome of {@link runSettlement}. */
export type RunOutcome =
  | {
      status: "done";
      periodId: string;
      /** Fee events settled into this period's settlements by this run (0 on a rerun). */
      assigned: number;
      chunks: number;
      /** Settlements of the period (all statuses). */
      settlements: number;
      reconciliation: CurrencyReconciliation[];
      /** Chunks whose events disagree with their parts (always empty in a done run). */
      chunkMismatches: number[];
      durationMs: number;
      /** Wall time per phase (ms): lease and cut, chunk batches, adoption + totals + reconciliation. */
      phases: { begin: number; chunks: number; finalize: number };
    }
  | { status: "skipped"; periodId: string; reason: "lease_held" }
  | {
      status: "failed";
      periodId: string;
      error: string;
      reconciliation?: CurrencyReconciliation[];
      chunkMismatches?: number[];
      durationMs: number;
    };

/** The `settlement_ledger` row. */
interface Ledger {
  settled_seq: number;
  settled_to: number;
  run_from: number | null;
  run_to: number | null;
  run_seq: number | null;
  run_next: number | null;
}

/** The run in progress on the ledger (its own, or one a dead run left). */
interface InProgress {
  period: Period;
  next: number;
  end: number;
  prevSeq: number;
  prevTo: number;
}

/**
 * Settles one period. Never throws for a lost lease or a failed reconciliation (those are
 * outcomes); rethrows infrastructure errors after marking the run failed, so a cron run errors.
 */
export async function runSettlement(opts: RunOptions): Promise<RunOutcome> {
  const { db, period, log } = opts;
  const now = opts.now ?? Date.now;
  const id = periodId(period);
  const runId = newId("run", now());
  const started = now();
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_EVENTS) {
    throw new RangeError(`chunkSize must be 1…${MAX_CHUNK_EVENTS}: a larger chunk's sum could overflow SQLite's integers`);
  }
  const lease = (t: number) =>
    sql`UPDATE settlement_ledger SET lease_until = ${t + leaseMs}, updated_at = ${t} WHERE id = 1 AND lease_owner = ${runId}`;

  const ledger = await acquireLease(db, period, runId, opts.trigger, started, leaseMs);
  if (!ledger) {
    log("info", "settlement run skipped: lease held", { periodId: id });
    return { status: "skipped", periodId: id, reason: "lease_held" };
  }
  const work = { lease, runId, chunkSize, now, log };
  let assigned = 0;
  let chunks = 0;
  const phases = { begin: 0, chunks: 0, finalize: 0 };
  try {
    let pending = inProgress(ledger);
    if (pending && periodId(pending.period) !== id) {
      // A run of another period died between chunks: its chunks already point at that period's
      // settlements, so it is finished first, exactly as its own next attempt would.
      log("warn", "finishing an interrupted settlement run first", { periodId: periodId(pending.period), next: id });
      await settleChunks(db, pending, work);
      const earlier = await finalize(db, pending.period, work, true);
      await record(db, pending.period, { ok: reconciled(earlier), runId: null, now: now(), settled: earlier.settled });
      const again = pinned(await rawBatch(db, [work.lease(now()), ABORT_UNLESS_CHANGED, ...pin(period, runId)]));
      pending = again && inProgress(again);
    }
    // Behind the cursor: everything created before `to` is settled already (late events go to
    // the next period), so nothing was pinned; the run only re-checks the period.
    const behind = !pending;
    phases.begin = now() - started;

    let t = now();
    if (pending) ({ assigned, chunks } = await settleChunks(db, pending, work));
    phases.chunks = now() - t;

    t = now();
    const checked = await finalize(db, period, work, !behind);
    const { reconciliation, chunkMismatches, settled } = checked;
    phases.finalize = now() - t;
    const ok = reconciled(checked);
    const durationMs = now() - started;
    const t2 = now();
    await db.batch([
      record(db, period, { ok, runId, now: t2, settled }),
      abortUnlessChanged(db),
      releaseLease(db, runId, t2),
      abortUnlessChanged(db),
      eventStatement(db, {
        type: ok ? "settlement.run" : "settlement.reconciliation_failed",
        actorUid: opts.trigger === "admin" ? "admin" : null,
        subjectType: "settlement_period",
        subjectId: id,
        meta: {
          trigger: opts.trigger,
          from: period.from,
          to: period.to,
          assigned,
          chunks,
          settlements: settled,
          reconciliation,
          chunkMismatches,
        },
        requestId: opts.requestId ?? runId,
        now: t2,
      }),
    ]);
    if (!ok) {
      log("error", "settlement reconciliation failed", { periodId: id, reconciliation, chunkMismatches });
      return { status: "failed", periodId: id, error: "reconciliation_failed", reconciliation, chunkMismatches, durationMs };
    }
    log("info", "settlement run done", {
      periodId: id,
      trigger: opts.trigger,
      assigned,
      chunks,
      settlements: settled,
      durationMs,
    });
    return {
      status: "done",
      periodId: id,
      assigned,
      chunks,
      settlements: settled,
      reconciliation,
      chunkMismatches,
      durationMs,
      phases,
    };
  } catch (err) {
    const durationMs = now() - started;
    if (isGuardAbort(err)) {
      // Our lease was taken over (we were presumed dead): the other run owns the ledger now.
      log("warn", "settlement run lost its lease", { periodId: id, assigned, chunks });
      return { status: "failed", periodId: id, error: "lease_lost", durationMs };
    }
    log("error", "settlement run failed", { periodId: id, assigned, chunks, error: String(err) });
    await markFailed(db, period, runId, String(err), now()).catch((e) =>
      log("error", "could not mark the settlement run failed", { periodId: id, error: String(e) }),
    );
    throw err;
  }
}

interface Work {
  lease: (t: number) => SQL;
  runId: string;
  chunkSize: number;
  now: () => number;
  log: Logger;
}

/**
 * Takes the ledger's lease by compare-and-swap (free or expired), marks the period's run row
 * running and pins the run on the ledger if it can start now ({@link beginSql}), in one batch.
 * Returns the ledger row, or null when another run holds the lease.
 */
async function acquireLease(
  db: Db,
  period: Period,
  runId: string,
  trigger: string,
  now: number,
  leaseMs: number,
): Promise<Ledger | null> {
  try {
    const res = await rawBatch(db, [
      sql`UPDATE settlement_ledger SET lease_owner = ${runId}, lease_until = ${now + leaseMs}, updated_at = ${now}
        WHERE id = 1 AND (lease_owner IS NULL OR lease_until <= ${now})`,
      ABORT_UNLESS_CHANGED,
      sql`INSERT INTO settlement_runs (id, period_from, period_to, status, lease_owner, lease_until, trigger, attempts,
          assigned, chunks, settlements, error, started_at, finished_at, updated_at)
        VALUES (${periodId(period)}, ${period.from}, ${period.to}, 'running', ${runId}, ${now + leaseMs}, ${trigger}, 1,
          0, 0, 0, NULL, ${now}, NULL, ${now})
        ON CONFLICT (id) DO UPDATE SET status = 'running', lease_owner = excluded.lease_owner,
          lease_until = excluded.lease_until, trigger = excluded.trigger, attempts = settlement_runs.attempts + 1,
          assigned = 0, chunks = 0, error = NULL, started_at = excluded.started_at, finished_at = NULL,
          updated_at = excluded.updated_at`,
      ...pin(period, runId),
    ]);
    return pinned(res);
  } catch (err) {
    if (isGuardAbort(err)) return null;
    throw err;
  }
}

function inProgress(l: Ledger): InProgress | null {
  if (l.run_to === null || l.run_from === null || l.run_seq === null || l.run_next === null) return null;
  return {
    period: { from: l.run_from, to: l.run_to },
    next: l.run_next,
    end: l.run_seq,
    prevSeq: l.settled_seq,
    prevTo: l.settled_to,
  };
}

/** Pins the run ({@link beginSql}) and reads the ledger row back; {@link pinned} picks the row out. */
const pin = (period: Period, runId: string) => [beginSql(period, runId), sql`SELECT * FROM settlement_ledger WHERE id = 1`];
const pinned = (res: D1Result[]) => (res[res.length - 1]?.results[0] as Ledger | undefined) ?? null;

/**
 * Pins a run of `period` on the ledger, unless a run is in progress or `to` is behind the cursor
 * (then it changes nothing). The run settles up to the ledger's current end (`MAX(seq)`; anything
 * committed later has a larger seq and is the next run's), starting where unsettled events may
 * begin: `scan_from`, or the cursor itself when `to` is the cursor's (below it, only events
 * created in `[settled_to, to)` can be new). `run_scan_from` is where they will begin once this
 * run is done: just before the first event up to the end created at or after `to`, found through
 * `ix_fee_events_created` among the few events past the period.
 */
function beginSql(period: Period, runId: string): SQL {
  const end = sql`MAX(settled_seq, (SELECT COALESCE(MAX(seq), 0) FROM fee_events))`;
  return sql`UPDATE settlement_ledger SET run_from = ${period.from}, run_to = ${period.to}, run_seq = ${end},
      run_next = CASE WHEN settled_to = ${period.to} THEN settled_seq ELSE scan_from END,
      run_scan_from = COALESCE((SELECT MIN(seq) - 1 FROM fee_events INDEXED BY ix_fee_events_created
        WHERE created_at >= ${period.to} AND seq > settlement_ledger.scan_from AND seq <= ${end}), ${end})
    WHERE id = 1 AND lease_owner = ${runId} AND run_to IS NULL AND settled_to <= ${period.to}`;
}

/** Writes the run's remaining chunks, one batch each; returns the events the attempt has settled. */
async function settleChunks(db: Db, run: InProgress, work: Work): Promise<{ assigned: number; chunks: number }> {
  const { period } = run;
  let assigned = 0;
  let chunks = 0;
  for (let lo = run.next; lo < run.end; ) {
    const hi = Math.min(lo + work.chunkSize, run.end);
    const t = work.now();
    const res = await rawBatch(
      db,
      chunkStatements(
        period,
        { seqFrom: lo, seqTo: hi, periodTo: period.to, prevSeq: run.prevSeq, prevTo: run.prevTo },
        t,
        work.lease,
      ),
    );
    assigned = Number((res[res.length - 1]?.results[0] as { assigned: number } | undefined)?.assigned ?? assigned);
    chunks++;
    if (chunks % LOG_EVERY_CHUNKS === 0)
      work.log("info", "settlement run progress", { periodId: periodId(period), chunks, assigned, seq: hi, end: run.end });
    lo = hi;
  }
  return { assigned, chunks };
}

/** The id of the chunk the current batch just cut. */
const CHUNK = sql`(SELECT MAX(id) FROM settlement_chunks)`;

/**
 * One chunk's batch (exported so tests can check the query plans): renew the lease, cut the
 * chunk from the ledger (the trigger checks it is the next slice and advances the run) with the
 * sum and count of its events, sum its events per key into parts — both `NOT INDEXED`, so each is
 * a rowid-range scan — create the open settlements its keys lack, link the parts to them, count.
 */
export function chunkStatements(period: Period, c: ChunkBounds, t: number, lease: (t: number) => SQL): SQL[] {
  const events = chunkEvents(c);
  return [
    lease(t),
    ABORT_UNLESS_CHANGED,
    // An aggregate without GROUP BY: exactly one row, also for a chunk without events.
    sql`INSERT INTO settlement_chunks (period_from, period_to, seq_from, seq_to, prev_seq, prev_to, event_total, event_count, created_at)
      SELECT ${period.from}, ${period.to}, ${c.seqFrom}, ${c.seqTo}, ${c.prevSeq}, ${c.prevTo}, COALESCE(SUM(amount), 0), COUNT(*), ${t}
      FROM fee_events NOT INDEXED WHERE ${events}`,
    sql`INSERT INTO settlement_parts (chunk_id, beneficiary_id, payer_uid, currency, total_amount, item_count)
      SELECT ${CHUNK}, beneficiary_id, payer_uid, currency, SUM(amount), COUNT(*) FROM fee_events NOT INDEXED
      WHERE ${events} GROUP BY beneficiary_id, payer_uid, currency`,
    openSettlements(period, sql`settlement_parts.chunk_id = ${CHUNK}`, t),
    linkParts(period, sql`settlement_parts.chunk_id = ${CHUNK}`),
    // The attempt's running count of settled events (reset when the attempt took the lease).
    sql`UPDATE settlement_runs SET chunks = chunks + 1, updated_at = ${t},
        assigned = assigned + (SELECT COALESCE(SUM(item_count), 0) FROM settlement_parts
          WHERE chunk_id = ${CHUNK} AND settlement_id IS NOT NULL)
      WHERE id = ${periodId(period)} RETURNING assigned`,
  ];
}

/** Creates the period's open settlement for every key of the selected parts that has none yet. */
function openSettlements(period: Period, parts: SQL, t: number): SQL {
  return sql`INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency, total_amount,
      item_count, status, created_at, updated_at)
    SELECT ${sqlNewId("st", t)}, beneficiary_id, payer_uid, ${period.from}, ${period.to}, currency,
      0, 0, 'open', ${t}, ${t}
    FROM settlement_parts WHERE ${parts}
    ON CONFLICT (beneficiary_id, payer_uid, period_from, period_to, currency) DO NOTHING`;
}

/** Links the selected parts to the period's settlement of their key, if that one is open. */
function linkParts(period: Period, parts: SQL): SQL {
  return sql`UPDATE settlement_parts SET settlement_id = s.id FROM settlements AS s
    WHERE ${parts} AND ${sameKey("s", "settlement_parts")} AND s.period_from = ${period.from} AND s.period_to = ${period.to}
      AND s.status = 'open'`;
}

const periodSql = (period: Period) => sql`period_from = ${period.from} AND period_to = ${period.to}`;

/**
 * Ends a period's run in one batch: adopts parts left unlinked by earlier runs (their settlement
 * was closed) into this period's open settlements, closes the run on the ledger, recomputes the
 * totals of the period's open settlements from their parts, and reads both sides of the
 * reconciliation. `advance` false: a run behind the cursor, which only reads.
 */
async function finalize(db: Db, period: Period, work: Work, advance: boolean) {
  const t = work.now();
  const waiting = sql`settlement_parts.settlement_id IS NULL
    AND settlement_parts.chunk_id IN (SELECT id FROM settlement_chunks WHERE period_to < ${period.to})`;
  const mine = sql`SELECT id FROM settlements WHERE ${periodSql(period)}`;
  const writes = advance
    ? [
        openSettlements(period, waiting, t),
        linkParts(period, waiting),
        sql`UPDATE settlement_ledger SET settled_seq = run_seq, settled_to = run_to, scan_from = run_scan_from,
            run_from = NULL, run_to = NULL, run_seq = NULL, run_next = NULL, run_scan_from = NULL
          WHERE id = 1 AND lease_owner = ${work.runId} AND run_from = ${period.from} AND run_to = ${period.to}`,
        sql`UPDATE settlements SET total_amount = agg.total, item_count = agg.n, updated_at = ${t}
          FROM (SELECT settlement_id AS sid, SUM(total_amount) AS total, SUM(item_count) AS n FROM settlement_parts
            WHERE settlement_id IN (${mine} AND status = 'open') GROUP BY settlement_id) AS agg
          WHERE settlements.id = agg.sid AND (settlements.total_amount IS NOT agg.total OR settlements.item_count IS NOT agg.n)`,
      ]
    : [];
  const res = await rawBatch(db, [
    work.lease(t),
    ABORT_UNLESS_CHANGED,
    ...writes,
    // Per currency across the period: any number of rows, so summed exactly (see exactSumSql).
    sql`SELECT currency, ${exactSumSql(sql`total_amount`)} AS total, SUM(item_count) AS items, COUNT(*) AS n
      FROM settlements WHERE ${periodSql(period)} GROUP BY currency`,
    sql`SELECT currency, ${exactSumSql(sql`total_amount`)} AS total, SUM(item_count) AS items FROM settlement_parts
      WHERE settlement_id IN (${mine}) GROUP BY currency`,
    // Every chunk that feeds the period or was cut for it: its events, as read from fee_events when
    // it was cut, must be exactly its parts.
    sql`SELECT id FROM settlement_chunks AS c
      WHERE (id IN (SELECT chunk_id FROM settlement_parts WHERE settlement_id IN (${mine}))
          OR (period_from = ${period.from} AND period_to = ${period.to}))
        AND (event_total, event_count) IS NOT
          (SELECT COALESCE(SUM(total_amount), 0), COALESCE(SUM(item_count), 0) FROM settlement_parts WHERE chunk_id = c.id)`,
  ]);
  const rows = <T>(i: number) => (res[res.length - i]?.results ?? []) as T[];
  type Sum = { currency: string; total: string | null; items: number };
  const exact = (r: Sum) => ({ currency: r.currency, total: joinExactSum(r.total), items: Number(r.items) });
  const settlements = rows<Sum & { n: number }>(3);
  return {
    reconciliation: reconcile(settlements.map(exact), rows<Sum>(2).map(exact)),
    chunkMismatches: rows<{ id: number }>(1).map((r) => r.id),
    settled: settlements.reduce((n, r) => n + Number(r.n), 0),
  };
}

/** A period reconciles when every currency matches and every chunk's events equal its parts. */
const reconciled = (c: { reconciliation: CurrencyReconciliation[]; chunkMismatches: number[] }) =>
  c.reconciliation.every((r) => r.ok) && c.chunkMismatches.length === 0;

/**
 * The period's `settlement_runs` row at the end of a run (only while `runId` holds it; null: the
 * row of an interrupted run another run finished). `ok` false is a failed reconciliation, an
 * `error` any other failure (then the settlement count is left as it was).
 */
function record(db: Db, period: Period, r: { ok: boolean; error?: string; runId: string | null; now: number; settled?: number }) {
  return db
    .update(settlementRuns)
    .set({
      status: r.ok ? "done" : "failed",
      leaseOwner: null,
      leaseUntil: 0,
      settlements: r.settled,
      error: r.ok ? null : (r.error ?? "reconciliation_failed").slice(0, 500),
      finishedAt: r.now,
      updatedAt: r.now,
    })
    .where(and(eq(settlementRuns.id, periodId(period)), r.runId === null ? undefined : eq(settlementRuns.leaseOwner, r.runId)));
}

/** Frees the ledger's lease, if `runId` still holds it. */
function releaseLease(db: Db, runId: string, now: number) {
  return db
    .update(settlementLedger)
    .set({ leaseOwner: null, leaseUntil: 0, updatedAt: now })
    .where(and(eq(settlementLedger.id, 1), eq(settlementLedger.leaseOwner, runId)));
}

/**
 * Pure: compares per-currency settlement totals with the sums of the parts settled into them
 * (exact BigInt sums; reported as decimal strings). A currency present on one side only is a
 * mismatch.
 */
export function reconcile(
  settled: ReadonlyArray<{ currency: string; total: bigint; items: number }>,
  events: ReadonlyArray<{ currency: string; total: bigint; items: number }>,
): CurrencyReconciliation[] {
  const currencies = [...new Set([...settled.map((s) => s.currency), ...events.map((e) => e.currency)])].sort();
  return currencies.map((currency) => {
    const s = settled.find((x) => x.currency === currency) ?? { total: 0n, items: 0 };
    const e = events.find((x) => x.currency === currency) ?? { total: 0n, items: 0 };
    return {
      currency,
      settlementTotal: minorTotal(s.total),
      settlementItems: s.items,
      eventTotal: minorTotal(e.total),
      eventCount: e.items,
      ok: s.total === e.total && s.items === e.items,
    };
  });
}

/** Marks the run failed and releases the ledger's lease, so the next run can finish the job at once. */
async function markFailed(db: Db, period: Period, runId: string, error: string, now: number): Promise<void> {
  await db.batch([record(db, period, { ok: false, error, runId, now }), releaseLease(db, runId, now)]);
}
