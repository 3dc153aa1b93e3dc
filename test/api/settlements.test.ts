/**
 * Settlement runs: assignment, rerun no-op, concurrent runs, chunking, crash safety
 * with a fault-injecting D1, closed periods, reconciliation — and the admin settlement and fee
 * routes. Fee events are written straight into D1 with historical timestamps, each test on
 * its own days and payers.
 */
import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, rawStatement } from "../../src/db/client";
import { DAY_MS, periodBefore, periodLengthMs, periodsToSettle } from "../../src/settlements/period";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { IN_CHUNK, OF_PART } from "../../src/settlements/ledger";
import { chunkStatements, reconcile } from "../../src/settlements/run";
import { call, issueVoucher, login, newUid, slotAt, testEnv } from "../support/client";
import { admin, checkInvariants, faultyD1, feeEvent, settle, settlementOf, snapshot } from "../support/settlement-kit";
import { post, row, rows } from "../support/voucher-kit";

/** Day `n` of a test calendar far in the past (UTC midnight), so real API events never fall in. */
const day = (n: number) => Date.UTC(2025, 0, 1) + n * DAY_MS;
const H = 3_600_000;
const payer = (label: string) => `payer-${label}-${newUid("p").slice(-8)}`;

const mine = (p: string) => rows("SELECT * FROM settlements WHERE payer_uid = ? ORDER BY period_from, currency", p);

describe("periods", () => {
  it("derive the last complete period from the scheduled time, tiling UTC days", () => {
    expect(periodBefore(Date.UTC(2026, 10, 22, 0, 10), DAY_MS)).toEqual({
      from: Date.UTC(2026, 10, 21),
      to: Date.UTC(2026, 10, 22),
    });
    expect(periodBefore(Date.UTC(2026, 10, 22, 13, 5), 6 * H)).toEqual({
      from: Date.UTC(2026, 10, 22, 6),
      to: Date.UTC(2026, 10, 22, 12),
    });
    expect(periodLengthMs(undefined)).toBe(DAY_MS);
    expect(periodLengthMs("6")).toBe(6 * H);
    expect(periodLengthMs("168")).toBe(7 * DAY_MS);
    for (const bad of ["5", "0", "-24", "1.5", "abc", "25"]) expect(() => periodLengthMs(bad)).toThrow();
  });

  it("a daily cron settles each shorter period of the last 24 hours, oldest first; longer ones once", () => {
    const at = Date.UTC(2026, 10, 22, 0, 10);
    expect(periodsToSettle(at, 6 * H).map((p) => [new Date(p.from).toISOString(), new Date(p.to).toISOString()])).toEqual([
      ["2026-11-21T00:00:00.000Z", "2026-11-21T06:00:00.000Z"],
      ["2026-11-21T06:00:00.000Z", "2026-11-21T12:00:00.000Z"],
      ["2026-11-21T12:00:00.000Z", "2026-11-21T18:00:00.000Z"],
      ["2026-11-21T18:00:00.000Z", "2026-11-22T00:00:00.000Z"],
    ]);
    expect(periodsToSettle(at, DAY_MS)).toEqual([periodBefore(at, DAY_MS)]);
    expect(periodsToSettle(at, 7 * DAY_MS)).toEqual([periodBefore(at, 7 * DAY_MS)]);
    expect(periodsToSettle(at, H)).toHaveLength(24);
    // Periods tile: each ends where the next begins.
    const hourly = periodsToSettle(at, H);
    expect(hourly.every((p, i) => i === 0 || p.from === hourly[i - 1]?.to)).toBe(true);
  });

  it("reconcile flags any currency whose sums or counts differ, comparing exact BigInt sums", () => {
    const big = 2n ** 53n + 1n;
    const r = reconcile(
      [
        { currency: "EUR", total: 100n, items: 2 },
        { currency: "USD", total: 5n, items: 1 },
        { currency: "JPY", total: big, items: 3 },
      ],
      [
        { currency: "EUR", total: 100n, items: 2 },
        { currency: "CHF", total: 1n, items: 1 },
        // Equal as JS numbers (both round to 2^53), not as amounts.
        { currency: "JPY", total: big - 1n, items: 3 },
      ],
    );
    expect(r.map((x) => [x.currency, x.ok])).toEqual([
      ["CHF", false],
      ["EUR", true],
      ["JPY", false],
      ["USD", false],
    ]);
    expect(r.find((x) => x.currency === "JPY")).toMatchObject({
      settlementTotal: "9007199254740993",
      eventTotal: "9007199254740992",
    });
  });
});

