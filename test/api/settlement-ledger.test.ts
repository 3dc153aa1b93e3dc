/**
 * The settlement ledger's cursor (src/settlements/run.ts, migration 0009): events created after a
 * period are left for a later run and found again; a run behind the cursor changes nothing; a run
 * that died is finished by the next run even when that one settles another period; and the
 * migration carries the assignments of the previous model (settlement_id on every event) over.
 */
import { applyD1Migrations, type D1Migration } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { DAY_MS } from "../../src/settlements/period";
import { newUid, testEnv } from "../support/client";
import { checkInvariants, faultyD1, feeEvent, settle, settlementOf } from "../support/settlement-kit";
import { row, rows } from "../support/voucher-kit";

const day = (n: number) => Date.UTC(2024, 0, 1) + n * DAY_MS;
const H = 3_600_000;
const payer = (label: string) => `payer-${label}-${newUid("p").slice(-8)}`;
const mine = (p: string) =>
  rows("SELECT period_from, total_amount, item_count, status FROM settlements WHERE payer_uid = ? ORDER BY period_from", p);
const ledger = () => row<Record<string, number | string | null>>("SELECT * FROM settlement_ledger");

describe("the settlement ledger cursor", () => {
  it("leaves events created after the period for a later run, which finds them below its cursor", async () => {
    const p = payer("future");
    await feeEvent({ amount: 10, createdAt: day(1) + H, payer: p });
    const early = await feeEvent({ amount: 20, createdAt: day(2) + H, payer: p }); // committed before the day-1 run
    await feeEvent({ amount: 30, createdAt: day(1) + 2 * H, payer: p });
    expect((await settle(day(1), day(2))).status).toBe("done");
    expect(await settlementOf(early)).toBeNull();
    const after1 = await ledger();
    expect(after1).toMatchObject({ settled_to: day(2), run_to: null, lease_owner: null });
    // The cursor remembers where the unsettled event lies below it.
    const seq = (await row<{ seq: number }>("SELECT seq FROM fee_events WHERE id = ?", early))?.seq ?? 0;
    expect(after1?.scan_from).toBe(seq - 1);

    expect((await settle(day(2), day(3))).status).toBe("done");
    expect(await mine(p)).toEqual([
      { period_from: day(1), total_amount: 40, item_count: 2, status: "open" },
      { period_from: day(2), total_amount: 20, item_count: 1, status: "open" },
    ]);
    expect((await ledger())?.scan_from).toBe((await ledger())?.settled_seq);
    await checkInvariants();
  });

  it("a run behind the cursor changes nothing; a late event goes to the next run of the current period", async () => {
    const p = payer("behind");
    await feeEvent({ amount: 5, createdAt: day(10) + H, payer: p });
    await settle(day(10), day(11));
    const before = await ledger();
    const late = await feeEvent({ amount: 7, createdAt: day(5) + H, payer: p });
    const behind = await settle(day(5), day(6));
    expect(behind).toMatchObject({ status: "done", assigned: 0, chunks: 0, settlements: 0 });
    expect(await settlementOf(late)).toBeNull();
    expect(await ledger()).toMatchObject({ settled_seq: before?.settled_seq, settled_to: before?.settled_to });
    // The next run (here: the current period again) takes it.
    const again = await settle(day(10), day(11));
    expect(again).toMatchObject({ status: "done", assigned: 1 });
    expect(await mine(p)).toEqual([{ period_from: day(10), total_amount: 12, item_count: 2, status: "open" }]);
    await checkInvariants();
  });

  it("a run that died between chunks is finished first by the next run, even of another period", async () => {
    const p = payer("resume");
    for (let i = 0; i < 7; i++) await feeEvent({ amount: i + 1, createdAt: day(20) + i * 1000, payer: p });
    await feeEvent({ amount: 100, createdAt: day(21) + H, payer: p });
    // Batches: 0 lease + pin, 1.. chunks of 2 events; die before the third chunk.
    const broken = createDb(faultyD1(testEnv.DB, { batch: 3, when: "before" }));
    await expect(settle(day(20), day(21), { db: broken, chunkSize: 2 })).rejects.toThrow(/injected fault/);
    expect((await ledger())?.run_to).toBe(day(21));
    expect((await row("SELECT status FROM settlement_runs WHERE id = ?", `${day(20)}-${day(21)}`))?.status).toBe("failed");

    const logs: string[] = [];
    const out = await settle(day(21), day(22), { chunkSize: 2, log: (_level, msg) => logs.push(msg) });
    expect(out.status).toBe("done");
    expect(logs).toContain("finishing an interrupted settlement run first");
    expect(await mine(p)).toEqual([
      { period_from: day(20), total_amount: 28, item_count: 7, status: "open" },
      { period_from: day(21), total_amount: 100, item_count: 1, status: "open" },
    ]);
    expect((await row("SELECT status FROM settlement_runs WHERE id = ?", `${day(20)}-${day(21)}`))?.status).toBe("done");
    await checkInvariants();
  });
});

