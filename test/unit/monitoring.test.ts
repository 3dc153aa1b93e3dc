/// <reference types="vite/client" />
/**
 * Pure parts of the monitoring routes: query instants and windows, event-id time bounds (a
 * property test against `newId`), the stats shaping (days, basis points, fee and settlement
 * tallies), the dashboard formulas on hand-computed aggregates, and the health checks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids";
import { buildDashboard } from "../../src/monitoring/dashboard";
import { idWindow, parseTypeFilter } from "../../src/monitoring/events";
import { SETTLEMENT_STALE_MS, migrationCheck, settlementCheck } from "../../src/monitoring/health";
import { basisPoints, bookingDays, feeDays, feeTotals, settlementTotals, templateUtilization } from "../../src/monitoring/stats";
import { DAY_MS, MAX_INSTANT, dayKey, daysOf, eventIdAt, parseInstant, resolveRange } from "../../src/monitoring/time";
import { ERASURE_TARGETS, isTombstone, newTombstone } from "../../src/privacy/erase";
import { check } from "./seed";

const D = Date.UTC(2026, 2, 1); // a UTC midnight

describe("instants", () => {
  it("parses epoch ms, ISO dates and ISO date-times; refuses the rest", () => {
    expect(parseInstant("0")).toBe(0);
    expect(parseInstant(String(D))).toBe(D);
    expect(parseInstant("2026-03-01")).toBe(D);
    expect(parseInstant("2026-03-01T00:00:00Z")).toBe(D);
    expect(parseInstant("2026-03-01T01:30:00+01:30")).toBe(D);
    expect(parseInstant("2026-03-01T00:00:00.250Z")).toBe(D + 250);
    expect(parseInstant(String(MAX_INSTANT))).toBe(MAX_INSTANT);
    for (const bad of [
      "",
      " 1",
      "-1",
      "1.5",
      "1e3",
      "2026-02-30",
      "2026-13-01",
      "2030-13-45T99:99:99Z",
      "2026-03-01T00:00:00",
      "9999-12-31T23:59:59.999Z",
      String(MAX_INSTANT + 1),
      "now",
    ]) {
      expect(parseInstant(bad), bad).toBeNull();
    }
  });

  it("resolves stats windows: defaults, order, at most 366 days", () => {
    const now = D + 5 * 3_600_000;
    expect(resolveRange({}, now)).toEqual({ from: D + DAY_MS - 30 * DAY_MS, to: D + DAY_MS });
    expect(resolveRange({ from: D, to: D + DAY_MS }, now)).toEqual({ from: D, to: D + DAY_MS });
    expect(() => resolveRange({ from: D, to: D }, now)).toThrow(/before/);
    expect(() => resolveRange({ from: D, to: D + 367 * DAY_MS }, now)).toThrow(/366/);
    expect(resolveRange({ from: D, to: D + 366 * DAY_MS }, now).to).toBe(D + 366 * DAY_MS);
    expect(daysOf({ from: D - 1, to: D + DAY_MS })).toEqual(["2026-02-28", "2026-03-01"]);
    expect(dayKey(D + DAY_MS - 1)).toBe("2026-03-01");
  });
});

describe("event id time bounds", () => {
  it("id >= eventIdAt(t) ⇔ created at or after t (against newId)", () =>
    check(
      fc.property(fc.integer({ min: 0, max: MAX_INSTANT }), fc.integer({ min: 0, max: MAX_INSTANT }), (created, t) => {
        const id = newId("ev", created);
        expect(id >= eventIdAt(t)).toBe(created >= t);
      }),
    ));

  it("folds time bounds and the cursor into one id window, never outside ev-…", () => {
    expect(idWindow({ limit: 1 })).toEqual({ lower: "ev-", upper: "ev." });
    const w = idWindow({ limit: 1, createdGte: D, createdLt: D + 10, startingAfter: newId("ev", D + 5) });
    expect(w.lower).toBe(eventIdAt(D));
    expect(w.upper.startsWith(eventIdAt(D + 5))).toBe(true);
    expect(idWindow({ limit: 1, startingAfter: "zzz" }).upper).toBe("ev.");
    expect(parseTypeFilter("voucher.*")).toEqual({ prefix: "voucher." });
    expect(parseTypeFilter("voucher.book")).toEqual({ exact: "voucher.book" });
  });
});

describe("stats shaping", () => {
  it("basis points are integers, rounded down, null for 0 of 0", () => {
    expect(basisPoints(1, 3)).toBe(3333);
    expect(basisPoints(2, 3)).toBe(6666);
    expect(basisPoints(3, 3)).toBe(10000);
    expect(basisPoints(0, 5)).toBe(0);
    expect(basisPoints(0, 0)).toBeNull();
  });

  it("booking days cover the window with zeros", () => {
    const day = D / DAY_MS;
    expect(
      bookingDays({ from: D, to: D + 3 * DAY_MS }, [
        { type: "voucher.book", day, n: 2 },
        { type: "voucher.cancel", day, n: 1 },
        { type: "voucher.reschedule", day: day + 2, n: 4 },
        { type: "voucher.issue", day, n: 9 },
      ]),
    ).toEqual([
      { day: "2026-03-01", booked: 2, cancelled: 1, rescheduled: 0 },
      { day: "2026-03-02", booked: 0, cancelled: 0, rescheduled: 0 },
      { day: "2026-03-03", booked: 0, cancelled: 0, rescheduled: 4 },
    ]);
  });

  it("template utilization lists every template and the untemplated vouchers", () => {
    expect(
      templateUtilization(
        [
          { id: "a", title: "A" },
          { id: "b", title: "B" },
        ],
        [
          { template_id: "b", issued: 3, booked: 1 },
          { template_id: null, issued: 1, booked: 1 },
        ],
      ),
    ).toEqual([
      { templateId: "b", title: "B", vouchersIssued: 3, slotsBooked: 1, utilizationBp: 3333 },
      { templateId: null, title: null, vouchersIssued: 1, slotsBooked: 1, utilizationBp: 10000 },
      { templateId: "a", title: "A", vouchersIssued: 0, slotsBooked: 0, utilizationBp: null },
    ]);
  });

  it("fee days, totals and settlement totals add integers per currency (money totals as decimal strings)", () => {
    const day = D / DAY_MS;
    const days = feeDays([
      { day: day + 1, currency: "EUR", kind: "charge", n: 1, amount: 99 },
      { day, currency: "USD", kind: "charge", n: 1, amount: 700 },
      { day, currency: "EUR", kind: "charge", n: 2, amount: 1250 },
      { day, currency: "EUR", kind: "reversal", n: 1, amount: -250 },
    ]);
    expect(days).toEqual([
      {
        day: "2026-03-01",
        currency: "EUR",
        charges: { count: 2, amount: "1250" },
        reversals: { count: 1, amount: "-250" },
        net: "1000",
      },
      {
        day: "2026-03-01",
        currency: "USD",
        charges: { count: 1, amount: "700" },
        reversals: { count: 0, amount: "0" },
        net: "700",
      },
      {
        day: "2026-03-02",
        currency: "EUR",
        charges: { count: 1, amount: "99" },
        reversals: { count: 0, amount: "0" },
        net: "99",
      },
    ]);
    expect(feeTotals(days)).toEqual([
      { currency: "EUR", charges: { count: 3, amount: "1349" }, reversals: { count: 1, amount: "-250" }, net: "1099" },
      { currency: "USD", charges: { count: 1, amount: "700" }, reversals: { count: 0, amount: "0" }, net: "700" },
    ]);
    expect(
      settlementTotals([
        { currency: "EUR", status: "open", n: 2, amount: "10" },
        { currency: "EUR", status: "paid", n: 1, amount: "5" },
      ]),
    ).toEqual([
      { currency: "EUR", open: { count: 2, amount: "10" }, invoiced: { count: 0, amount: "0" }, paid: { count: 1, amount: "5" } },
    ]);
  });
});

/** Modules that add money amounts: no float rounding or parsing (like the money kernel's guard). */
const statsSources = import.meta.glob<string>("../../src/monitoring/stats.ts", { query: "?raw", import: "default", eager: true });

