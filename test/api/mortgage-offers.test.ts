/**
 * Mortgage offers: create (the offer voucher's shape and the original portal's), list, read, plan, withdraw —
 * success and every error path, checked on the responses AND on the rows left in D1 (offer,
 * application status, the event of the request). Applications and parties come from fixtures.
 */
import { describe, expect, it } from "vitest";
import { call, login, newUid } from "../support/client";
import { grantRole, insertApplication, insertOffer } from "../support/mortgage-kit";
import { type Who, count, eventsOfRequest, get, newRequestId, post, row, rows } from "../support/voucher-kit";

const DAY = 86_400_000;
const OFFER = "/api/hypotheken/angebot";
const iso = (t: number) => new Date(t).toISOString();

type Res = { status: number; body: Record<string, any> };

function expectError(res: Res, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.ok).toBe(false);
  expect(res.body.code).toBe(code);
  expect(typeof res.body.error).toBe("string");
}

async function lender(): Promise<Who> {
  const who = await login();
  await grantRole(who.uid, "lender");
  return who;
}

/** A borrower with an application (market, 36 000 000 EUR, max 4 %) and a lender. */
async function market(over: Parameters<typeof insertApplication>[1] = {}) {
  const borrower = await login();
  const bank = await lender();
  const app = await insertApplication(borrower.uid, over);
  return { borrower, bank, appId: app.id };
}

/** The worked example's offer: 360 000.00 EUR at 3.2 % nominal, 2 % initial repayment, 15 years, 900.00 fees. */
function offerBody(applicationId: string, over: Record<string, unknown> = {}) {
  return {
    applicationId,
    loan: { amount: 36_000_000, currency: "EUR" },
    interest: { nominalRate: 0.032, fixedYears: 15 },
    repayment: { initialRate: 0.02, specialPaymentsAllowed: true, specialPaymentMaxPerYear: 500_000 },
    fees: { processingFee: 60_000, valuationFee: 30_000, otherFees: [] },
    validity: { validUntil: iso(Date.now() + 10 * DAY) },
    termsRef: "https://bank-xyz.example/terms/mortgage-standard-v1.pdf",
    ...over,
  };
}

const offerRow = (id: string) => row("SELECT * FROM mortgage_offers WHERE id = ?", id);
const appRow = (id: string) => row("SELECT * FROM mortgage_applications WHERE id = ?", id);
const offersOf = (appId: string) => count("mortgage_offers", "application_id = ?", appId);

// ── create ──────────────────────────────────────────────────────────────────────────────────

