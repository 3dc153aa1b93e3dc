/**
 * The admin page's pure module (public/admin-core.js): money and rate formatting on integer math,
 * the currency table against the API's, query strings and paths, date ranges, chart series, the
 * fee edit body, the event-stream merge and the CSV filename.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  actionPath,
  ageText,
  bookingSeries,
  CURRENCIES,
  chartValue,
  cleanFilters,
  csvFilename,
  currencyExponent,
  DEFAULT_DAYS,
  daysBetween,
  dayStart,
  defaultRange,
  describeError,
  EVENT_PAGE,
  eventsPollPath,
  exportPath,
  feeSeries,
  feeUpdateBody,
  formatMoney,
  formatPpm,
  healthLines,
  MAX_AMOUNT,
  MAX_EVENTS,
  mergeEvents,
  metaText,
  minorToDecimal,
  needsNextPage,
  nextAction,
  periodLabel,
  presenceLine,
  queryString,
  rangeInstants,
  settlementsPath,
  sumMinor,
  toBigInt,
  validToken,
} from "../../public/admin-core.js";
import { MAX_AMOUNT as API_MAX_AMOUNT, currencyScale } from "../../src/money/money";
import { check } from "./seed";

/** Strips the narrow no-break spaces Intl puts before currency signs, for readable expectations. */
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("currency exponents", () => {
  it("match the API's table for every three-letter code", () => {
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (const a of letters)
      for (const b of letters)
        for (const c of letters) {
          const code = a + b + c;
          expect(currencyExponent(code), code).toBe(currencyScale(code));
        }
    expect(CURRENCIES.length).toBeGreaterThan(150);
    expect(currencyExponent("eur")).toBeUndefined();
  });
});

describe("minorToDecimal", () => {
  it("places the decimal point exactly", () => {
    expect(minorToDecimal(123456, 2)).toBe("1234.56");
    expect(minorToDecimal(5, 2)).toBe("0.05");
    expect(minorToDecimal(-1205, 2)).toBe("-12.05");
    expect(minorToDecimal(-5, 3)).toBe("-0.005");
    expect(minorToDecimal(7, 0)).toBe("7");
    expect(minorToDecimal(0, 2)).toBe("0.00");
    expect(minorToDecimal(Number.MAX_SAFE_INTEGER, 2)).toBe("90071992547409.91");
    expect(minorToDecimal("123456789012345678901", 2)).toBe("1234567890123456789.01");
    expect(minorToDecimal(12345678901234567890n, 3)).toBe("12345678901234567.890");
  });

  it("refuses what is not an integer", () => {
    expect(minorToDecimal(1.5, 2)).toBeNull();
    expect(minorToDecimal(Number.NaN, 2)).toBeNull();
    expect(minorToDecimal(2 ** 53, 2)).toBeNull();
    expect(minorToDecimal("1.5", 2)).toBeNull();
    expect(minorToDecimal("", 2)).toBeNull();
    expect(minorToDecimal(1, -1)).toBeNull();
  });

  it("round-trips: digits without the point are the amount (property)", async () => {
    await check(
      fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.integer({ min: 0, max: 4 }), (v, exp) => {
        const s = minorToDecimal(v, exp) ?? "";
        expect(BigInt(s.replace(".", ""))).toBe(v);
        expect(s.includes(".") ? (s.split(".")[1] ?? "").length : 0).toBe(exp);
      }),
    );
  });
});

