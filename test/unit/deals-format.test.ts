/**
 * The deal pages' pure module (public/js/deals-format.js): rates read digit by digit into ppm and
 * shown as exact German percent text (checked against the server's own rate functions), the offer
 * comparison with the server's figures, plan summaries against the server's plan, which contract
 * actions a person is offered, the per-post sync results, the export envelope, crypto amounts,
 * hashes and byte sizes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareOffers,
  contractActions,
  cryptoAmountInput,
  durationText,
  formatBytes,
  hashVerdict,
  opName,
  type OfferFigures,
  parseExport,
  percentStringDe,
  percentToRate,
  planExcerpt,
  ppmPercent,
  ratePercent,
  rateToPpm,
  statusDe,
  syncResultText,
  syncSummary,
  toHex,
  totalCost,
  yearlySummary,
} from "../../public/js/deals-format.js";
import { ppmToPercent, ppmToRate, rateToPpm as serverRateToPpm } from "../../src/money/rate";
import { amortizationPlan, annuityPayment, offerFigures } from "../../src/mortgage/finance";
import { check } from "./seed";

/** A stand-in for core.js's `money`: minor units with two decimals and the currency. */
const money = (p: { amount: number | string; currency: string }) => `${p.amount}c ${p.currency}`;

describe("rates", () => {
  it("reads the API's rate numbers and strings exactly into ppm, as the server does", async () => {
    await check(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (ppm) => {
        const asNumber = ppmToRate(ppm);
        expect(rateToPpm(asNumber)).toBe(ppm);
        expect(rateToPpm(String(asNumber))).toBe(serverRateToPpm(String(asNumber)));
      }),
    );
    expect(rateToPpm(0.0325)).toBe(32500);
    expect(rateToPpm(0.000001)).toBe(1);
    expect(rateToPpm("1e-3")).toBe(1000);
    expect(rateToPpm("0.03250000")).toBe(32500);
  });

  it("refuses what is not a plain rate of at most six decimals", () => {
    for (const bad of [0.1 + 0.2, "1e-7", "-0.01", "abc", "", Number.NaN, Number.POSITIVE_INFINITY, null, undefined]) {
      expect(rateToPpm(bad as number | string | null | undefined), String(bad)).toBeNull();
    }
  });

  it("shows percent text with the digits of the server's four-decimal percent, in German", async () => {
    await check(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (ppm) => {
        const text = ppmPercent(ppm, 4);
        expect(text).toBe(`${ppmToPercent(ppm).replace(".", ",")} %`);
      }),
    );
    expect(ppmPercent(32000)).toBe("3,20 %");
    expect(ppmPercent(32474)).toBe("3,2474 %");
    expect(ppmPercent(32500)).toBe("3,25 %");
    expect(ppmPercent(1)).toBe("0,0001 %");
    expect(ppmPercent(0)).toBe("0,00 %");
    expect(ppmPercent(1_000_000)).toBe("100,00 %");
    expect(ppmPercent(null)).toBe("–");
    expect(ratePercent(0.032)).toBe("3,20 %");
    expect(ratePercent(null)).toBe("–");
    expect(percentStringDe("3.2678")).toBe("3,2678 %");
    expect(percentStringDe(undefined)).toBe("–");
  });

  it("turns a typed percent into the API's decimal fraction, and back", async () => {
    expect(percentToRate("3,25")).toBe("0.0325");
    expect(percentToRate("3.2 %")).toBe("0.032");
    expect(percentToRate("100")).toBe("1");
    expect(percentToRate("0")).toBe("0");
    expect(percentToRate("0,0001")).toBe("0.000001");
    for (const bad of ["100,01", "3,25001", "-1", "1e2", "", "3,", ",5", "1.000,5"]) expect(percentToRate(bad), bad).toBeNull();
    await check(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (ppm) => {
        const typed = ppmPercent(ppm, 0).replace(" %", "");
        const rate = percentToRate(typed);
        expect(rate).not.toBeNull();
        expect(serverRateToPpm(rate as string)).toBe(ppm);
      }),
    );
  });
});