describe("POST /api/hypotheken/angebot", () => {
  it("creates an offer with the worked example's figures, moves the application to offered, writes one event", async () => {
    const { borrower, bank, appId } = await market();
    const requestId = newRequestId();
    const voucherId = `mort-offer-${newUid()}`;
    const res = await post(OFFER, bank, offerBody(appId, { voucherId, issuerId: bank.uid, holderUid: borrower.uid }), {
      requestId,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.voucherId).toBe(voucherId);
    const o = res.body.offer;
    expect(o).toMatchObject({
      voucherId,
      type: "mortgage-offer",
      applicationId: appId,
      issuerId: bank.uid,
      holderUid: borrower.uid,
      status: "offered",
      loan: { amount: 36_000_000, currency: "EUR" },
      interest: { nominalRate: 0.032, fixedYears: 15, statedEffectiveRate: null },
      repayment: { initialRate: 0.02, specialPaymentsAllowed: true, specialPaymentMaxPerYear: 500_000 },
      fees: { processingFee: 60_000, valuationFee: 30_000, otherFees: [], total: 90_000 },
      figures: {
        monthlyPayment: { amount: 156_000, currency: "EUR" },
        numberOfPayments: 359,
        totalAmountPaid: { amount: 55_971_947, currency: "EUR" },
        remainingDebtAtFixedEnd: { amount: 22_161_546, currency: "EUR" },
        roundingRule: "interest-monthly-half-up",
      },
      termsRef: "https://bank-xyz.example/terms/mortgage-standard-v1.pdf",
      roomRefs: { negotiationRoomId: `mortgage:offer:${voucherId}`, contractRoomId: null },
    });
    // APRC with the 900.00 fees at the payout: ≈ 3.2678 %.
    expect(o.interest.effectiveRatePercent).toMatch(/^3\.26[78]\d$/);
    expect(Math.abs(o.interest.effectiveRate * 1e6 - 32_678)).toBeLessThanOrEqual(1);
    const stored = await offerRow(voucherId);
    expect(stored).toMatchObject({
      application_id: appId,
      lender_uid: bank.uid,
      borrower_uid: borrower.uid,
      loan_amount: 36_000_000,
      nominal_rate_ppm: 32_000,
      initial_repayment_ppm: 20_000,
      monthly_payment: 156_000,
      upfront_fees: 90_000,
      status: "offered",
    });
    expect((await appRow(appId))?.status).toBe("offered");
    const events = await eventsOfRequest(requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "mortgage.offer",
      actor_uid: bank.uid,
      subject_type: "mortgage_offer",
      subject_id: voucherId,
    });
    expect(JSON.parse(events[0]?.meta as string)).toMatchObject({ applicationId: appId, monthlyPayment: 156_000 });
  });

  it("accepts rates as decimal strings, a stated effective rate within 0.01 pp, and generates an id", async () => {
    const { bank, appId } = await market();
    const res = await post(
      OFFER,
      bank,
      offerBody(appId, { interest: { nominalRate: "0.032", effectiveRate: "0.0327", fixedYears: 15 }, type: "mortgage-offer" }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.voucherId).toMatch(/^mort-offer-/);
    expect(res.body.offer.interest.statedEffectiveRate).toBe(0.0327);
    expect((await offerRow(res.body.voucherId))?.stated_effective_rate_ppm).toBe(32_700);
  });

  it("a second offer keeps the application offered", async () => {
    const { appId } = await market();
    const a = await post(OFFER, await lender(), offerBody(appId));
    const b = await post(OFFER, await lender(), offerBody(appId, { loan: { amount: 30_000_000, currency: "EUR" } }));
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await appRow(appId))?.status).toBe("offered");
    expect(await offersOf(appId)).toBe(2);
  });

  it("refuses a stated effective rate off by more than 0.01 pp, naming both, and writes nothing", async () => {
    const { bank, appId } = await market();
    const res = await post(
      OFFER,
      bank,
      offerBody(appId, { interest: { nominalRate: 0.032, effectiveRate: 0.0335, fixedYears: 15 } }),
    );
    expectError(res, 400, "effective_rate_mismatch");
    expect(res.body.details.stated).toBe(0.0335);
    expect(Math.abs(res.body.details.computed * 1e6 - 32_678)).toBeLessThanOrEqual(1);
    expect(res.body.details.tolerance).toBe(0.0001);
    expect(await offersOf(appId)).toBe(0);
    expect((await appRow(appId))?.status).toBe("open");
  });

  it("refuses malformed bodies: unknown field, wrong types, too precise rate, not JSON, status other than offered", async () => {
    const { bank, appId } = await market();
    for (const body of [
      offerBody(appId, { surprise: 1 }),
      offerBody(appId, { interest: { nominalRate: 0.032, fixedYears: 15, extra: true } }),
      offerBody(appId, { loan: { amount: "36000000", currency: "EUR" } }),
      offerBody(appId, { loan: { amount: 1.5, currency: "EUR" } }),
      offerBody(appId, { loan: { amount: 100, currency: "EURO" } }),
      offerBody(appId, { interest: { nominalRate: "0.0320001", fixedYears: 15 } }),
      offerBody(appId, { interest: { nominalRate: -0.01, fixedYears: 15 } }),
      offerBody(appId, { interest: { nominalRate: 0.032, fixedYears: 41 } }),
      offerBody(appId, { status: "accepted" }),
      offerBody(appId, { termsRef: "http://insecure.example/terms.pdf" }),
      offerBody(appId, { voucherId: "bad id with spaces" }),
      offerBody(appId, { validity: {} }),
    ]) {
      expectError(await post(OFFER, bank, body), 400, "validation_failed");
    }
    const raw = await call(OFFER, { session: bank.session, raw: "{not json", headers: { "content-type": "application/json" } });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as Res["body"]).code).toBe("invalid_json");
    expect(await offersOf(appId)).toBe(0);
  });

  it("requires a session, and issuerId must be the caller", async () => {
    const { bank, appId } = await market();
    expectError(await post(OFFER, null, offerBody(appId)), 401, "unauthenticated");
    expectError(await post(OFFER, bank, offerBody(appId, { issuerId: "someone-else" })), 403, "uid_mismatch");
    expect(await offersOf(appId)).toBe(0);
  });

  it("only a lender may offer (403 not_lender), also on an application it could otherwise see", async () => {
    const { appId } = await market();
    const person = await login();
    expectError(await post(OFFER, person, offerBody(appId)), 403, "not_lender");
    await grantRole(person.uid, "notary");
    expectError(await post(OFFER, person, offerBody(appId)), 403, "not_lender");
    expect(await offersOf(appId)).toBe(0);
  });

  it("a private application is visible only to lenders it was shared with; others get 404", async () => {
    const borrower = await login();
    const invited = await lender();
    const other = await lender();
    const app = await insertApplication(borrower.uid, { visibility: "private", sharedWith: [invited.uid] });
    expectError(await post(OFFER, other, offerBody(app.id)), 404, "application_not_found");
    expectError(await post(OFFER, other, offerBody(`app-${newUid()}`)), 404, "application_not_found");
    const res = await post(OFFER, invited, offerBody(app.id));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await offersOf(app.id)).toBe(1);
  });

  it("a lender cannot offer on its own application", async () => {
    const bank = await lender();
    const app = await insertApplication(bank.uid);
    expectError(await post(OFFER, bank, offerBody(app.id)), 403, "not_allowed");
  });

  it("a withdrawn application takes no offer (409 invalid_transition)", async () => {
    const { bank, appId } = await market({ status: "withdrawn" });
    const res = await post(OFFER, bank, offerBody(appId));
    expectError(res, 409, "invalid_transition");
    expect(res.body.details).toEqual({ from: "withdrawn", to: "offered" });
    expect(await offersOf(appId)).toBe(0);
  });

  it("the terms must fit the application: holder, currency, loan, rate limit", async () => {
    const { bank, appId } = await market({ maxInterestPpm: 30_000 });
    expectError(await post(OFFER, bank, offerBody(appId, { holderUid: "not-the-borrower" })), 400, "holder_mismatch");
    const chf = await post(OFFER, bank, offerBody(appId, { loan: { amount: 36_000_000, currency: "CHF" } }));
    expectError(chf, 400, "currency_mismatch");
    expect(chf.body.details).toEqual({ expected: "EUR", got: "CHF" });
    const big = await post(OFFER, bank, offerBody(appId, { loan: { amount: 36_000_001, currency: "EUR" } }));
    expectError(big, 400, "loan_exceeds_application");
    expect(big.body.details).toEqual({ requested: 36_000_001, applied: 36_000_000 });
    const rate = await post(OFFER, bank, offerBody(appId));
    expectError(rate, 400, "rate_above_max");
    expect(rate.body.details).toEqual({ nominalRate: 0.032, maxInterestRate: 0.03 });
    const atMax = await post(OFFER, bank, offerBody(appId, { interest: { nominalRate: 0.03, fixedYears: 10 } }));
    expect(atMax.status, JSON.stringify(atMax.body)).toBe(200);
    expect(await offersOf(appId)).toBe(1);
  });

  it("terms that give no plan or no effective rate are refused", async () => {
    const { bank, appId } = await market();
    const low = await post(OFFER, bank, offerBody(appId, { repayment: { initialRate: 0 } }));
    expectError(low, 400, "payment_too_low");
    expect(low.body.details).toMatchObject({ monthlyPayment: 96_000, firstMonthInterest: 96_000 });
    const fees = await post(OFFER, bank, offerBody(appId, { fees: { processingFee: 36_000_000 } }));
    expectError(fees, 400, "invalid_terms");
    expect(await offersOf(appId)).toBe(0);
  });

  it("validity: until in the future, after validFrom, at most 180 days", async () => {
    const { bank, appId } = await market();
    const now = Date.now();
    for (const validity of [
      { validUntil: iso(now - DAY) },
      { validFrom: iso(now + 5 * DAY), validUntil: iso(now + 4 * DAY) },
      { validUntil: iso(now + 181 * DAY) },
    ]) {
      expectError(await post(OFFER, bank, offerBody(appId, { validity })), 400, "invalid_validity");
    }
    expect(await offersOf(appId)).toBe(0);
  });

  it("a taken voucherId is 409 offer_exists, without a second row or event", async () => {
    const { bank, appId } = await market();
    const voucherId = `mort-offer-${newUid()}`;
    expect((await post(OFFER, bank, offerBody(appId, { voucherId }))).status).toBe(200);
    const requestId = newRequestId();
    expectError(await post(OFFER, bank, offerBody(appId, { voucherId }), { requestId }), 409, "offer_exists");
    expect(await offersOf(appId)).toBe(1);
    expect(await eventsOfRequest(requestId)).toHaveLength(0);
  });

  it("an Idempotency-Key retry answers the same, with one row and one event", async () => {
    const { borrower, bank, appId } = await market();
    const key = `k-${newUid()}`;
    const body = offerBody(appId);
    const first = await post(OFFER, bank, body, { headers: { "idempotency-key": key } });
    const second = await post(OFFER, bank, body, { headers: { "idempotency-key": key } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(first.body.offer.holderUid).toBe(borrower.uid);
    expect(await offersOf(appId)).toBe(1);
    expect(await count("events", "type = 'mortgage.offer' AND subject_id = ?", first.body.voucherId)).toBe(1);
    // Refusals are stored too: a keyed non-lender gets the same 403 again.
    const person = await login();
    const k2 = `k-${newUid()}`;
    const r1 = await post(OFFER, person, body, { headers: { "idempotency-key": k2 } });
    const r2 = await post(OFFER, person, body, { headers: { "idempotency-key": k2 } });
    expectError(r1, 403, "not_lender");
    expect(r2.body).toEqual(r1.body);
  });
});