describe("formatMoney", () => {
  it("formats minor units as major units with the currency's exponent", () => {
    expect(plain(formatMoney(123456, "EUR"))).toBe("1.234,56 €");
    expect(plain(formatMoney(-5, "EUR"))).toBe("-0,05 €");
    expect(plain(formatMoney(1500, "JPY"))).toBe("1.500 ¥");
    expect(plain(formatMoney(1234, "KWD"))).toBe("1,234 KWD");
    expect(plain(formatMoney(123456, "USD", "en-US"))).toBe("$1,234.56");
  });

  it("never rounds, however large the amount", () => {
    expect(plain(formatMoney(Number.MAX_SAFE_INTEGER, "EUR"))).toBe("90.071.992.547.409,91 €");
    expect(plain(formatMoney("123456789012345678901", "EUR"))).toBe("1.234.567.890.123.456.789,01 €");
    // Totals as the API sends them: just past 2^53, past 2^63, negative.
    expect(plain(formatMoney("9007199254740993", "EUR"))).toBe("90.071.992.547.409,93 €");
    expect(plain(formatMoney("27670116110564327421", "JPY"))).toBe("27.670.116.110.564.327.421 ¥");
    expect(plain(formatMoney("-9223372036854775809", "KWD"))).toBe("-9.223.372.036.854.775,809 KWD");
  });

  it("formats every decimal-string total digit for digit (property)", async () => {
    await check(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.constantFrom("EUR", "JPY", "KWD"), (v, c) => {
        const shown = formatMoney(v.toString(), c, "en-US");
        expect(shown).not.toContain("Minor Units");
        expect(BigInt(shown.replace(/[^0-9]/g, ""))).toBe(v < 0n ? -v : v);
        expect(shown.includes("-")).toBe(v < 0n);
      }),
    );
  });

  it("shows unknown currencies and non-integers raw instead of guessing", () => {
    expect(formatMoney(100, "XXX")).toBe("100 XXX (Minor Units)");
    expect(formatMoney(1.5, "EUR")).toBe("1.5 EUR (Minor Units)");
  });

  it("shows every cent of any integer amount (property)", async () => {
    await check(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (v) => {
        const digits = formatMoney(v, "EUR", "en-US").replace(/[^0-9]/g, "");
        expect(BigInt(digits)).toBe(BigInt(Math.abs(v)));
      }),
    );
  });
});

describe("formatPpm", () => {
  it("is an exact percentage", () => {
    expect(plain(formatPpm(20_000))).toBe("2 %");
    expect(plain(formatPpm(12_345))).toBe("1,2345 %");
    expect(plain(formatPpm(0))).toBe("0 %");
    expect(plain(formatPpm(1_000_000))).toBe("100 %");
    expect(plain(formatPpm(1))).toBe("0,0001 %");
  });
});

describe("query strings and paths", () => {
  it("skips empty values and encodes the rest", () => {
    expect(queryString({})).toBe("");
    expect(queryString({ a: undefined, b: null, c: "" })).toBe("");
    expect(queryString({ limit: 50, cursor: "a b&c", flag: false })).toBe("?limit=50&cursor=a+b%26c&flag=false");
    expect(queryString({ "created[gte]": "2026-01-01T00:00:00.000Z" })).toBe("?created%5Bgte%5D=2026-01-01T00%3A00%3A00.000Z");
  });

  it("cleans filters", () => {
    expect(cleanFilters({ status: "paid", currency: " eur ", payer: "  u1 " })).toEqual({
      status: "paid",
      currency: "EUR",
      payer: "u1",
    });
    expect(cleanFilters({ status: "bogus", currency: "", payer: "" })).toEqual({});
  });

  it("builds the settlement list, export and action paths", () => {
    expect(settlementsPath({})).toBe("/api/admin/settlements?limit=50");
    expect(settlementsPath({ status: "open", currency: "eur", payer: "a&b" }, "CUR=", 10)).toBe(
      "/api/admin/settlements?status=open&currency=EUR&payer=a%26b&limit=10&cursor=CUR%3D",
    );
    expect(exportPath({})).toBe("/api/admin/settlements/export.csv");
    expect(exportPath({ status: "invoiced", currency: "usd" })).toBe(
      "/api/admin/settlements/export.csv?status=invoiced&currency=USD",
    );
    expect(actionPath("st-1/../x", "pay")).toBe("/api/admin/settlements/st-1%2F..%2Fx/pay");
  });

  it("offers only the next transition", () => {
    expect(nextAction("open")).toBe("invoice");
    expect(nextAction("invoiced")).toBe("pay");
    expect(nextAction("paid")).toBeNull();
    expect(nextAction("weird")).toBeNull();
  });
});