/** An offer as the API answers it, its figures computed by the server's own finance module. */
function offer(loan: number, nominalPpm: number, initialPpm: number, fixedYears: number, fees = 0): OfferFigures {
  const payment = annuityPayment(loan, nominalPpm, initialPpm);
  const f = offerFigures({ loan, nominalPpm, payment, fixedYears, upfrontFees: fees });
  const m = (amount: number) => ({ amount, currency: "EUR" });
  return {
    loan: m(loan),
    interest: {
      nominalRate: ppmToRate(nominalPpm),
      effectiveRate: ppmToRate(f.effectiveRatePpm),
      effectiveRatePercent: ppmToPercent(f.effectiveRatePpm),
      fixedYears,
    },
    repayment: { initialRate: ppmToRate(initialPpm) },
    fees: { total: fees },
    figures: {
      monthlyPayment: m(f.monthlyPayment),
      numberOfPayments: f.numberOfPayments,
      totalAmountPaid: m(f.totalPaid),
      totalInterest: m(f.totalInterest),
      remainingDebtAtFixedEnd: m(f.remainingDebtAtFixedEnd),
    },
    validity: { validUntil: "2026-06-30T00:00:00.000Z" },
  };
}

describe("offer comparison", () => {
  // The documented example: 360,000.00 EUR at 3.20 % with 2.00 % initial repayment, 15 years fixed.
  const a = offer(36_000_000, 32_000, 20_000, 15, 90_000);
  const b = offer(36_000_000, 30_000, 20_000, 10, 0);

  it("shows the server's figures for each offer side by side", () => {
    const rows = compareOffers([a, b], money);
    const row = (key: string) => rows.find((r) => r.key === key);
    expect(row("monthly")?.cells).toEqual(["156000c EUR", `${b.figures.monthlyPayment.amount}c EUR`]);
    expect(row("nominal")?.cells).toEqual(["3,20 %", "3,00 %"]);
    expect(row("effective")?.cells[0]).toBe("3,2678 %");
    expect(row("fixed")?.cells).toEqual(["15 Jahre", "10 Jahre"]);
    expect(row("remaining")?.cells[0]).toBe("22161546c EUR");
    expect(row("term")?.cells[0]).toBe("29 Jahre 11 Monate");
    expect(row("total")?.cells[0]).toBe(`${55_971_947 + 90_000}c EUR`);
  });

  it("marks the lowest rate, fees and total cost, and nothing where lower is not better or all are equal", () => {
    const rows = compareOffers([a, b], money);
    const best = (key: string) => rows.find((r) => r.key === key)?.best;
    expect(best("nominal")).toEqual([1]);
    expect(best("effective")).toEqual([1]);
    expect(best("fees")).toEqual([1]);
    expect(best("total")).toEqual([1]);
    expect(best("monthly")).toEqual([]);
    expect(compareOffers([a, a], money).find((r) => r.key === "total")?.best).toEqual([]);
    expect(compareOffers([a], money).every((r) => r.best.length === 0)).toBe(true);
  });

  it("adds fees to the payments as BigInt, beyond 2^53", () => {
    const big = { figures: { totalAmountPaid: { amount: Number.MAX_SAFE_INTEGER, currency: "EUR" } }, fees: { total: 2 } };
    expect(totalCost(big)).toEqual({ amount: "9007199254740993", currency: "EUR" });
  });

  it("writes durations in German", () => {
    expect(durationText(359)).toBe("29 Jahre 11 Monate");
    expect(durationText(12)).toBe("1 Jahr");
    expect(durationText(13)).toBe("1 Jahr 1 Monat");
    expect(durationText(5)).toBe("5 Monate");
    expect(durationText(0)).toBe("0 Monate");
  });
});