describe("money in stats", () => {
  it("stats.ts uses no float rounding or parsing", () => {
    const text = Object.values(statsSources)[0] ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/Math\.round\(|parseFloat\(|toFixed\(|total\(/);
  });
});

describe("dashboard formulas", () => {
  const now = D + 12 * 3_600_000;
  const g = (
    type: string,
    n: number,
    extra: Partial<{ subject_type: string | null; n24h: number; n7d: number; cancel_errors: number }> = {},
  ) => ({
    type,
    subject_type: null,
    n,
    n24h: n,
    n7d: n,
    cancel_errors: 0,
    ...extra,
  });

  it("computes the original's numbers from aggregates", () => {
    const d = buildDashboard({
      now,
      groups: [
        g("voucher.book", 6, { subject_type: "voucher_booking", n24h: 4 }),
        g("voucher.cancel", 2, { subject_type: "voucher_booking", cancel_errors: 1, n24h: 0 }),
        g("payment.failed", 1, { n24h: 1 }),
        g("system.crash", 1, { n24h: 0 }),
      ],
      days: [
        { day: D / DAY_MS, n: 5 },
        { day: D / DAY_MS - 6, n: 2 },
        { day: D / DAY_MS - 7, n: 99 },
      ],
      recent: [],
    });
    // 10 events, errors: payment.failed (1) + the cancel with an error reason (1) = 2 → 20 %.
    expect(d.errorStats).toEqual({
      rate: 20,
      count: 2,
      total: 10,
      topErrors: [
        { type: "payment.failed", count: 1 },
        { type: "voucher.cancel", count: 1 },
      ],
    });
    expect(d.qualityScore).toBe(80);
    expect(d.activityCount).toBe(5);
    // 0.3·5 + 0.4·80 + 0.3·max(0, 100 − 40) = 1.5 + 32 + 18 = 51.5
    expect(d.productionReadiness).toBe(51.5);
    expect(d.systemStability).toBe(90);
    expect(d.fixStats).toEqual({ rate: 0, fixesPerWeek: 0, openErrors: 2 });
    expect(d.productionTimeline).toHaveLength(7);
    expect(d.productionTimeline[0]).toEqual({ date: "2026-02-23", count: 2 });
    expect(d.productionTimeline[6]).toEqual({ date: "2026-03-01", count: 5 });
    expect(d.featureMaturity).toEqual([
      { name: "voucher_booking", events: 8, errorRate: 12.5 },
      { name: "payment", events: 1, errorRate: 100 },
      { name: "system", events: 1, errorRate: 0 },
    ]);
    expect(d.backupHealth).toEqual({ status: "not_tracked", lastBackup: null, backupFrequency: null });
  });

  it("an empty log is 100 % stable, quality 100, readiness 70", () => {
    const d = buildDashboard({ now, groups: [], days: [], recent: [] });
    expect([d.productionReadiness, d.qualityScore, d.systemStability, d.activityCount]).toEqual([70, 100, 100, 0]);
    expect(d.productionTimeline.every((t) => t.count === 0)).toBe(true);
  });
});

describe("health checks", () => {
  it("migrations: pending ones fail, unknown applied ones are reported only", () => {
    expect(migrationCheck(["a.sql", "b.sql"], ["a.sql", "b.sql"])).toMatchObject({ ok: true, pending: [], unknown: [] });
    expect(migrationCheck(["a.sql", "b.sql"], ["a.sql"])).toMatchObject({ ok: false, pending: ["b.sql"] });
    expect(migrationCheck(["a.sql"], ["a.sql", "c.sql"])).toMatchObject({ ok: true, unknown: ["c.sql"], latest: "a.sql" });
  });

  it("settlement: never, ok, stale, failed", () => {
    const run = (status: string, finished: number) => ({
      id: "r",
      period_from: D - DAY_MS,
      period_to: D,
      status,
      finished_at: finished,
    });
    expect(settlementCheck(null, D)).toMatchObject({ ok: false, status: "never", ageSeconds: null });
    expect(settlementCheck(run("done", D - 3_600_000), D)).toMatchObject({ ok: true, status: "ok", ageSeconds: 3600 });
    expect(settlementCheck(run("done", D - SETTLEMENT_STALE_MS - 1), D)).toMatchObject({ ok: false, status: "stale" });
    expect(settlementCheck(run("failed", D), D)).toMatchObject({ ok: false, status: "failed" });
  });
});

describe("tombstones", () => {
  it("are erased-<32 hex>, fresh each time", () => {
    const a = newTombstone();
    expect(isTombstone(a)).toBe(true);
    expect(a).not.toBe(newTombstone());
  });

  it("every erasure target reports under its own name", () => {
    const names = ERASURE_TARGETS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