describe("csvFilename", () => {
  const now = Date.parse("2026-03-04T05:06:07.890Z");
  it("names the filters and the UTC time", () => {
    expect(csvFilename({}, now)).toBe("settlements-20260304T050607Z.csv");
    expect(csvFilename({ status: "paid", currency: "eur", payer: "demoIssuer" }, now)).toBe(
      "settlements-paid-EUR-demoIssuer-20260304T050607Z.csv",
    );
  });
  it("cannot be turned into a path or a hidden file", async () => {
    expect(csvFilename({ payer: "../../etc/passwd" }, now)).toBe("settlements-.._.._etc_passwd-20260304T050607Z.csv");
    await check(
      fc.property(fc.string({ maxLength: 80 }), (payer) => {
        const name = csvFilename({ payer }, now);
        expect(name).toMatch(/^settlements[A-Za-z0-9._-]*\.csv$/);
        expect(name.length).toBeLessThanOrEqual(100);
      }),
    );
  });
});

describe("date ranges", () => {
  const now = Date.parse("2026-03-04T15:00:00Z");
  it("defaults to the last 30 UTC days, today included", () => {
    expect(defaultRange(now)).toEqual({ from: "2026-02-03", to: "2026-03-04" });
    const r = rangeInstants(defaultRange(now));
    expect(r.ok && r.days).toBe(DEFAULT_DAYS);
  });

  it("turns inclusive days into a half-open instant range", () => {
    expect(rangeInstants({ from: "2026-02-27", to: "2026-03-01" })).toEqual({
      ok: true,
      from: "2026-02-27T00:00:00.000Z",
      to: "2026-03-02T00:00:00.000Z",
      fromMs: Date.parse("2026-02-27T00:00:00Z"),
      toMs: Date.parse("2026-03-02T00:00:00Z"),
      days: 3,
    });
  });

  it("refuses impossible, reversed and too long ranges", () => {
    expect(dayStart("2026-02-30")).toBeNull();
    expect(dayStart("2026-2-3")).toBeNull();
    expect(rangeInstants({ from: "2026-02-30", to: "2026-03-01" }).ok).toBe(false);
    expect(rangeInstants({ from: "2026-03-02", to: "2026-03-01" }).ok).toBe(false);
    expect(rangeInstants({ from: "2024-01-01", to: "2026-01-01" }).ok).toBe(false);
    expect(rangeInstants({ from: "", to: "" }).ok).toBe(false);
  });

  it("labels settlement periods", () => {
    expect(periodLabel("2026-11-21T00:00:00.000Z", "2026-11-22T00:00:00.000Z")).toBe("2026-11-21");
    expect(periodLabel("2026-11-01T00:00:00.000Z", "2026-11-08T00:00:00.000Z")).toBe("2026-11-01 – 2026-11-07");
    expect(periodLabel("2026-11-22T00:00:00.000Z", "2026-11-22T08:16:30.000Z")).toBe("2026-11-22 00:00 – 2026-11-22 08:16 UTC");
    expect(periodLabel("x", "y")).toBe("x – y");
  });

  it("lists every day of the range", () => {
    const r = rangeInstants({ from: "2024-02-27", to: "2024-03-01" });
    if (!r.ok) throw new Error(r.error);
    expect(daysBetween(r.fromMs, r.toMs)).toEqual(["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]);
  });
});

describe("chart series", () => {
  const days = ["2026-03-01", "2026-03-02", "2026-03-03"];
  it("fills missing days with 0 and ignores days outside the range", () => {
    const [x, booked, cancelled, rescheduled] = bookingSeries(
      [
        { day: "2026-03-02", booked: 4, cancelled: 1, rescheduled: 0 },
        { day: "2026-03-02", booked: 1 },
        { day: "2026-02-01", booked: 9, cancelled: 9, rescheduled: 9 },
        { day: "2026-03-03", booked: 0, cancelled: 0, rescheduled: 2 },
      ],
      days,
    );
    expect(x).toEqual(days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000));
    expect(booked).toEqual([0, 5, 0]);
    expect(cancelled).toEqual([0, 1, 0]);
    expect(rescheduled).toEqual([0, 0, 2]);
  });

  it("keeps nets past 2^53 exact in the table and totals; only the axis value is a float", () => {
    const s = feeSeries(
      [
        { day: "2026-03-01", currency: "EUR", net: "9007199254740993" },
        { day: "2026-03-01", currency: "EUR", net: 1 },
        { day: "2026-03-02", currency: "EUR", net: "-9223372036854775808" },
      ],
      days,
    );
    expect(s.perDay).toEqual([["9007199254740994", "-9223372036854775808", "0"]]);
    expect(s.totals).toEqual([{ currency: "EUR", amount: "-9214364837600034814" }]);
    expect(s.series[0]?.[0]).toBe(90071992547409.94);
  });

  it("makes one series per currency, exact nets and totals in minor units", () => {
    const s = feeSeries(
      [
        { day: "2026-03-01", currency: "EUR", net: 100 },
        { day: "2026-03-03", currency: "EUR", net: -30 },
        { day: "2026-03-02", currency: "JPY", net: 500 },
        { day: "2026-03-02", currency: "EUR", net: "9007199254740991" },
        { day: "2026-03-02", currency: "EUR", net: "9007199254740991" },
        { day: "2026-03-02", currency: "EUR", net: 1.5 },
        { day: "2026-04-01", currency: "USD", net: 7 },
      ],
      days,
    );
    expect(s.currencies).toEqual(["EUR", "JPY"]);
    expect(s.series[0]?.[0]).toBe(1);
    expect(s.series[0]?.[2]).toBe(-0.3);
    expect(s.series[1]).toEqual([0, 500, 0]);
    expect(s.perDay).toEqual([
      ["100", "18014398509481982", "-30"],
      ["0", "500", "0"],
    ]);
    expect(s.totals).toEqual([
      { currency: "EUR", amount: "18014398509482052" },
      { currency: "JPY", amount: "500" },
    ]);
  });
});

describe("exact totals", () => {
  it("toBigInt takes integers digit for digit and refuses anything that may have lost digits", () => {
    expect(toBigInt("92233720368547758070")).toBe(92233720368547758070n);
    expect(toBigInt("-12")).toBe(-12n);
    expect(toBigInt(12)).toBe(12n);
    expect(toBigInt(5n)).toBe(5n);
    for (const bad of [2 ** 53, 1.5, Number.NaN, "1.5", "1e3", " 1", "", "0x10", null, undefined, {}]) {
      expect(toBigInt(bad), String(bad)).toBeNull();
    }
  });

  it("sumMinor adds decimal strings, BigInts and safe numbers exactly", async () => {
    expect(sumMinor(["9007199254740993", 1, 2n])).toBe("9007199254740996");
    expect(sumMinor([])).toBe("0");
    expect(sumMinor(["1", 1.5])).toBeNull();
    await check(
      fc.property(fc.array(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })), (xs) => {
        expect(sumMinor(xs.map(String))).toBe(xs.reduce((a, b) => a + b, 0n).toString());
      }),
    );
  });

  it("chartValue is the float nearest the exact decimal (axis only)", () => {
    expect(chartValue("9007199254740993", "EUR")).toBe(Number.parseFloat("90071992547409.93"));
    expect(chartValue(-1205, "EUR")).toBe(-12.05);
    expect(chartValue(7n, "JPY")).toBe(7);
    expect(chartValue(1.5, "EUR")).toBeNaN();
  });

  it("the page's largest fixed amount is the API's", () => {
    expect(MAX_AMOUNT).toBe(API_MAX_AMOUNT);
  });
});