describe("plan summaries", () => {
  it("sums each year of the server's plan and ends with its final balance", async () => {
    await check(
      fc.property(
        fc.integer({ min: 100_000, max: 100_000_000 }),
        fc.integer({ min: 0, max: 80_000 }),
        // At least 1.2 % initial repayment: the plan ends within the server's 100 years even at 0 %
        // interest and with the payment rounded down (1 % would need 100 years and a month or two).
        fc.integer({ min: 12_000, max: 100_000 }),
        (loan, nominalPpm, initialPpm) => {
          const plan = amortizationPlan(loan, nominalPpm, annuityPayment(loan, nominalPpm, initialPpm));
          const years = yearlySummary(plan);
          expect(years.length).toBe(Math.ceil(plan.length / 12));
          expect(years.reduce((s, y) => s + y.principal, 0)).toBe(loan);
          expect(years.reduce((s, y) => s + y.months, 0)).toBe(plan.length);
          expect(years.reduce((s, y) => s + y.payments, 0)).toBe(plan.reduce((s, r) => s + r.payment, 0));
          expect(years.at(-1)?.balance).toBe(0);
          expect(years[0]?.balance).toBe(plan[Math.min(11, plan.length - 1)]?.balance);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("shows the first and last rows of a long plan and counts the rest", () => {
    const rows = Array.from({ length: 359 }, (_, i) => i + 1);
    expect(planExcerpt(rows)).toEqual({ head: rows.slice(0, 12), tail: [357, 358, 359], hidden: 344 });
    expect(planExcerpt([1, 2, 3])).toEqual({ head: [1, 2, 3], tail: [], hidden: 0 });
    expect(planExcerpt(rows.slice(0, 15))).toEqual({ head: rows.slice(0, 15), tail: [], hidden: 0 });
  });
});

describe("contract actions", () => {
  const draft = {
    status: "draft",
    borrowerUid: "ben",
    lenderId: "clara",
    notaryUid: null as string | null,
    signedByBorrower: false,
    signedByLender: false,
  };

  it("offers each party its own signature on a draft, once", () => {
    expect(contractActions(draft, "ben", [])).toEqual(["signed-by-borrower", "assign-notary", "cancel"]);
    expect(contractActions(draft, "clara", ["lender"])).toEqual(["signed-by-lender", "assign-notary", "cancel"]);
    expect(contractActions({ ...draft, signedByBorrower: true }, "ben", [])).toEqual(["assign-notary", "cancel"]);
    expect(contractActions({ ...draft, notaryUid: "dora" }, "ben", [])).toEqual(["signed-by-borrower", "cancel"]);
    expect(contractActions(draft, "dora", ["notary"])).toEqual([]);
  });

  it("offers the notary's signature only to a notary who is no party, and the named one", () => {
    const pending = { ...draft, status: "pending-notary", signedByBorrower: true, signedByLender: true };
    expect(contractActions(pending, "dora", ["notary"])).toEqual(["signed-by-notary"]);
    expect(contractActions(pending, "dora", [])).toEqual([]);
    expect(contractActions({ ...pending, notaryUid: "erik" }, "dora", ["notary"])).toEqual([]);
    expect(contractActions({ ...pending, notaryUid: "dora" }, "dora", ["notary"])).toEqual(["signed-by-notary"]);
    expect(contractActions(pending, "ben", ["notary"])).toEqual(["assign-notary", "cancel"]);
  });

  it("offers tranches to the lender of a signed contract, and nothing else", () => {
    const signed = { ...draft, status: "signed", signedByBorrower: true, signedByLender: true, notaryUid: "dora" };
    expect(contractActions(signed, "clara", ["lender"])).toEqual(["issue-tranche"]);
    expect(contractActions(signed, "clara", [])).toEqual([]);
    expect(contractActions(signed, "ben", [])).toEqual([]);
    expect(contractActions({ ...draft, status: "cancelled" }, "ben", [])).toEqual([]);
  });

  it("names statuses in German", () => {
    expect(statusDe("pending-notary")).toBe("wartet auf Notar");
    expect(statusDe("settled")).toBe("abgeschlossen");
    expect(statusDe("something-new")).toBe("something-new");
  });
});

describe("manifest sync", () => {
  it("labels every outcome and gives the reason of a conflict or an invalid post", () => {
    expect(syncResultText({ index: 0, clientId: "p1", status: "created", version: 1 })).toEqual({
      label: "neu angelegt",
      reason: "Version 1",
    });
    expect(syncResultText({ index: 1, clientId: "p2", status: "conflict", version: 3, baseVersion: 2 }).reason).toContain(
      "Version 3",
    );
    expect(syncResultText({ index: 1, clientId: "p2", status: "conflict", version: 3 }).label).toBe("Konflikt");
    expect(
      syncResultText({ index: 2, clientId: null, status: "invalid", errors: ["clientId: required", "content: too long"] }),
    ).toEqual({
      label: "ungültig",
      reason: "clientId: required; content: too long",
    });
    expect(syncSummary([{ status: "created" }, { status: "created" }, { status: "conflict" }, { status: "unchanged" }])).toBe(
      "2 neu angelegt, 1 unverändert, 1 Konflikt",
    );
    expect(syncSummary([])).toBe("keine Beiträge");
  });

  it("accepts an export envelope and explains a wrong file", () => {
    const good = parseExport(JSON.stringify({ source: "offline-forum", version: 1, posts: [{ id: "p1", content: "x" }] }));
    expect(good).toEqual({ ok: true, value: { source: "offline-forum", version: 1, posts: [{ id: "p1", content: "x" }] } });
    const errors = ["{", "[]", JSON.stringify({ version: 1, posts: [] }), JSON.stringify({ source: "s", version: 0, posts: [] })]
      .concat(JSON.stringify({ source: "s", version: 1 }))
      .concat(JSON.stringify({ source: "s", version: 1, posts: Array.from({ length: 101 }, () => ({})) }))
      .map((t) => parseExport(t));
    for (const e of errors) expect(e.ok).toBe(false);
  });
});

describe("telbank and legal hub inputs", () => {
  it("keeps a crypto amount as the typed decimal string, by the API's rule", () => {
    expect(cryptoAmountInput(" 0.000000000000000001 ")).toBe("0.000000000000000001");
    expect(cryptoAmountInput("123456789012345678901234567890")).toBe("123456789012345678901234567890");
    for (const bad of ["01.5", ".5", "1.", "1e18", "-1", "1,5", "1 000", ""]) expect(cryptoAmountInput(bad), bad).toBeNull();
  });

  it("compares a browser digest with the stored SHA-256", async () => {
    const bytes = new TextEncoder().encode("Vertrag");
    const hex = toHex(await crypto.subtle.digest("SHA-256", bytes));
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(hashVerdict(hex, hex.toUpperCase())).toEqual({ ok: true, text: "Prüfsumme stimmt" });
    const other = toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("Vertrag.")));
    const verdict = hashVerdict(other, hex);
    expect(verdict.ok).toBe(false);
    expect(verdict.text).toContain("NICHT");
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe("000fff");
  });

  it("writes byte sizes in German units without rounding up", () => {
    expect(formatBytes(980)).toBe("980 B");
    expect(formatBytes(1536)).toBe("1,5 KB");
    expect(formatBytes(20 * 1024 * 1024)).toBe("20,0 MB");
    expect(formatBytes(1024 * 1024 - 1)).toBe("1023,9 KB");
  });
});

describe("operation names", () => {
  it("names the same content the same way and different content differently", async () => {
    expect(opName("property", { a: 1 })).toBe(opName("property", { a: 1 }));
    expect(opName("property", { a: 1 })).toMatch(/^property:[0-9a-f]{16}$/);
    expect(opName("property", { a: 1 })).not.toBe(opName("application", { a: 1 }));
    await check(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(opName("x", a)).not.toBe(opName("x", b));
      }),
    );
  });
});