// ── the original portal's create ────────────────────────────────────────────────────────────

describe("POST /api/mortgage/offer (original portal)", () => {
  it("offers the application's loan at the stated payment, in the original shape", async () => {
    const { borrower, bank, appId } = await market();
    const requestId = newRequestId();
    const res = await post(
      "/api/mortgage/offer",
      bank,
      { applicationId: appId, interestRate: 0.032, monthlyPayment: 156_000 },
      { requestId },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.offer).toEqual({
      offerId: res.body.offerId,
      applicationId: appId,
      lenderUid: bank.uid,
      borrowerUid: borrower.uid,
      interestRate: 0.032,
      monthlyPayment: 156_000,
      status: "offered",
      createdAt: expect.any(String),
    });
    expect(await offerRow(res.body.offerId)).toMatchObject({
      loan_amount: 36_000_000,
      initial_repayment_ppm: null,
      fixed_years: 10,
      upfront_fees: 0,
      monthly_payment: 156_000,
      effective_rate_ppm: 32_474,
    });
    expect((await eventsOfRequest(requestId)).map((e) => e.type)).toEqual(["mortgage.offer"]);
  });

  it("refuses a payment that does not exceed the first month's interest, and a non-lender", async () => {
    const { appId } = await market();
    const bank = await lender();
    expectError(
      await post("/api/mortgage/offer", bank, { applicationId: appId, interestRate: 0.032, monthlyPayment: 96_000 }),
      400,
      "payment_too_low",
    );
    expectError(
      await post("/api/mortgage/offer", await login(), { applicationId: appId, interestRate: 0.032, monthlyPayment: 156_000 }),
      403,
      "not_lender",
    );
    expectError(
      await post("/api/mortgage/offer", bank, { applicationId: `app-${newUid()}`, interestRate: 0.032, monthlyPayment: 156_000 }),
      404,
      "application_not_found",
    );
    expectError(await post("/api/mortgage/offer", bank, { applicationId: appId, interestRate: 0.032 }), 400, "validation_failed");
    const header = await post(
      "/api/mortgage/offer",
      bank,
      { applicationId: appId, interestRate: 0.032, monthlyPayment: 156_000 },
      { headers: { "x-mot-user": "someone-else" } },
    );
    expectError(header, 403, "uid_mismatch");
    expect(await offersOf(appId)).toBe(0);
  });
});