describe("fee edit body", () => {
  const rule = { ratePpm: 20_000, fixedAmount: 0, currency: null, rounding: "half_up", active: true, version: 3 };
  const form = { ratePpm: "20000", fixedAmount: "0", currency: "", rounding: "half_up", active: true };

  it("sends only what changed, with the version it was read at", () => {
    expect(feeUpdateBody(rule, { ...form, ratePpm: "25000" })).toEqual({
      ok: true,
      body: { ratePpm: 25_000, expectedVersion: 3 },
    });
    expect(feeUpdateBody(rule, { ...form, currency: "eur", active: false, rounding: "floor", fixedAmount: "30" })).toEqual({
      ok: true,
      body: { fixedAmount: 30, currency: "EUR", rounding: "floor", active: false, expectedVersion: 3 },
    });
    expect(feeUpdateBody({ ...rule, currency: "EUR" }, form)).toEqual({ ok: true, body: { currency: null, expectedVersion: 3 } });
  });

  it("refuses floats, negatives, out-of-range values and no-ops", () => {
    for (const ratePpm of ["2.5", "-1", "1000001", "", "1e3"]) expect(feeUpdateBody(rule, { ...form, ratePpm }).ok).toBe(false);
    for (const fixedAmount of ["0.5", "-3", "abc", "10000000000000", String(MAX_AMOUNT + 1)])
      expect(feeUpdateBody(rule, { ...form, fixedAmount }).ok).toBe(false);
    expect(feeUpdateBody(rule, { ...form, fixedAmount: String(MAX_AMOUNT) })).toEqual({
      ok: true,
      body: { fixedAmount: MAX_AMOUNT, expectedVersion: 3 },
    });
    expect(feeUpdateBody(rule, { ...form, currency: "XYZ" }).ok).toBe(false);
    expect(feeUpdateBody(rule, { ...form, rounding: "banker" }).ok).toBe(false);
    expect(feeUpdateBody(rule, form)).toEqual({ ok: false, error: "Keine Änderung." });
  });
});

