/**
 * Money at the boundary: a single amount is bounded at the API's edge, and every total the API
 * returns (settlement totals, the run's reconciliation, the CSV export, the fee statistics) is
 * the exact BigInt sum of its rows — past 2^53, where a JS number stops counting, and past 2^63,
 * where SQLite's SUM stops counting.
 *
 * Rows a test could not create through the API in reasonable time (thousands of maximal fee
 * events) are written straight into this file's D1; the maximum itself also goes through the API
 * (issue at the largest price, book under a 100 % + largest-fixed-part rule). Periods are far in
 * the past (one day each, in order: the ledger's cursor only moves forward) except the last
 * test's, which covers today.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_AMOUNT, MAX_CHUNK_EVENTS, MAX_FEE } from "../../src/money/money";
import { DAY_MS } from "../../src/settlements/period";
import { call, issueVoucher, login, newUid, slotAt, testEnv } from "../support/client";
import { admin, settle } from "../support/settlement-kit";
import { post, row } from "../support/voucher-kit";
import { check } from "../unit/seed";

const TWO_53 = 2n ** 53n;
const INT64_MAX = 2n ** 63n - 1n;
/** Day `n` of a calendar of its own (2011), so no other row of this file falls into it. */
const day = (n: number) => Date.UTC(2011, 0, 1) + n * DAY_MS;
const iso = (ms: number) => new Date(ms).toISOString();
const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);

interface FeeRow {
  amount: bigint;
  createdAt: number;
  payer: string;
  currency?: string;
  beneficiary?: string;
  /** Index (in the same insert) of the charge this row reverses. */
  reverses?: number;
}

let batchNo = 0;

/**
 * Inserts fee events in a few statements (a JSON array expanded by `json_each`), amounts as
 * decimal text cast in SQL, so no amount passes through a JS number. Returns the ids in order.
 */
async function insertFees(list: readonly FeeRow[]): Promise<string[]> {
  const prefix = `fe-mb-${(batchNo++).toString(36)}-${newUid("b").slice(-6)}`;
  const ids = list.map((_, i) => `${prefix}-${i.toString(36).padStart(5, "0")}`);
  const items = list.map((f, i) => ({
    id: ids[i],
    kind: f.reverses === undefined ? "charge" : "reversal",
    a: f.amount.toString(),
    c: f.currency ?? "EUR",
    p: f.payer,
    b: f.beneficiary ?? "platform:money-bounds",
    r: f.reverses === undefined ? null : ids[f.reverses],
    t: f.createdAt,
  }));
  for (let i = 0; i < items.length; i += 1000) {
    await testEnv.DB.prepare(
      `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm,
         fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
       SELECT json_extract(value, '$.id'), 'voucher.booking', json_extract(value, '$.kind'), 'test',
         'sub-' || json_extract(value, '$.id'), CAST(json_extract(value, '$.a') AS INTEGER), json_extract(value, '$.c'),
         0, 1000000, 0, 'half_up', 1, json_extract(value, '$.p'), json_extract(value, '$.b'),
         json_extract(value, '$.r'), json_extract(value, '$.t')
       FROM json_each(?) ORDER BY key`,
    )
      .bind(JSON.stringify(items.slice(i, i + 1000)))
      .run();
  }
  return ids;
}