// ── reads ───────────────────────────────────────────────────────────────────────────────────

describe("offer reads", () => {
  async function twoOffers() {
    const f = await market();
    const other = await lender();
    const a = await post(OFFER, f.bank, offerBody(f.appId));
    const b = await post(OFFER, other, offerBody(f.appId, { loan: { amount: 30_000_000, currency: "EUR" } }));
    return { ...f, other, mine: a.body.voucherId as string, theirs: b.body.voucherId as string };
  }

  it("list: the borrower sees every offer of the application, a lender only its own, a stranger none", async () => {
    const f = await twoOffers();
    const borrowerList = await get(`${OFFER}/list`, f.borrower, { applicationId: f.appId });
    expect(borrowerList.status).toBe(200);
    expect(borrowerList.body.offers.map((o: any) => o.voucherId).sort()).toEqual([f.mine, f.theirs].sort());
    const lenderList = await get(`${OFFER}/list`, f.bank, { applicationId: f.appId });
    expect(lenderList.body.offers.map((o: any) => o.voucherId)).toEqual([f.mine]);
    expect((await get(`${OFFER}/list`, await login(), { applicationId: f.appId })).body.offers).toEqual([]);
    expect((await get(`${OFFER}/list`, f.bank, { role: "borrower" })).body.offers).toEqual([]);
    expect((await get(`${OFFER}/list`, f.bank, { role: "lender", status: "withdrawn" })).body.offers).toEqual([]);
  });

  it("list pages newest first with nextCursor; a forged cursor is 400", async () => {
    const f = await twoOffers();
    const p1 = await get(`${OFFER}/list`, f.borrower, { applicationId: f.appId, limit: 1 });
    expect(p1.body.offers).toHaveLength(1);
    expect(p1.body.nextCursor).toEqual(expect.any(String));
    const p2 = await get(`${OFFER}/list`, f.borrower, { applicationId: f.appId, limit: 1, cursor: p1.body.nextCursor });
    expect(p2.body.offers).toHaveLength(1);
    expect(p2.body.nextCursor).toBeNull();
    expect(new Set([p1.body.offers[0].voucherId, p2.body.offers[0].voucherId]).size).toBe(2);
    expectError(await get(`${OFFER}/list`, f.borrower, { cursor: "forged" }), 400, "invalid_cursor");
    expectError(await get(`${OFFER}/list`, f.borrower, { role: "owner" }), 400, "validation_failed");
  });

  it("the original offer-list: role=borrower by default, role=lender, original item shape", async () => {
    const f = await twoOffers();
    const asBorrower = await get("/api/mortgage/offer-list", f.borrower);
    expect(asBorrower.status).toBe(200);
    expect(asBorrower.body.offers).toHaveLength(2);
    expect(Object.keys(asBorrower.body.offers[0]).sort()).toEqual(
      ["applicationId", "borrowerUid", "createdAt", "interestRate", "lenderUid", "monthlyPayment", "offerId", "status"].sort(),
    );
    const asLender = await get("/api/mortgage/offer-list", f.bank, { role: "lender", applicationId: f.appId });
    expect(asLender.body.offers.map((o: any) => o.offerId)).toEqual([f.mine]);
    expect((await get("/api/mortgage/offer-list", f.bank)).body.offers).toEqual([]);
  });

  it("one offer: its borrower and lender see it; another lender and a stranger get 404", async () => {
    const f = await twoOffers();
    const byBorrower = await get(`${OFFER}/${f.mine}`, f.borrower);
    expect(byBorrower.status).toBe(200);
    expect(byBorrower.body.offer.voucherId).toBe(f.mine);
    expect((await get(`${OFFER}/${f.mine}`, f.bank)).status).toBe(200);
    expectError(await get(`${OFFER}/${f.mine}`, f.other), 404, "offer_not_found");
    expectError(await get(`${OFFER}/${f.mine}`, await login()), 404, "offer_not_found");
    expectError(await get(`${OFFER}/nothing-${newUid()}`, f.borrower), 404, "offer_not_found");
  });

  it("the plan: rows until the balance is exactly 0, totals agree with the offer's figures", async () => {
    const f = await twoOffers();
    const offer = (await get(`${OFFER}/${f.mine}`, f.borrower)).body.offer;
    const res = await get(`${OFFER}/${f.mine}/plan`, f.borrower);
    expect(res.status).toBe(200);
    const { rows: plan, totals } = res.body;
    expect(res.body).toMatchObject({
      voucherId: f.mine,
      currency: "EUR",
      monthlyPayment: 156_000,
      roundingRule: "interest-monthly-half-up",
    });
    expect(plan).toHaveLength(offer.figures.numberOfPayments);
    expect(plan[0]).toEqual({ month: 1, payment: 156_000, interest: 96_000, principal: 60_000, balance: 35_940_000 });
    expect(plan[plan.length - 1].balance).toBe(0);
    expect(plan[179].balance).toBe(offer.figures.remainingDebtAtFixedEnd.amount);
    expect(totals).toEqual({
      payments: offer.figures.totalAmountPaid.amount,
      interest: offer.figures.totalInterest.amount,
      principal: 36_000_000,
    });
    for (const r of plan) expect(r.payment).toBe(r.interest + r.principal);
    expectError(await get(`${OFFER}/${f.mine}/plan`, f.other), 404, "offer_not_found");
  });
});

