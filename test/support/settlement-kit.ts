/**
 * Helpers of the settlement tests: admin calls, fee events written straight into D1 (any
 * timestamp), a fault-injecting D1 wrapper, and the invariant checker every step runs.
 */
import { expect } from "vitest";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { createDb } from "../../src/db/client";
import { IN_CHUNK } from "../../src/settlements/ledger";
import { runSettlement, type RunOptions } from "../../src/settlements/run";
import { json, newUid, testEnv } from "./client";
import { rows } from "./voucher-kit";

/** The admin token of the test bindings. */
export const ADMIN = { authorization: `Bearer ${testEnv.ADMIN_TOKEN}` };

/** An admin API call (bearer token set), returns status and parsed JSON. */
export function admin(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}, e?: Env) {
  return json(path, { ...init, headers: { ...ADMIN, ...init.headers } }, e);
}

let seq = 0;

/** Inserts a fee event (a charge, or a reversal of `reverses`) with any `createdAt`. */
export async function feeEvent(f: {
  amount: number;
  createdAt: number;
  payer?: string;
  beneficiary?: string;
  currency?: string;
  reverses?: { id: string; amount: number };
}): Promise<string> {
  const id = `fe-t-${f.createdAt.toString(36)}-${(seq++).toString(36).padStart(6, "0")}-${newUid("x").slice(-6)}`;
  const reversal = f.reverses !== undefined;
  await testEnv.DB.prepare(
    `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm,
       fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
     VALUES (?, 'voucher.booking', ?, 'test', ?, ?, ?, 0, 20000, 0, 'half_up', 1, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      reversal ? "reversal" : "charge",
      reversal ? `rev-${id}` : `sub-${id}`,
      reversal ? -(f.reverses?.amount ?? 0) : f.amount,
      f.currency ?? "EUR",
      f.payer ?? "payer-a",
      f.beneficiary ?? "platform:test",
      f.reverses?.id ?? null,
      f.createdAt,
    )
    .run();
  return id;
}

/** Runs a settlement directly (the code path the cron and the admin route share). */
export function settle(from: number, to: number, opts: Partial<RunOptions> = {}) {
  return runSettlement({
    db: createDb(testEnv.DB),
    period: { from, to },
    trigger: "cron",
    log: () => {},
    ...opts,
  });
}

/** Where a fault is injected: before or after the `n`-th `batch()` call (0-based). */
export interface Fault {
  batch: number;
  when: "before" | "after";
}

/**
 * A D1 binding that throws at one chosen `batch()` call: before it reaches D1 (nothing written)
 * or after it committed (written, but the caller sees an error) — the two ways a run can die.
 */
export function faultyD1(d1: D1Database, fault: Fault): D1Database {
  let calls = 0;
  return new Proxy(d1, {
    get(target, prop, receiver) {
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          const n = calls++;
          if (n === fault.batch && fault.when === "before") throw new Error(`injected fault before batch ${n}`);
          const res = await target.batch(stmts);
          if (n === fault.batch && fault.when === "after") throw new Error(`injected fault after batch ${n}`);
          return res;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** The settlement tables as comparable data. */
export async function snapshot() {
  return {
    settlements: await rows("SELECT * FROM settlements ORDER BY id"),
    assignments: await rows("SELECT fee_event_id, chunk_id, settlement_id FROM fee_event_settlements ORDER BY seq"),
    parts: await rows("SELECT * FROM settlement_parts ORDER BY chunk_id, beneficiary_id, payer_uid, currency"),
    chunks: await rows("SELECT * FROM settlement_chunks ORDER BY id"),
  };
}

/** Runs completed so far (the latest first). */
const doneRuns = () =>
  rows<{ period_from: number; period_to: number }>(
    "SELECT period_from, period_to FROM settlement_runs WHERE status = 'done' ORDER BY finished_at DESC",
  );

/** The settlement of one fee event (null: not settled, or waiting for an open settlement). */
export async function settlementOf(feeEventId: string): Promise<string | null> {
  const [row] = await rows<{ settlement_id: string | null }>(
    "SELECT settlement_id FROM fee_event_settlements WHERE fee_event_id = ?",
    feeEventId,
  );
  return row?.settlement_id ?? null;
}

/**
 * The settlement invariants, checked against the whole database (through the
 * `fee_event_settlements` view, which applies the chunk rule of src/settlements/ledger.ts):
 * 1. no fee event lies in two chunks; every event in a chunk has its key's part there; every
 *    settled event's settlement exists, has its key and a period ending after the event;
 * 2. reconciliation: per currency, settled event sums equal settlement totals (and counts);
 * 3. closed settlements equal their earlier snapshot (only `invoiced → paid` may happen);
 * 4. after a completed run of [from, to), no fee event created before `to` is unsettled unless
 *    its settlement key for that period is closed.
 * Returns the closed settlements, to compare with at the next step.
 */
export async function checkInvariants(closedBefore: Record<string, any>[] = []): Promise<Record<string, any>[]> {
  const twice = await rows(
    `SELECT fe.id FROM fee_events fe JOIN settlement_chunks c ON ${IN_CHUNK_SQL} GROUP BY fe.seq HAVING COUNT(*) > 1`,
  );
  expect(twice, "fee events in two chunks").toEqual([]);
  const partless = await rows(
    `SELECT fe.id FROM fee_events fe JOIN settlement_chunks c ON ${IN_CHUNK_SQL}
     WHERE NOT EXISTS (SELECT 1 FROM settlement_parts p WHERE p.chunk_id = c.id AND p.beneficiary_id = fe.beneficiary_id
       AND p.payer_uid = fe.payer_uid AND p.currency = fe.currency)`,
  );
  expect(partless, "fee events in a chunk without their key's part").toEqual([]);
  const orphans = await rows(
    `SELECT fe.id FROM fee_event_settlements v JOIN fee_events fe ON fe.seq = v.seq LEFT JOIN settlements s ON s.id = v.settlement_id
     WHERE v.settlement_id IS NOT NULL AND (s.id IS NULL OR s.beneficiary_id <> fe.beneficiary_id
       OR s.payer_uid <> fe.payer_uid OR s.currency <> fe.currency OR fe.created_at >= s.period_to)`,
  );
  expect(orphans, "fee events settled into a settlement of another key or an earlier period").toEqual([]);

  const bySettlement = await rows(
    `SELECT s.currency, SUM(s.total_amount) AS total, SUM(s.item_count) AS items FROM settlements s GROUP BY s.currency ORDER BY s.currency`,
  );
  const byEvents = await rows(
    `SELECT s.currency, SUM(fe.amount) AS total, COUNT(*) AS items FROM fee_event_settlements v
       JOIN fee_events fe ON fe.seq = v.seq JOIN settlements s ON s.id = v.settlement_id
     GROUP BY s.currency ORDER BY s.currency`,
  );
  expect(bySettlement, "reconciliation: settlement totals vs settled fee events").toEqual(byEvents);

  const closed = await rows("SELECT * FROM settlements WHERE status <> 'open' ORDER BY id");
  const now = new Map(closed.map((s) => [s.id, s]));
  for (const before of closedBefore) {
    const after = now.get(before.id);
    expect(after, `closed settlement ${before.id} disappeared`).toBeDefined();
    const { status, paid_at, updated_at, ...frozen } = after ?? {};
    const { status: s0, paid_at: p0, updated_at: u0, ...frozenBefore } = before;
    expect(frozen, `closed settlement ${before.id} changed`).toEqual(frozenBefore);
    if (s0 === "paid") expect(status).toBe("paid");
  }

  const [last] = await doneRuns();
  if (last) {
    const left = await rows(
      `SELECT fe.id FROM fee_events fe WHERE fe.created_at < ?
         AND NOT EXISTS (SELECT 1 FROM fee_event_settlements v WHERE v.seq = fe.seq AND v.settlement_id IS NOT NULL)
         AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.beneficiary_id = fe.beneficiary_id AND s.payer_uid = fe.payer_uid
           AND s.currency = fe.currency AND s.period_from = ? AND s.period_to = ? AND s.status <> 'open')`,
      last.period_to,
      last.period_from,
      last.period_to,
    );
    expect(left, "fee events before the last run's end left unsettled").toEqual([]);
  }
  return closed;
}

/** The chunk rule of src/settlements/ledger.ts (as in migration 0009's view), as SQL text. */
const IN_CHUNK_SQL = new SQLiteSyncDialect().sqlToQuery(IN_CHUNK).sql;