describe("event stream", () => {
  const ev = (n: number, at = 1000 + n) => ({ id: `ev-${String(n).padStart(4, "0")}`, createdAt: new Date(at).toISOString(), n });

  it("merges new events on top, drops repeats, keeps the cap", () => {
    const first = mergeEvents([], [ev(1), ev(3), ev(2)]);
    expect(first.items.map((e) => e.n)).toEqual([3, 2, 1]);
    expect(first.added).toEqual(["ev-0001", "ev-0003", "ev-0002"]);
    const second = mergeEvents(first.items, [ev(3), ev(4), ev(5)], 4);
    expect(second.items.map((e) => e.n)).toEqual([5, 4, 3, 2]);
    expect(second.added).toEqual(["ev-0004", "ev-0005"]);
  });

  it("orders same-millisecond events by id, accepts epoch ms", () => {
    const a = { id: "ev-a", createdAt: 5000 };
    const b = { id: "ev-b", createdAt: 5000 };
    const c = { id: "ev-c", createdAt: "1970-01-01T00:00:04.000Z" };
    expect(mergeEvents([], [c, a, b]).items.map((e) => e.id)).toEqual(["ev-b", "ev-a", "ev-c"]);
  });

  it("is the newest `cap` distinct events of everything seen, in any poll split (property)", async () => {
    await check(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 60 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 50 }),
        (polls, cap) => {
          let shown: ReturnType<typeof ev>[] = [];
          const seen = new Set<number>();
          for (const poll of polls) {
            shown = mergeEvents(
              shown,
              poll.map((n) => ev(n)),
              cap,
            ).items;
            for (const n of poll) seen.add(n);
          }
          const expected = [...seen].sort((x, y) => y - x).slice(0, cap);
          expect(shown.map((e) => e.n)).toEqual(expected);
        },
      ),
    );
    expect(MAX_EVENTS).toBe(200);
  });

  it("polls from the newest shown event (inclusive) and pages on", () => {
    expect(eventsPollPath([])).toBe(`/api/admin/events?limit=${EVENT_PAGE}`);
    expect(eventsPollPath([ev(2, Date.parse("2026-03-04T05:06:07.089Z")), ev(1)], { type: " voucher.* " })).toBe(
      `/api/admin/events?limit=${EVENT_PAGE}&type=voucher.*&created%5Bgte%5D=2026-03-04T05%3A06%3A07.089Z`,
    );
    expect(eventsPollPath([], { startingAfter: "ev-9" })).toBe(`/api/admin/events?limit=${EVENT_PAGE}&starting_after=ev-9`);
    const full = Array.from({ length: 3 }, (_, i) => ({ id: `n${i}` }));
    expect(needsNextPage({ items: full }, new Set(), 3)).toBe(true);
    expect(needsNextPage({ items: full, hasMore: false }, new Set(), 3)).toBe(false);
    expect(needsNextPage({ items: full }, new Set(["n2"]), 3)).toBe(false);
    expect(needsNextPage({ items: full.slice(0, 2) }, new Set(), 3)).toBe(false);
  });

  it("shortens meta", () => {
    expect(metaText({ a: 1 })).toBe('{"a":1}');
    expect(metaText("x".repeat(300), 10)).toBe(`${"x".repeat(9)}…`);
    expect(metaText(undefined)).toBe("{}");
  });
});