// ── withdraw ────────────────────────────────────────────────────────────────────────────────

describe("POST /api/hypotheken/angebot/withdraw", () => {
  it("the lender withdraws an open offer once; the event is written in the same request", async () => {
    const { borrower, bank, appId } = await market();
    const id = await insertOffer({ id: appId, borrowerUid: borrower.uid }, bank.uid);
    const requestId = newRequestId();
    const res = await post(`${OFFER}/withdraw`, bank, { voucherId: id }, { requestId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.offer).toMatchObject({ voucherId: id, status: "withdrawn" });
    expect((await offerRow(id))?.status).toBe("withdrawn");
    expect((await eventsOfRequest(requestId)).map((e) => [e.type, e.subject_id])).toEqual([["mortgage.offer.withdraw", id]]);
    const again = await post(`${OFFER}/withdraw`, bank, { voucherId: id });
    expectError(again, 409, "invalid_transition");
    expect(again.body.details).toEqual({ from: "withdrawn", to: "withdrawn" });
  });

  it("the borrower may not (403 not_lender); others get 404; unknown fields are refused", async () => {
    const { borrower, bank, appId } = await market();
    const id = await insertOffer({ id: appId, borrowerUid: borrower.uid }, bank.uid);
    expectError(await post(`${OFFER}/withdraw`, borrower, { voucherId: id }), 403, "not_lender");
    expectError(await post(`${OFFER}/withdraw`, await lender(), { voucherId: id }), 404, "offer_not_found");
    expectError(await post(`${OFFER}/withdraw`, bank, { voucherId: id, reason: "x" }), 400, "validation_failed");
    expect((await offerRow(id))?.status).toBe("offered");
    expect(await rows("SELECT * FROM events WHERE subject_id = ?", id)).toHaveLength(0);
  });

  it("an Idempotency-Key retry answers the same with one event", async () => {
    const { borrower, bank, appId } = await market();
    const id = await insertOffer({ id: appId, borrowerUid: borrower.uid }, bank.uid);
    const headers = { "idempotency-key": `k-${newUid()}` };
    const first = await post(`${OFFER}/withdraw`, bank, { voucherId: id }, { headers });
    const second = await post(`${OFFER}/withdraw`, bank, { voucherId: id }, { headers });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await count("events", "type = 'mortgage.offer.withdraw' AND subject_id = ?", id)).toBe(1);
  });
});