describe("chunk query plans", () => {
  // Same SQL and bindings, prefixed: D1 answers EXPLAIN QUERY PLAN like a SELECT.
  const plan = async (q: SQL) => {
    const res = await rawStatement(createDb(testEnv.DB), sql`EXPLAIN QUERY PLAN ${q}`).all<{ detail: string }>();
    return res.results.map((r) => r.detail).join(" | ");
  };

  // A chunk must read exactly its own slice of the ledger: a rowid range, not an index walk over
  // the period (which would make every chunk cost as much as the whole run).
  it("both scans of a chunk are rowid ranges of fee_events", async () => {
    const period = { from: day(40), to: day(41) };
    const lease = () => sql`SELECT 1`;
    for (const bounds of [
      { seqFrom: 10, seqTo: 20, periodTo: day(41), prevSeq: 5, prevTo: day(40) },
      // Reaching back below the previous cursor adds the "not settled before" filter.
      { seqFrom: 2, seqTo: 20, periodTo: day(41), prevSeq: 5, prevTo: day(40) },
    ]) {
      const stmts = chunkStatements(period, bounds, day(42), lease);
      const scans = stmts.filter((q) => /FROM fee_events NOT INDEXED/.test(new SQLiteSyncDialect().sqlToQuery(q).sql));
      expect(scans).toHaveLength(2);
      for (const q of scans)
        expect(await plan(q)).toMatch(/SEARCH fee_events USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
    }
  });

  it("a settlement's fee events are found from its parts, through the payer index", async () => {
    const detail = await plan(
      sql`SELECT fe.* FROM settlement_parts AS p JOIN settlement_chunks AS c ON c.id = p.chunk_id
        JOIN fee_events AS fe ON ${OF_PART} AND ${IN_CHUNK} WHERE p.settlement_id = ${"st-x"} ORDER BY fe.seq`,
    );
    expect(detail).toMatch(/SEARCH p USING INDEX ix_settlement_parts_settlement/);
    expect(detail).toMatch(/SEARCH fe USING INDEX ix_fee_events_payer \(payer_uid=\? AND seq>\? AND seq<\?\)/);
  });
});

describe("runSettlement", () => {
  it("groups by beneficiary × payer × currency, sums reversals, and a rerun changes nothing", async () => {
    const a = payer("a");
    const b = payer("b");
    const c1 = await feeEvent({ amount: 100, createdAt: day(1) + H, payer: a });
    await feeEvent({ amount: 250, createdAt: day(1) + 2 * H, payer: a });
    await feeEvent({ amount: 0, createdAt: day(1) + 3 * H, payer: a, reverses: { id: c1, amount: 100 } });
    await feeEvent({ amount: 70, createdAt: day(1) + 4 * H, payer: a, currency: "USD" });
    await feeEvent({ amount: 30, createdAt: day(1) + 5 * H, payer: b });
    const later = await feeEvent({ amount: 999, createdAt: day(2) + H, payer: a });

    const out = await settle(day(1), day(2));
    expect(out.status).toBe("done");
    const sa = await mine(a);
    expect(sa.map((s) => [s.currency, s.total_amount, s.item_count, s.status])).toEqual([
      ["EUR", 250, 3, "open"],
      ["USD", 70, 1, "open"],
    ]);
    expect((await mine(b)).map((s) => s.total_amount)).toEqual([30]);
    expect(await settlementOf(later)).toBeNull();
    expect(await settlementOf(c1)).toBe(sa[0]?.id);
    if (out.status === "done") expect(out.reconciliation.every((r) => r.ok)).toBe(true);

    const before = await snapshot();
    const again = await settle(day(1), day(2));
    expect(again.status === "done" && again.assigned).toBe(0);
    expect(await snapshot()).toEqual(before);
    const run = await row("SELECT * FROM settlement_runs WHERE id = ?", `${day(1)}-${day(2)}`);
    expect(run).toMatchObject({ status: "done", lease_owner: null, attempts: 2 });
    const logged = await rows("SELECT type, meta FROM events WHERE subject_id = ? ORDER BY id", `${day(1)}-${day(2)}`);
    expect(logged.map((e) => e.type)).toEqual(["settlement.run", "settlement.run"]);
    await checkInvariants();
  });

  it("two runs of one period at once: one holds the lease, the other is skipped; result as one run", async () => {
    const p = payer("cc");
    for (let i = 0; i < 30; i++) await feeEvent({ amount: 10 + i, createdAt: day(10) + i * 60_000, payer: p });
    const [x, y] = await Promise.all([settle(day(10), day(11), { chunkSize: 4 }), settle(day(10), day(11), { chunkSize: 4 })]);
    expect([x.status, y.status].sort()).toEqual(["done", "skipped"]);
    const [s] = await mine(p);
    expect(s).toMatchObject({ total_amount: 30 * 10 + (29 * 30) / 2, item_count: 30 });
    await checkInvariants();
  });

  it("walks in chunks (one D1 batch each) and gives the same result as one big chunk", async () => {
    const p = payer("chunk");
    for (let i = 0; i < 11; i++) await feeEvent({ amount: i + 1, createdAt: day(20) + i * 1000, payer: p });
    const out = await settle(day(20), day(21), { chunkSize: 3 });
    expect(out.status).toBe("done");
    if (out.status === "done") {
      expect(out.chunks).toBeGreaterThanOrEqual(4);
      expect(out.assigned).toBeGreaterThanOrEqual(11);
    }
    expect((await mine(p))[0]).toMatchObject({ total_amount: 66, item_count: 11 });
  });

  it.each([
    { batch: 0, when: "before" },
    { batch: 1, when: "after" },
    { batch: 2, when: "before" },
    { batch: 3, when: "after" },
    { batch: 4, when: "after" },
  ] as const)("dies at batch $batch ($when) and the next run finishes the job", async (fault) => {
    const p = payer(`crash${fault.batch}${fault.when}`);
    const base = day(30 + fault.batch * 2 + (fault.when === "after" ? 1 : 0));
    for (let i = 0; i < 9; i++) await feeEvent({ amount: 5 * (i + 1), createdAt: base + i * 1000, payer: p });
    const broken = createDb(faultyD1(testEnv.DB, fault));
    await expect(settle(base, base + DAY_MS, { db: broken, chunkSize: 2 })).rejects.toThrow(/injected fault/);

    // A fault after the final batch leaves a finished run; otherwise the lease is still held, or
    // released as failed: a later run (past the lease) takes over and completes.
    const later = Date.now() + 10 * 60_000;
    const out = await settle(base, base + DAY_MS, { chunkSize: 2, now: () => later });
    expect(out.status).toBe("done");
    expect((await mine(p))[0]).toMatchObject({ total_amount: 225, item_count: 9, status: "open" });
    await checkInvariants();
  });

  it("never touches a closed settlement: late events and reversals go into the next open one", async () => {
    const p = payer("closed");
    const charge = await feeEvent({ amount: 400, createdAt: day(50) + H, payer: p });
    await settle(day(50), day(51));
    const [s1] = await mine(p);
    expect((await admin(`/api/admin/settlements/${s1?.id}/invoice`, { method: "POST" })).status).toBe(200);
    const closed = await checkInvariants();

    // A late event of day 50 and the reversal of the invoiced charge, both after invoicing.
    await feeEvent({ amount: 60, createdAt: day(50) + 2 * H, payer: p });
    await feeEvent({ amount: 0, createdAt: day(51) + H, payer: p, reverses: { id: charge, amount: 400 } });
    const rerun = await settle(day(50), day(51));
    expect(rerun.status).toBe("done");
    expect((await mine(p)).length).toBe(1);
    await checkInvariants(closed);

    await settle(day(51), day(52));
    const all = await mine(p);
    expect(all.map((s) => [s.period_from, s.total_amount, s.item_count, s.status])).toEqual([
      [day(50), 400, 1, "invoiced"],
      [day(51), -340, 2, "open"],
    ]);
    await checkInvariants(closed);
  });

  it("database triggers keep the ledger append-only, parts linked once into open settlements of their key, chunks in order", async () => {
    const p = payer("guard");
    const id = await feeEvent({ amount: 10, createdAt: day(60) + H, payer: p });
    await settle(day(60), day(61));
    const [s] = await mine(p);
    await admin(`/api/admin/settlements/${s?.id}/invoice`, { method: "POST" });
    const db = testEnv.DB;
    const refuses = (q: string, ...args: unknown[]) =>
      expect(
        db
          .prepare(q)
          .bind(...args)
          .run(),
      ).rejects;
    await refuses("UPDATE settlements SET total_amount = 1 WHERE id = ?", s?.id).toThrow(/frozen/);
    await refuses("UPDATE settlements SET status = 'open' WHERE id = ?", s?.id).toThrow(/transition/);
    await refuses("DELETE FROM settlements WHERE id = ?", s?.id).toThrow(/never deleted/);
    // The ledger: immutable, append-only (seq stays in commit order).
    await refuses("UPDATE fee_events SET amount = 11 WHERE id = ?", id).toThrow(/immutable/);
    await refuses("UPDATE fee_events SET seq = seq + 1000000 WHERE id = ?", id).toThrow(/immutable/);
    await refuses("DELETE FROM fee_events WHERE id = ?", id).toThrow(/never deleted/);

    // Parts: linked once, sums frozen, never deleted.
    const part = await row<{ chunk_id: number }>("SELECT chunk_id FROM settlement_parts WHERE settlement_id = ?", s?.id);
    const where = `chunk_id = ${part?.chunk_id} AND payer_uid = ?`;
    await refuses(`UPDATE settlement_parts SET settlement_id = NULL WHERE ${where}`, p).toThrow(/already assigned/);
    await refuses(`UPDATE settlement_parts SET total_amount = total_amount + 1 WHERE ${where}`, p).toThrow(/immutable/);
    await refuses(`UPDATE settlement_parts SET payer_uid = 'someone-else' WHERE ${where}`, p).toThrow(/immutable/);
    await refuses(`DELETE FROM settlement_parts WHERE ${where}`, p).toThrow(/never deleted/);
    await refuses("UPDATE settlement_chunks SET seq_to = seq_to + 1 WHERE id = ?", part?.chunk_id).toThrow(/immutable/);
    await refuses("DELETE FROM settlement_chunks WHERE id = ?", part?.chunk_id).toThrow(/immutable/);

    // A chunk that is not the next slice of a run in progress (none is): refused.
    const l = await row<{ settled_seq: number; settled_to: number }>("SELECT * FROM settlement_ledger");
    await refuses(
      "INSERT INTO settlement_chunks (period_from, period_to, seq_from, seq_to, prev_seq, prev_to, created_at) VALUES (?, ?, 0, ?, ?, ?, 0)",
      day(60),
      day(61),
      l?.settled_seq,
      l?.settled_seq,
      l?.settled_to,
    ).toThrow(/next slice/);
    // The cursor only moves forward, and only by ending a run.
    await refuses("UPDATE settlement_ledger SET settled_seq = settled_seq - 1").toThrow(/forward/);
    await refuses("UPDATE settlement_ledger SET settled_seq = settled_seq + 1").toThrow(/only when a run ends/);

    // A late event for p, whose day-60 settlement is invoiced: its part waits, unlinked. (And a
    // first event of q, whose day-60 settlement is new and open.)
    const q = payer("guard-open");
    await feeEvent({ amount: 3, createdAt: day(60) + 2 * H, payer: p });
    await feeEvent({ amount: 5, createdAt: day(60) + 5 * H, payer: q });
    await settle(day(60), day(61));
    const waiting = await row<{ chunk_id: number }>(
      "SELECT chunk_id FROM settlement_parts WHERE payer_uid = ? AND settlement_id IS NULL",
      p,
    );
    expect(waiting?.chunk_id).toBeGreaterThan(0);
    const [open] = await mine(q);
    expect(open?.status).toBe("open");
    // Linking it by hand: only into an open settlement of its own key.
    const link = (sid: string | undefined) =>
      db
        .prepare("UPDATE settlement_parts SET settlement_id = ? WHERE chunk_id = ? AND payer_uid = ?")
        .bind(sid, waiting?.chunk_id, p)
        .run();
    await expect(link(s?.id)).rejects.toThrow(/not open/);
    await expect(link(open?.id)).rejects.toThrow(/keys differ/);
    await settle(day(62), day(63));
    // The next run of p's key adopts it into its open settlement.
    expect((await mine(p)).map((x) => [x.period_from, x.total_amount, x.status])).toEqual([
      [day(60), 10, "invoiced"],
      [day(62), 3, "open"],
    ]);
    await checkInvariants();
  });

  it("fails the run and logs settlement.reconciliation_failed when totals and events disagree", async () => {
    const p = payer("recon");
    await feeEvent({ amount: 10, createdAt: day(70) + H, payer: p });
    await settle(day(70), day(71));
    const [s] = await mine(p);
    await admin(`/api/admin/settlements/${s?.id}/invoice`, { method: "POST" });
    // Tamper with a closed settlement behind the triggers' back (as a broken migration might).
    const db = testEnv.DB;
    const trig = await db.prepare("SELECT sql FROM sqlite_master WHERE name = 'tg_settlements_closed'").first<{ sql: string }>();
    await db.prepare("DROP TRIGGER tg_settlements_closed").run();
    try {
      await db.prepare("UPDATE settlements SET total_amount = total_amount + 1 WHERE id = ?").bind(s?.id).run();
    } finally {
      await db.prepare(trig?.sql ?? "").run();
    }
    const out = await settle(day(70), day(71));
    expect(out.status).toBe("failed");
    if (out.status === "failed") expect(out.error).toBe("reconciliation_failed");
    const ev = await row(
      "SELECT * FROM events WHERE type = 'settlement.reconciliation_failed' AND subject_id = ?",
      `${day(70)}-${day(71)}`,
    );
    expect(JSON.parse(ev?.meta ?? "{}").reconciliation.some((r: { ok: boolean }) => !r.ok)).toBe(true);
    expect((await row("SELECT status, error FROM settlement_runs WHERE id = ?", `${day(70)}-${day(71)}`))?.status).toBe("failed");
  });

  it("fails the run when a chunk's parts no longer add up to its events", async () => {
    const p = payer("recon-part");
    await feeEvent({ amount: 10, createdAt: day(72) + H, payer: p });
    await feeEvent({ amount: 15, createdAt: day(72) + 2 * H, payer: p });
    expect((await settle(day(72), day(73))).status).toBe("done");
    // Tamper with a part behind the triggers' back: the settlement total follows the parts, but
    // the chunk's own sum, read from fee_events when it was cut, does not.
    const db = testEnv.DB;
    const part = await row<{ chunk_id: number }>("SELECT chunk_id FROM settlement_parts WHERE payer_uid = ?", p);
    const trig = await db
      .prepare("SELECT sql FROM sqlite_master WHERE name = 'tg_settlement_parts_frozen'")
      .first<{ sql: string }>();
    await db.prepare("DROP TRIGGER tg_settlement_parts_frozen").run();
    try {
      await db.prepare("UPDATE settlement_parts SET total_amount = total_amount + 5 WHERE payer_uid = ?").bind(p).run();
    } finally {
      await db.prepare(trig?.sql ?? "").run();
    }
    const out = await settle(day(72), day(73));
    expect(out).toMatchObject({ status: "failed", error: "reconciliation_failed", chunkMismatches: [part?.chunk_id] });
    // The per-currency comparison alone would not have seen it: totals were recomputed from the parts.
    if (out.status === "failed") expect(out.reconciliation?.every((r) => r.ok)).toBe(true);
    expect((await mine(p))[0]).toMatchObject({ total_amount: 30 });
  });
});

describe("admin settlement routes", () => {
  it("refuse without ADMIN_TOKEN (503) and with a wrong token (401)", async () => {
    const unset = { ...testEnv, ADMIN_TOKEN: "" } as Env;
    for (const path of ["/api/admin/settlements", "/api/admin/fees", "/api/admin/settlements/export.csv"]) {
      expect((await admin(path, {}, unset)).status).toBe(503);
      const wrong = await call(path, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      expect((await call(path)).status).toBe(401);
    }
    const me = await login();
    expect((await call("/api/admin/settlements", { session: me.session })).status).toBe(401);
  });

  it("run on demand, list with filters and pages, get with fee events, invoice → pay by CAS, CSV", async () => {
    const p = payer("api");
    for (let i = 0; i < 5; i++) await feeEvent({ amount: 100 + i, createdAt: day(80) + i * H, payer: p });
    await feeEvent({ amount: 7, createdAt: day(80) + H, payer: p, currency: "USD" });
    await feeEvent({ amount: 9, createdAt: day(80) + H, payer: `=cmd|' /C calc'!A0-${p}` });

    const bad = await admin("/api/admin/settlements/run", {
      body: { from: new Date(day(81)).toISOString(), to: new Date(day(80)).toISOString() },
    });
    expect(bad.status).toBe(400);
    const future = await admin("/api/admin/settlements/run", {
      body: { from: new Date().toISOString(), to: new Date(Date.now() + DAY_MS).toISOString() },
    });
    expect(future.body.code).toBe("invalid_period");
    const ran = await admin("/api/admin/settlements/run", {
      body: { from: new Date(day(80)).toISOString(), to: new Date(day(81)).toISOString() },
    });
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect(ran.body.run.status).toBe("done");

    const eur = await admin(`/api/admin/settlements?payer=${encodeURIComponent(p)}&currency=EUR`);
    expect(eur.body.items).toHaveLength(1);
    const s = eur.body.items[0];
    expect(s).toMatchObject({
      payerUid: p,
      currency: "EUR",
      totalAmount: "510",
      itemCount: 5,
      status: "open",
      periodFrom: new Date(day(80)).toISOString(),
    });

    const page1 = await admin(`/api/admin/settlements?payer=${encodeURIComponent(p)}&limit=1`);
    const page2 = await admin(`/api/admin/settlements?payer=${encodeURIComponent(p)}&limit=1&cursor=${page1.body.nextCursor}`);
    expect([page1.body.items[0].id, page2.body.items[0].id].sort()).toEqual((await mine(p)).map((x) => x.id).sort());
    expect(page2.body.nextCursor).toBeNull();

    const detail = await admin(`/api/admin/settlements/${s.id}?limit=2`);
    expect(detail.body.feeEvents).toHaveLength(2);
    const rest = await admin(`/api/admin/settlements/${s.id}?limit=10&cursor=${detail.body.nextCursor}`);
    expect(detail.body.feeEvents.length + rest.body.feeEvents.length).toBe(5);
    // Ledger order, each event naming the settlement; the cursor is the last event's seq.
    const seqs = [...detail.body.feeEvents, ...rest.body.feeEvents].map((f: { seq: number }) => f.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(detail.body.nextCursor).toBe(String(seqs[1]));
    expect(rest.body.feeEvents.every((f: { settlementId: string }) => f.settlementId === s.id)).toBe(true);
    expect(rest.body.nextCursor).toBeNull();
    const badCursor = await admin(`/api/admin/settlements/${s.id}?cursor=fe-abc`);
    expect([badCursor.status, badCursor.body.code]).toEqual([400, "validation_failed"]);
    expect((await admin("/api/admin/settlements/st-nope")).status).toBe(404);

    expect((await admin(`/api/admin/settlements/${s.id}/pay`, { method: "POST" })).body.code).toBe("invalid_transition");
    const inv = await admin(`/api/admin/settlements/${s.id}/invoice`, { method: "POST" });
    expect(inv.body.settlement).toMatchObject({ status: "invoiced", totalAmount: "510" });
    expect((await admin(`/api/admin/settlements/${s.id}/invoice`, { method: "POST" })).status).toBe(409);
    const paid = await admin(`/api/admin/settlements/${s.id}/pay`, { method: "POST" });
    expect(paid.body.settlement.status).toBe("paid");
    expect(paid.body.settlement.paidAt).not.toBeNull();
    const trail = await rows("SELECT type FROM events WHERE subject_id = ? ORDER BY id", s.id);
    expect(trail.map((e) => e.type)).toEqual(["settlement.invoice", "settlement.pay"]);

    const csv = await call(
      `/api/admin/settlements/export.csv?from=${new Date(day(80)).toISOString()}&to=${new Date(day(81)).toISOString()}`,
      {
        headers: { authorization: `Bearer ${testEnv.ADMIN_TOKEN}` },
      },
    );
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "id,beneficiary_id,payer_uid,period_from,period_to,currency,total_minor,item_count,status,created_at,invoiced_at,paid_at",
    );
    const paidLine = lines.find((l) => l.startsWith(s.id));
    expect(paidLine?.split(",").slice(5, 9)).toEqual(["EUR", "510", "5", "paid"]);
    // A formula-looking payer is neutralised and quoted, never executable in a spreadsheet.
    expect(lines.some((l) => l.includes(`"'=cmd|' /C calc'!A0-${p}"`) || l.includes(`'=cmd|' /C calc'!A0-${p}`))).toBe(true);
    expect(lines.some((l) => /,=cmd/.test(l))).toBe(false);
  });
});

describe("admin fee routes", () => {
  it("list rules; a change bumps the version and only later bookings use it", async () => {
    const list = await admin("/api/admin/fees");
    expect(list.body.items.map((f: { id: string }) => f.id)).toEqual(
      expect.arrayContaining(["voucher.booking", "transfer.logged", "mortgage.contract", "mortgage.tranche"]),
    );
    const booking = list.body.items.find((f: { id: string }) => f.id === "voucher.booking");
    const inactive = list.body.items.filter((f: { active: boolean }) => !f.active).map((f: { id: string }) => f.id);
    expect(inactive).toEqual(expect.arrayContaining(["transfer.logged"]));
    // The platform's mortgage fees are on from the start, paid by the lender.
    const mortgage = list.body.items.filter((f: { id: string }) => f.id.startsWith("mortgage."));
    expect(
      mortgage
        .map((f: { id: string; ratePpm: number; payer: string; active: boolean }) => [f.id, f.ratePpm, f.payer, f.active])
        .sort(),
    ).toEqual([
      ["mortgage.contract", 5000, "lender", true],
      ["mortgage.tranche", 2000, "lender", true],
    ]);

    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const first = await post("/api/voucher/book", holder, {
      voucherId: voucher.voucherId,
      slotId: slotAt(validFrom, 1),
      holderUid: holder.uid,
    });
    expect(first.status).toBe(200);

    const put = await admin("/api/admin/fees/voucher.booking", {
      method: "PUT",
      body: { ratePpm: 50_000, rounding: "floor", expectedVersion: booking.version },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.fee).toMatchObject({ ratePpm: 50_000, rounding: "floor", version: booking.version + 1 });
    const stale = await admin("/api/admin/fees/voucher.booking", {
      method: "PUT",
      body: { active: true, expectedVersion: booking.version },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe("version_conflict");
    expect((await admin("/api/admin/fees/nope", { method: "PUT", body: { active: false } })).status).toBe(404);
    expect((await admin("/api/admin/fees/voucher.booking", { method: "PUT", body: {} })).status).toBe(400);
    expect((await admin("/api/admin/fees/voucher.booking", { method: "PUT", body: { ratePpm: 0.5 } })).status).toBe(400);

    try {
      const { voucher: v2, validFrom: f2 } = await issueVoucher(issuer);
      await post("/api/voucher/book", holder, { voucherId: v2.voucherId, slotId: slotAt(f2, 1), holderUid: holder.uid });
      const charges = await rows(
        "SELECT rate_ppm, rounding, rule_version, amount FROM fee_events WHERE subject_id IN (?, ?) ORDER BY created_at",
        first.body.booking.bookingId,
        (await row("SELECT id FROM voucher_bookings WHERE voucher_id = ?", v2.voucherId))?.id,
      );
      expect(charges).toEqual([
        { rate_ppm: booking.ratePpm, rounding: booking.rounding, rule_version: booking.version, amount: 100 },
        { rate_ppm: 50_000, rounding: "floor", rule_version: booking.version + 1, amount: 250 },
      ]);
      expect(
        (await rows("SELECT type FROM events WHERE type = 'fee.update' AND subject_id = 'voucher.booking'")).length,
      ).toBeGreaterThan(0);
    } finally {
      await admin("/api/admin/fees/voucher.booking", {
        method: "PUT",
        body: { ratePpm: booking.ratePpm, rounding: booking.rounding },
      });
    }
  });
});