describe("health", () => {
  it("describes each check", () => {
    const body = {
      ok: true,
      at: "2026-11-22T08:00:00.000Z",
      checks: {
        d1: { ok: true },
        migrations: { ok: false, expected: 8, applied: 7, latest: "0007_x", pending: ["0007_x.sql"], unknown: [] },
        settlement: {
          ok: true,
          status: "ok",
          lastRun: { periodFrom: "2026-11-21T00:00:00.000Z", periodTo: "2026-11-22T00:00:00.000Z", status: "done" },
          ageSeconds: 7260,
        },
        future: { ok: true, x: 1 },
      },
    };
    expect(healthLines(body)).toEqual([
      { label: "D1", ok: true, text: "antwortet" },
      { label: "Migrationen", ok: false, text: "7 von 8 angewendet · neueste 0007_x · ausstehend: 0007_x.sql" },
      { label: "Abrechnungslauf", ok: true, text: "aktuell: zuletzt 2026-11-21 (done), vor 2 h" },
      { label: "future", ok: true, text: '{"ok":true,"x":1}' },
    ]);
    expect(healthLines({ checks: { settlement: { ok: false, status: "never", lastRun: null } } })).toEqual([
      { label: "Abrechnungslauf", ok: false, text: "noch kein Lauf" },
    ]);
    expect(healthLines({ checks: { d1: { ok: false, error: "D1 did not answer" } } })).toEqual([
      { label: "D1", ok: false, text: "D1 did not answer" },
    ]);
    expect(healthLines(null)).toEqual([]);
    expect(ageText(59)).toBe("59 s");
    expect(ageText(3599)).toBe("59 min");
    expect(ageText(86_400 * 3)).toBe("3 d");
  });

  it("summarizes presence", () => {
    expect(presenceLine({ activeSessions: 2, windowSeconds: 60, statuses: { online: 3, offline: 4 }, pairCodes: [{}, {}] })).toBe(
      "2 aktiv (letzte 60 s) · 3 online · 4 offline · 2 Pair-Codes",
    );
  });
});

describe("errors and token", () => {
  it("asks for the token again on 401 and 503 admin_not_configured only", () => {
    expect(describeError(401, { ok: false, code: "admin_unauthorized", error: "x" }).auth).toBe(true);
    expect(describeError(503, { ok: false, code: "admin_not_configured", error: "x" })).toMatchObject({
      auth: true,
      code: "admin_not_configured",
    });
    const conflict = describeError(409, { ok: false, code: "invalid_transition", error: "settlement is paid", requestId: "r1" });
    expect(conflict).toEqual({
      auth: false,
      code: "invalid_transition",
      message: "settlement is paid (invalid_transition, HTTP 409, Anfrage r1)",
    });
    expect(describeError(502, "<html>")).toEqual({ auth: false, code: "http_502", message: "HTTP 502 (http_502, HTTP 502)" });
  });

  it("accepts tokens the API can receive", () => {
    expect(validToken("dev-only-admin-token-change-me")).toBe(true);
    expect(validToken("")).toBe(false);
    expect(validToken("with space")).toBe(false);
    expect(validToken("x".repeat(513))).toBe(false);
  });
});