/** The CSV export for one payer, split into cells. */
async function exportFor(payer: string): Promise<Record<string, string>[]> {
  const res = await call(`/api/admin/settlements/export.csv?payer=${encodeURIComponent(payer)}`, {
    headers: { authorization: `Bearer ${testEnv.ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  const [head, ...lines] = (await res.text()).trimEnd().split("\r\n");
  const cols = (head ?? "").split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i] ?? `${i}`, v])));
}

/** Every total the API returns for one payer's settlement of `[from, from + 1 day)` and its fee day. */
async function apiTotals(payer: string, from: number) {
  const list = await admin(`/api/admin/settlements?payer=${encodeURIComponent(payer)}`);
  expect(list.status).toBe(200);
  const csv = await exportFor(payer);
  const stats = await admin(`/api/admin/stats/fees?from=${iso(from)}&to=${iso(from + DAY_MS)}`);
  expect(stats.status, JSON.stringify(stats.body)).toBe(200);
  return { list: list.body.items, csv, stats: stats.body };
}

describe("bounds of a single amount", () => {
  it("MAX_AMOUNT and the largest fee from it keep every chunk sum inside int64 and every amount a safe integer", async () => {
    expect(Number.isSafeInteger(MAX_AMOUNT)).toBe(true);
    expect(Number.isSafeInteger(MAX_FEE)).toBe(true);
    // A fee is at most price × 100 % + the fixed part, both bounded by MAX_AMOUNT.
    expect(BigInt(MAX_FEE)).toBe(2n * BigInt(MAX_AMOUNT));
    expect(BigInt(MAX_CHUNK_EVENTS) * BigInt(MAX_FEE) <= INT64_MAX).toBe(true);
    expect(BigInt(MAX_CHUNK_EVENTS + 1) * BigInt(MAX_FEE) > INT64_MAX).toBe(true);
    // A run refuses a chunk size whose sum could leave SQLite's integers (before touching the ledger).
    await expect(settle(day(0), day(1), { chunkSize: MAX_CHUNK_EVENTS + 1 })).rejects.toThrow(RangeError);
    await expect(settle(day(0), day(1), { chunkSize: 0 })).rejects.toThrow(RangeError);
    expect(await row("SELECT lease_owner FROM settlement_ledger WHERE id = 1")).toEqual({ lease_owner: null });
  });

  it("a price or fixed part just above the bound is a 400 validation error, never a 500", async () => {
    const issuer = await login();
    await check(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(MAX_AMOUNT + 1),
          fc.integer({ min: MAX_AMOUNT + 1, max: MAX_AMOUNT + 1000 }),
          fc.integer({ min: MAX_AMOUNT + 1, max: Number.MAX_SAFE_INTEGER }),
        ),
        async (amount) => {
          const voucherId = `v-mb-${newUid()}`;
          const res = await post("/api/voucher/issue", issuer, {
            issuerUid: issuer.uid,
            voucherId,
            price: { amount, currency: "EUR" },
          });
          expect([res.status, res.body.code]).toEqual([400, "validation_failed"]);
          expect(await row("SELECT id FROM vouchers WHERE id = ?", voucherId)).toBeUndefined();
          const fee = await admin("/api/admin/fees/voucher.booking", { method: "PUT", body: { fixedAmount: amount } });
          expect([fee.status, fee.body.code]).toEqual([400, "validation_failed"]);
        },
      ),
      { numRuns: 15 },
    );
    // The bound itself is accepted.
    const at = await post("/api/voucher/issue", issuer, {
      issuerUid: issuer.uid,
      price: { amount: MAX_AMOUNT, currency: "EUR" },
    });
    expect(at.status, JSON.stringify(at.body)).toBe(200);
  });
});

describe("totals past 2^53 are exact everywhere the API returns them", () => {
  let nextDay = 0;
  let crossed = 0;

  it("a settlement of maximal fee events, with reversals, across 2^53 (property)", async () => {
    await check(
      fc.asyncProperty(
        // Around 2^53 / MAX_FEE ≈ 4504 maximal charges: some settlements stay below 2^53, most cross it.
        fc.oneof(fc.constant(4600), fc.integer({ min: 4400, max: 5200 })),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat({ max: 4399 }), { maxLength: 30 }),
        fc.array(fc.bigInt({ min: 0n, max: BigInt(MAX_FEE) }), { maxLength: 5 }),
        async (n, shortfalls, reversed, usd) => {
          const from = day(nextDay++);
          const payer = `payer-mb-${newUid("p").slice(-8)}`;
          const list: FeeRow[] = [];
          for (let i = 0; i < n; i++) {
            const amount = BigInt(MAX_FEE) - BigInt(shortfalls[i % shortfalls.length] ?? 0);
            list.push({ amount, createdAt: from + 1000 + i, payer });
          }
          for (const k of new Set(reversed))
            list.push({ amount: -(list[k]?.amount ?? 0n), createdAt: from + 2 * 3_600_000 + k, payer, reverses: k });
          for (const [i, a] of usd.entries())
            list.push({ amount: a, createdAt: from + 3 * 3_600_000 + i, payer, currency: "USD" });
          await insertFees(list);
          const eur = list.filter((f) => (f.currency ?? "EUR") === "EUR");
          const charges = sum(eur.filter((f) => f.reverses === undefined).map((f) => f.amount));
          const reversals = sum(eur.filter((f) => f.reverses !== undefined).map((f) => f.amount));
          const total = charges + reversals;
          const usdTotal = sum(usd);
          if (total > TWO_53) crossed++;

          const ran = await admin("/api/admin/settlements/run", { body: { from: iso(from), to: iso(from + DAY_MS) } });
          expect(ran.status, JSON.stringify(ran.body)).toBe(200);
          const recon = Object.fromEntries(ran.body.run.reconciliation.map((r: { currency: string }) => [r.currency, r]));
          expect(recon.EUR).toMatchObject({ settlementTotal: total.toString(), eventTotal: total.toString(), ok: true });
          if (usd.length > 0) expect(recon.USD).toMatchObject({ settlementTotal: usdTotal.toString(), ok: true });

          const got = await apiTotals(payer, from);
          const s = got.list.find((x: { currency: string }) => x.currency === "EUR");
          expect(s).toMatchObject({ totalAmount: total.toString(), itemCount: eur.length });
          expect(got.csv.find((r) => r.currency === "EUR")?.total_minor).toBe(total.toString());
          const statDay = got.stats.days.find((d: { currency: string }) => d.currency === "EUR");
          expect(statDay).toMatchObject({
            charges: { count: n, amount: charges.toString() },
            reversals: { count: eur.length - n, amount: reversals.toString() },
            net: total.toString(),
          });
          expect(got.stats.totals.find((t: { currency: string }) => t.currency === "EUR")?.net).toBe(total.toString());
          expect(got.stats.settlements.find((t: { currency: string }) => t.currency === "EUR")?.open).toEqual({
            count: 1,
            amount: total.toString(),
          });
          // Invoicing recomputes the total from the parts and answers it exactly too.
          const inv = await admin(`/api/admin/settlements/${s.id}/invoice`, { method: "POST" });
          expect(inv.body.settlement?.totalAmount).toBe(total.toString());
          // And what D1 stores is that number.
          expect(await row("SELECT CAST(total_amount AS TEXT) AS t FROM settlements WHERE id = ?", s.id)).toEqual({
            t: total.toString(),
          });
        },
      ),
      { numRuns: 6 },
    );
    // The property is only worth something if totals did pass 2^53.
    expect(crossed).toBeGreaterThan(0);
  });

  it("a negative total (a reversal settled after its charge) is a plain negative integer everywhere", async () => {
    const from = day(nextDay++);
    const payer = `payer-mb-neg-${newUid("p").slice(-8)}`;
    const [charge] = await insertFees([{ amount: BigInt(MAX_FEE), createdAt: from + 1000, payer }]);
    expect((await settle(from, from + DAY_MS)).status).toBe("done");
    const next = day(nextDay++);
    await testEnv.DB.prepare(
      `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm,
         fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
       SELECT id || '-rev', fee_id, 'reversal', subject_type, subject_id, -amount, currency, base_amount, rate_ppm,
         fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, id, ? FROM fee_events WHERE id = ?`,
    )
      .bind(next + 1000, charge)
      .run();
    expect((await settle(next, next + DAY_MS)).status).toBe("done");
    const got = await apiTotals(payer, next);
    const later = got.list.find((x: { periodFrom: string }) => x.periodFrom === iso(next));
    expect(later?.totalAmount).toBe(`-${MAX_FEE}`);
    // A number, not text that looks like a formula: no CSV-injection quote in front of the minus.
    expect(got.csv.find((r) => r.period_from === iso(next))?.total_minor).toBe(`-${MAX_FEE}`);
    expect(got.stats.days).toContainEqual({
      day: iso(next).slice(0, 10),
      currency: "EUR",
      charges: { count: 0, amount: "0" },
      reversals: { count: 1, amount: `-${MAX_FEE}` },
      net: `-${MAX_FEE}`,
    });
  });

  it("statistics that sum past int64 (many settlements, huge legacy rows) stay exact", async () => {
    // Neither can come from valid input in one settlement, but a sum over unboundedly many rows
    // can: the statistics must not rely on SQLite's 64-bit SUM. Dated far after every period this
    // file settles, so no run ever sums these rows.
    const from = Date.UTC(2200, 0, 1);
    const payer = `payer-mb-big-${newUid("p").slice(-8)}`;
    const near = INT64_MAX - 12345n;
    const amounts = [near, near, near - 1n, 7n];
    for (const [i, a] of amounts.entries()) {
      await testEnv.DB.prepare(
        `INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency, total_amount, item_count,
           status, created_at, updated_at)
         VALUES (?, 'platform:money-bounds', ?, ?, ?, 'EUR', CAST(? AS INTEGER), 1, 'open', ?, ?)`,
      )
        .bind(`st-mb-${i}-${newUid("s").slice(-6)}`, `${payer}-${i}`, from, from + DAY_MS, a.toString(), from, from)
        .run();
    }
    const evFrom = from + DAY_MS;
    const huge = [2n ** 62n, 2n ** 62n + 3n, 2n ** 62n - 5n];
    await insertFees(huge.map((amount, i) => ({ amount, createdAt: evFrom + i, payer })));

    const stats = await admin(`/api/admin/stats/fees?from=${iso(from)}&to=${iso(evFrom + DAY_MS)}`);
    expect(stats.status, JSON.stringify(stats.body)).toBe(200);
    expect(stats.body.settlements).toEqual([
      {
        currency: "EUR",
        open: { count: 4, amount: sum(amounts).toString() },
        invoiced: { count: 0, amount: "0" },
        paid: { count: 0, amount: "0" },
      },
    ]);
    expect(sum(amounts) > INT64_MAX).toBe(true);
    expect(stats.body.days).toEqual([
      {
        day: iso(evFrom).slice(0, 10),
        currency: "EUR",
        charges: { count: 3, amount: sum(huge).toString() },
        reversals: { count: 0, amount: "0" },
        net: sum(huge).toString(),
      },
    ]);
  });
});

describe("the maximum through the API", () => {
  it("a booking at the largest price under a 100 % + largest-fixed rule, settled with others past 2^53", async () => {
    const rule = await admin("/api/admin/fees/voucher.booking", {
      method: "PUT",
      body: { ratePpm: 1_000_000, fixedAmount: MAX_AMOUNT, rounding: "ceil", currency: null, active: true },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(200);
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { price: { amount: MAX_AMOUNT, currency: "EUR" } });
    expect(voucher.price).toEqual({ amount: MAX_AMOUNT, currency: "EUR" });
    const booked = await post("/api/voucher/book", holder, {
      voucherId: voucher.voucherId,
      slotId: slotAt(validFrom, 0),
      holderUid: holder.uid,
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    const fee = await row<{ amount: string; beneficiary_id: string }>(
      "SELECT CAST(amount AS TEXT) AS amount, beneficiary_id FROM fee_events WHERE payer_uid = ? AND kind = 'charge'",
      issuer.uid,
    );
    expect(fee?.amount).toBe(String(MAX_FEE));

    // 4600 more maximal charges of the same issuer today: the settlement crosses 2^53.
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    // Amounts just below the maximum, so the total is no multiple of a power of two a float could hold.
    const more = Array.from({ length: 4600 }, (_, i) => ({
      amount: BigInt(MAX_FEE) - BigInt(i % 3),
      createdAt: today + i,
      payer: issuer.uid,
      beneficiary: fee?.beneficiary_id ?? "",
    }));
    await insertFees(more);
    const total = BigInt(MAX_FEE) + sum(more.map((f) => f.amount));
    expect(total > TWO_53).toBe(true);
    expect(BigInt(Number(total)) === total).toBe(false);

    // Today's period has not ended, so the route would refuse it: the run's own code settles it.
    const out = await settle(today, today + DAY_MS);
    expect(out.status).toBe("done");
    if (out.status === "done") {
      expect(out.reconciliation).toEqual([
        {
          currency: "EUR",
          settlementTotal: total.toString(),
          settlementItems: 4601,
          eventTotal: total.toString(),
          eventCount: 4601,
          ok: true,
        },
      ]);
    }
    const got = await apiTotals(issuer.uid, today);
    expect(got.list, JSON.stringify(got.list)).toHaveLength(1);
    expect(got.list[0]).toMatchObject({ totalAmount: total.toString(), itemCount: 4601, currency: "EUR" });
    expect(got.csv.map((r) => r.total_minor)).toEqual([total.toString()]);
    const mine = got.stats.settlements.find((t: { currency: string }) => t.currency === "EUR");
    expect(BigInt(mine.open.amount) >= total).toBe(true);
    const detail = await admin(`/api/admin/settlements/${got.list[0].id}?limit=1`);
    expect(detail.body.settlement.totalAmount).toBe(total.toString());
    // A single fee event stays a plain (safe) number.
    expect(detail.body.feeEvents[0].amount).toBe(MAX_FEE);
  });
});
