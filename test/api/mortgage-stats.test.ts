/**
 * `GET /api/admin/stats/mortgage`: each stage counted on the day of its own instant, volumes exact
 * per currency, the window's applications through the stages.
 */
import { describe, expect, it } from "vitest";
import { funnel, pipelineDays } from "../../src/mortgage/stats";
import { json, login, testEnv } from "../support/client";
import { grantRole, insertApplication, insertContract } from "../support/mortgage-kit";
import { admin } from "../support/settlement-kit";

const DAY = 86_400_000;
const run = (q: string, ...b: unknown[]) =>
  testEnv.DB.prepare(q)
    .bind(...b)
    .run();

describe("GET /api/admin/stats/mortgage", () => {
  it("counts each stage on its own day with exact volumes, and the cohort's conversion", async () => {
    const D = Date.UTC(2021, 4, 5);
    const borrower = await login();
    const lender = await login();
    const notary = await login();
    await grantRole(lender.uid, "lender");
    await grantRole(notary.uid, "notary");
    // Application 1 → offer (day D) → contract (D+1) → signed and a tranche placed (D+2).
    const k = await insertContract(borrower.uid, lender.uid, { status: "signed", notaryUid: notary.uid });
    await run("UPDATE mortgage_applications SET created_at = ? WHERE id = ?", D + 1000, k.applicationId);
    await run("UPDATE mortgage_offers SET created_at = ? WHERE id = ?", D + 2000, k.offerId);
    await run(
      "UPDATE mortgage_contracts SET created_at = ?, signed_by_notary_at = ? WHERE id = ?",
      D + DAY,
      D + 2 * DAY + 5,
      k.id,
    );
    await run(
      `INSERT INTO mortgage_tranches (id, contract_id, underlying_offer_id, lender_uid, holder_uid, nominal_amount, currency,
         expected_yield_ppm, risk_class, duration_years, valid_from, valid_until, status, subscribed_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 1000000, 'EUR', 28000, 'A', 10, ?, ?, 'subscribed', ?, ?, ?)`,
      `mort-tranche-${k.id}`,
      k.id,
      k.offerId,
      lender.uid,
      borrower.uid,
      D,
      D + 9 * DAY,
      D + 2 * DAY + 9,
      D + DAY,
      D + DAY,
    );
    // Application 2: no offer.
    const app2 = await insertApplication(borrower.uid, { loan: 20_000_000 });
    await run("UPDATE mortgage_applications SET created_at = ? WHERE id = ?", D + 3000, app2.id);

    const res = await admin(`/api/admin/stats/mortgage?from=2021-05-05&to=2021-05-08`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const t = (count: number, volume: string) => ({ count, volume });
    const none = t(0, "0");
    expect(res.body.days).toEqual([
      {
        day: "2021-05-05",
        currency: "EUR",
        applications: t(2, "56000000"),
        offers: t(1, "36000000"),
        accepted: none,
        signed: none,
        tranchesPlaced: none,
      },
      {
        day: "2021-05-06",
        currency: "EUR",
        applications: none,
        offers: none,
        accepted: t(1, "36000000"),
        signed: none,
        tranchesPlaced: none,
      },
      {
        day: "2021-05-07",
        currency: "EUR",
        applications: none,
        offers: none,
        accepted: none,
        signed: t(1, "36000000"),
        tranchesPlaced: t(1, "1000000"),
      },
    ]);
    expect(res.body.totals).toEqual([
      {
        currency: "EUR",
        applications: t(2, "56000000"),
        offers: t(1, "36000000"),
        accepted: t(1, "36000000"),
        signed: t(1, "36000000"),
        tranchesPlaced: t(1, "1000000"),
      },
    ]);
    expect(res.body.funnel).toEqual({
      applications: 2,
      withOffers: 1,
      accepted: 1,
      signed: 1,
      conversionBp: { offered: 5000, accepted: 5000, signed: 5000, acceptedToSigned: 10000 },
    });
  });

  it("is admin only, refuses a bad window, and answers an empty window with zeros", async () => {
    const user = await login();
    expect((await json("/api/admin/stats/mortgage", { session: user.session })).status).toBe(401);
    const bad = await admin("/api/admin/stats/mortgage?from=2021-05-08&to=2021-05-05");
    expect([bad.status, bad.body.code]).toEqual([400, "invalid_range"]);
    const unknown = await admin("/api/admin/stats/mortgage?bogus=1");
    expect(unknown.status).toBe(400);
    const empty = await admin("/api/admin/stats/mortgage?from=1999-01-01&to=1999-01-03");
    expect(empty.body).toMatchObject({ days: [], totals: [], funnel: { applications: 0, conversionBp: { offered: null } } });
  });
});

describe("pipelineDays", () => {
  it("sums volumes exactly past 2^53 and keeps currencies apart", () => {
    const big = `${2 ** 31}:0`;
    const { days, totals } = pipelineDays([
      { stage: "offers", day: 10, currency: "EUR", n: 3, volume: big },
      { stage: "offers", day: 10, currency: "USD", n: 1, volume: "0:5" },
      { stage: "offers", day: 11, currency: "EUR", n: 1, volume: big },
      { stage: "nonsense", day: 11, currency: "EUR", n: 9, volume: "0:9" },
    ]);
    expect(days.map((d) => [d.day, d.currency, d.offers])).toEqual([
      ["1970-01-11", "EUR", { count: 3, volume: String(2n ** 63n) }],
      ["1970-01-11", "USD", { count: 1, volume: "5" }],
      ["1970-01-12", "EUR", { count: 1, volume: String(2n ** 63n) }],
    ]);
    expect(totals.find((x) => x.currency === "EUR")?.offers).toEqual({ count: 4, volume: String(2n ** 64n) });
  });

  it("funnel: null conversion without applications", () => {
    expect(funnel({ applications: 0, offered: 0, accepted: 0, signed: 0 }).conversionBp).toEqual({
      offered: null,
      accepted: null,
      signed: null,
      acceptedToSigned: null,
    });
  });
});