describe("migration 0009", () => {
  it("carries the previous model's assignments over: each settled period becomes one chunk, each settlement its parts", async () => {
    const db = (env as unknown as { MIGRATION_DB: D1Database }).MIGRATION_DB;
    const all = (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS;
    const upTo0008 = all.filter((m) => m.name < "0009");
    expect(upTo0008.length).toBe(9);
    await applyD1Migrations(db, upTo0008);

    // Inserted unassigned, then assigned: the old trigger admits assignment only by UPDATE, into an
    // open settlement.
    const fe = async (id: string, payerUid: string, amount: number, at: number, settlement: string | null) => {
      await db
        .prepare(
          `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm,
             fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, settlement_id, created_at)
           VALUES (?, 'voucher.booking', 'charge', 'test', ?, ?, 'EUR', 0, 0, 0, 'half_up', 1, ?, 'platform:test', NULL, NULL, ?)`,
        )
        .bind(id, `sub-${id}`, amount, payerUid, at)
        .run();
      if (settlement) await db.prepare("UPDATE fee_events SET settlement_id = ? WHERE id = ?").bind(settlement, id).run();
    };
    const st = (id: string, payerUid: string, from: number, total: number, n: number) =>
      db
        .prepare(
          `INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency, total_amount, item_count,
             status, created_at, updated_at, first_event_at) VALUES (?, 'platform:test', ?, ?, ?, 'EUR', ?, ?, 'open', 0, 0, ?)`,
        )
        .bind(id, payerUid, from, from + DAY_MS, total, n, from)
        .run();
    // Day 1: a and b settled (b's settlement invoiced); day 2: a settled; one unassigned event of a
    // on day 2 (its run came first), inserted between the others.
    await st("st-a1", "a", day(1), 30, 2);
    await st("st-b1", "b", day(1), 5, 1);
    await st("st-a2", "a", day(2), 7, 1);
    await fe("fe-1", "a", 10, day(1) + H, "st-a1");
    await fe("fe-2", "b", 5, day(1) + 2 * H, "st-b1");
    await fe("fe-3", "a", 1000, day(2) + 3 * H, null);
    await fe("fe-4", "a", 20, day(1) + 3 * H, "st-a1");
    await fe("fe-5", "a", 7, day(2) + H, "st-a2");
    // Invoiced only now: assignment needed its settlement open.
    await db.prepare("UPDATE settlements SET status = 'invoiced' WHERE id = 'st-b1'").run();

    await applyD1Migrations(db, all);
    const q = <T>(sql: string) =>
      db
        .prepare(sql)
        .all<T>()
        .then((r) => r.results);
    expect(await q("SELECT fee_event_id, settlement_id FROM fee_event_settlements ORDER BY seq")).toEqual([
      { fee_event_id: "fe-1", settlement_id: "st-a1" },
      { fee_event_id: "fe-2", settlement_id: "st-b1" },
      { fee_event_id: "fe-4", settlement_id: "st-a1" },
      { fee_event_id: "fe-5", settlement_id: "st-a2" },
    ]);
    // Settled blocks first (period order), the unsettled event after them.
    expect(await q("SELECT id, seq FROM fee_events ORDER BY seq")).toEqual(
      ["fe-1", "fe-2", "fe-4", "fe-5", "fe-3"].map((id, i) => ({ id, seq: i + 1 })),
    );
    expect(await q("SELECT period_from, seq_from, seq_to FROM settlement_chunks ORDER BY id")).toEqual([
      { period_from: day(1), seq_from: 0, seq_to: 3 },
      { period_from: day(2), seq_from: 3, seq_to: 4 },
    ]);
    expect((await q("SELECT settled_seq, settled_to, scan_from FROM settlement_ledger"))[0]).toEqual({
      settled_seq: 4,
      settled_to: day(3),
      scan_from: 4,
    });

    // The next run settles the one left over, into the next period (its own is settled already).
    const out = await settle(day(3), day(4), { db: createDb(db) });
    expect(out).toMatchObject({ status: "done", assigned: 1 });
    expect(await q("SELECT settlement_id FROM fee_event_settlements WHERE fee_event_id = 'fe-3'")).toEqual([
      { settlement_id: expect.stringMatching(/^st-/) },
    ]);
    expect(await q("SELECT period_from, total_amount FROM settlements WHERE payer_uid = 'a' ORDER BY period_from")).toEqual([
      { period_from: day(1), total_amount: 30 },
      { period_from: day(2), total_amount: 7 },
      { period_from: day(3), total_amount: 1000 },
    ]);
  });
});
