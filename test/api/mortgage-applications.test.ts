/**
 * Properties and applications: register a property (owner only), submit an application on it
 * (loan bound, currency, invited lenders checked inside the batch), list and read it as borrower
 * or lender (market applications without the financial data until shared), share it with a
 * lender, withdraw it (open offers declined in the same batch). Every refusal writes nothing;
 * idempotent retries give the same answer once; races have one winner.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, json, login, newUid } from "../support/client";
import { fixtureId, grantRole, insertApplication, insertContract, insertOffer, insertProperty } from "../support/mortgage-kit";
import { type Who, count, eventsOfRequest, get, newRequestId, post, row, rows } from "../support/voucher-kit";

const PROPERTY = {
  type: "single-family-house",
  address: { street: "Musterstraße 1", zip: "12345", city: "Musterstadt", country: "DE" },
  purchasePrice: { amount: 45_000_000, currency: "EUR" },
  ownCapital: { amount: 9_000_000, currency: "EUR" },
  meta: { livingAreaSqm: 140, plotSizeSqm: 380, yearBuilt: 1998 },
};

const application = (propertyId: string, extra: Record<string, unknown> = {}) => ({
  propertyId,
  desiredLoan: { amount: 36_000_000, currency: "EUR" },
  desiredDurationYears: 20,
  desiredRateType: "fixed",
  maxInterestRate: 0.04,
  meta: { employmentStatus: "employee", netIncomeMonthly: 380_000, otherLoans: [] },
  ...extra,
});

/** A verified person holding the lender role. */
async function lender(): Promise<Who> {
  const who = await login(newUid("bank"));
  await grantRole(who.uid, "lender", "Test Bank");
  return who;
}

/** Everything stored about an application: its row, share rows, events, offers. */
const stateOf = async (id: string) => ({
  app: await row("SELECT * FROM mortgage_applications WHERE id = ?", id),
  shares: await rows("SELECT lender_uid FROM mortgage_application_lenders WHERE application_id = ? ORDER BY lender_uid", id),
  events: await rows("SELECT type, meta FROM events WHERE subject_id = ? ORDER BY id", id),
  offers: await rows("SELECT id, status FROM mortgage_offers WHERE application_id = ? ORDER BY id", id),
});

let borrower: Who;
let stranger: Who;
beforeAll(async () => {
  borrower = await login();
  stranger = await login();
});

// ── properties ───────────────────────────────────────────────────────────────────────────────

describe("POST /api/hypotheken/property", () => {
  it("registers the caller's property with an event in the same batch", async () => {
    const rid = newRequestId();
    const res = await post("/api/hypotheken/property", borrower, { ...PROPERTY, ownerUid: borrower.uid }, { requestId: rid });
    expect(res.status).toBe(200);
    const id = res.body.propertyId as string;
    expect(id).toMatch(/^house-/);
    expect(res.body.property).toEqual({
      propertyId: id,
      ownerUid: borrower.uid,
      type: "single-family-house",
      address: PROPERTY.address,
      purchasePrice: PROPERTY.purchasePrice,
      ownCapital: PROPERTY.ownCapital,
      meta: PROPERTY.meta,
      roomRefs: { propertyRoomId: `mortgage:property:${id}` },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(
      await row("SELECT owner_uid, purchase_price_amount, own_capital_amount, currency FROM properties WHERE id = ?", id),
    ).toEqual({
      owner_uid: borrower.uid,
      purchase_price_amount: 45_000_000,
      own_capital_amount: 9_000_000,
      currency: "EUR",
    });
    const evs = await eventsOfRequest(rid);
    expect(evs.map((e) => [e.type, e.subject_type, e.subject_id, e.actor_uid])).toEqual([
      ["mortgage.property", "mortgage_property", id, borrower.uid],
    ]);
  });

  it("takes a client id once (409 property_exists after)", async () => {
    const id = fixtureId("house");
    const first = await post("/api/hypotheken/property", borrower, { ...PROPERTY, propertyId: id });
    expect(first.body.propertyId).toBe(id);
    const second = await post("/api/hypotheken/property", stranger, { ...PROPERTY, propertyId: id });
    expect([second.status, second.body.code]).toEqual([409, "property_exists"]);
    expect(await count("properties", "id = ?", id)).toBe(1);
    expect(await count("events", "subject_id = ?", id)).toBe(1);
  });

  it("refuses inconsistent amounts, bad fields and foreign owners with nothing written", async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ownCapital: { amount: 1, currency: "USD" } }, 400, "currency_mismatch"],
      [{ ownCapital: { amount: 45_000_001, currency: "EUR" } }, 400, "own_capital_exceeds_price"],
      [{ purchasePrice: { amount: 0, currency: "EUR" } }, 400, "validation_failed"],
      [{ purchasePrice: { amount: 1.5, currency: "EUR" } }, 400, "validation_failed"],
      [{ purchasePrice: { amount: 100, currency: "EURO" } }, 400, "validation_failed"],
      [{ type: "castle" }, 400, "validation_failed"],
      [{ address: { ...PROPERTY.address, country: "Germany" } }, 400, "validation_failed"],
      [{ address: { ...PROPERTY.address, floor: 3 } }, 400, "validation_failed"],
      [{ meta: { pool: true } }, 400, "validation_failed"],
      [{ status: "open" }, 400, "validation_failed"],
      [{ propertyId: "has space" }, 400, "validation_failed"],
      [{ ownerUid: stranger.uid }, 403, "uid_mismatch"],
    ];
    const before = await count("properties", "owner_uid = ?", borrower.uid);
    for (const [patch, status, code] of cases) {
      const res = await post("/api/hypotheken/property", borrower, { ...PROPERTY, ...patch });
      expect([res.status, res.body.code], JSON.stringify(patch)).toEqual([status, code]);
    }
    const raw = await call("/api/hypotheken/property", {
      raw: "{not json",
      headers: { "content-type": "application/json" },
      session: borrower.session,
    });
    expect(raw.status).toBe(400);
    expect(await count("properties", "owner_uid = ?", borrower.uid)).toBe(before);
  });

  it("an idempotent retry gives the same answer, one row and one event", async () => {
    const me = await login();
    const headers = { "idempotency-key": `prop-${newUid("k")}` };
    const a = await post("/api/hypotheken/property", me, PROPERTY, { headers });
    const b = await post("/api/hypotheken/property", me, PROPERTY, { headers });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(await count("properties", "owner_uid = ?", me.uid)).toBe(1);
    expect(await count("events", "subject_id = ?", a.body.propertyId)).toBe(1);
  });

  it("needs a session", async () => {
    const res = await post("/api/hypotheken/property", null, PROPERTY);
    expect([res.status, res.body.code]).toEqual([401, "unauthenticated"]);
  });
});

describe("GET /api/hypotheken/property/:id and /list", () => {
  it("shows a property to its owner only (others: 404, as if it did not exist)", async () => {
    const id = await insertProperty(borrower.uid);
    const mine = await get(`/api/hypotheken/property/${id}`, borrower);
    expect([mine.status, mine.body.property.propertyId]).toEqual([200, id]);
    const theirs = await get(`/api/hypotheken/property/${id}`, stranger);
    const missing = await get(`/api/hypotheken/property/${fixtureId("house")}`, borrower);
    expect([theirs.status, theirs.body.code]).toEqual([404, "property_not_found"]);
    expect(missing.body).toEqual({ ...theirs.body, error: expect.any(String), requestId: expect.any(String) });
  });

  it("lists the owner's properties newest first, page by page", async () => {
    const me = await login();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post("/api/hypotheken/property", me, PROPERTY)).body.propertyId);
    await insertProperty(stranger.uid);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get("/api/hypotheken/property/list", me, { limit: 2, cursor });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((p: { propertyId: string }) => p.propertyId));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const bad = await get("/api/hypotheken/property/list", me, { cursor: "x" });
    expect([bad.status, bad.body.code]).toEqual([400, "invalid_cursor"]);
  });
});

// ── applications ─────────────────────────────────────────────────────────────────────────────

describe("POST /api/hypotheken/anfrage (and /api/mortgage/application)", () => {
  it("submits an application on the caller's property, invited lenders shared in the same batch", async () => {
    const bank = await lender();
    const propertyId = await insertProperty(borrower.uid);
    const rid = newRequestId();
    const res = await post(
      "/api/hypotheken/anfrage",
      borrower,
      application(propertyId, {
        borrowerUid: borrower.uid,
        invitedLenders: [bank.uid],
        maxInterestRate: "0.0325",
        submissionTs: "2025-02-01T10:15:00Z",
        status: "open",
      }),
      { requestId: rid },
    );
    expect(res.status).toBe(200);
    const id = res.body.applicationId as string;
    expect(id).toMatch(/^app-/);
    expect(res.body.application).toMatchObject({
      applicationId: id,
      borrowerUid: borrower.uid,
      propertyId,
      desiredLoan: { amount: 36_000_000, currency: "EUR" },
      desiredDurationYears: 20,
      desiredRateType: "fixed",
      maxInterestRate: 0.0325,
      status: "open",
      visibility: "private",
      financialsShared: true,
      meta: { employmentStatus: "employee", netIncomeMonthly: 380_000, otherLoans: [] },
      acceptedOfferId: null,
      roomRefs: { applicationRoomId: `mortgage:application:${id}` },
    });
    // The server's clock is the submission time, not the client's.
    expect(res.body.application.submissionTs).not.toBe("2025-02-01T10:15:00.000Z");
    const s = await stateOf(id);
    expect(s.app).toMatchObject({ max_interest_ppm: 32_500, status: "open", visibility: "private", loan_amount: 36_000_000 });
    expect(s.shares).toEqual([{ lender_uid: bank.uid }]);
    const evs = await eventsOfRequest(rid);
    expect(evs.map((e) => e.type)).toEqual(["mortgage.application"]);
    expect(JSON.parse(evs[0]?.meta)).toEqual({
      propertyId,
      visibility: "private",
      loan: { amount: 36_000_000, currency: "EUR" },
      invitedLenders: [bank.uid],
    });
  });

  it("the original portal's route takes the same body and answers the same shape", async () => {
    const propertyId = await insertProperty(borrower.uid);
    const res = await post("/api/mortgage/application", borrower, application(propertyId, { visibility: "market" }), {
      headers: { "x-mot-user": borrower.uid },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, applicationId: expect.any(String), application: { visibility: "market" } });
    const foreign = await post("/api/mortgage/application", borrower, application(propertyId), {
      headers: { "x-mot-user": stranger.uid },
    });
    expect([foreign.status, foreign.body.code]).toEqual([403, "uid_mismatch"]);
  });

  it("refuses with the precise reason and writes nothing", async () => {
    const mine = await insertProperty(borrower.uid);
    const theirs = await insertProperty(stranger.uid);
    const notary = await login();
    await grantRole(notary.uid, "notary");
    const id = fixtureId("app");
    const cases: [Record<string, unknown>, number, string][] = [
      [application(theirs), 404, "property_not_found"],
      [application(fixtureId("house")), 404, "property_not_found"],
      [application(mine, { desiredLoan: { amount: 36_000_001, currency: "EUR" } }), 400, "loan_exceeds_need"],
      [application(mine, { desiredLoan: { amount: 1000, currency: "CHF" } }), 400, "currency_mismatch"],
      [application(mine, { invitedLenders: [notary.uid] }), 400, "unknown_lender"],
      [application(mine, { invitedLenders: [borrower.uid] }), 400, "self_invite"],
      [application(mine, { desiredLoan: { amount: 0, currency: "EUR" } }), 400, "validation_failed"],
      [application(mine, { desiredDurationYears: 0 }), 400, "validation_failed"],
      [application(mine, { desiredDurationYears: 41 }), 400, "validation_failed"],
      [application(mine, { desiredRateType: "floating" }), 400, "validation_failed"],
      [application(mine, { maxInterestRate: 1.5 }), 400, "validation_failed"],
      [application(mine, { maxInterestRate: 0.0000001 }), 400, "validation_failed"],
      [application(mine, { maxInterestRate: "4%" }), 400, "validation_failed"],
      [application(mine, { visibility: "public" }), 400, "validation_failed"],
      [application(mine, { status: "accepted" }), 400, "validation_failed"],
      [application(mine, { meta: { salary: 1 } }), 400, "validation_failed"],
      [application(mine, { invitedLenders: ["a", "a"] }), 400, "validation_failed"],
      [application(mine, { extra: true }), 400, "validation_failed"],
      [application(mine, { borrowerUid: stranger.uid }), 403, "uid_mismatch"],
    ];
    for (const [body, status, code] of cases) {
      const res = await post("/api/hypotheken/anfrage", borrower, { ...body, applicationId: id });
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([status, code]);
      if (code === "property_not_found") expect(res.body.error).toContain("POST /api/hypotheken/property");
      if (code === "loan_exceeds_need") expect(res.body.details).toEqual({ maxLoan: 36_000_000, requested: 36_000_001 });
      if (code === "unknown_lender") expect(res.body.details).toEqual({ uids: [notary.uid] });
    }
    expect(await stateOf(id)).toEqual({ app: undefined, shares: [], events: [], offers: [] });
  });

  it("takes a client id once (409 application_exists)", async () => {
    const propertyId = await insertProperty(borrower.uid);
    const id = fixtureId("app");
    expect((await post("/api/hypotheken/anfrage", borrower, application(propertyId, { applicationId: id }))).status).toBe(200);
    const again = await post("/api/hypotheken/anfrage", borrower, application(propertyId, { applicationId: id }));
    expect([again.status, again.body.code]).toEqual([409, "application_exists"]);
    expect((await stateOf(id)).events).toHaveLength(1);
  });

  it("an idempotent retry gives the same answer, one row and one event", async () => {
    const propertyId = await insertProperty(borrower.uid);
    const headers = { "idempotency-key": `app-${newUid("k")}` };
    const a = await post("/api/hypotheken/anfrage", borrower, application(propertyId), { headers });
    const b = await post("/api/hypotheken/anfrage", borrower, application(propertyId), { headers });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(await count("mortgage_applications", "property_id = ?", propertyId)).toBe(1);
    expect((await stateOf(a.body.applicationId)).events).toHaveLength(1);
  });
});

describe("who sees an application", () => {
  let bank: Who;
  let market: string;
  let privateShared: string;
  let privateHidden: string;
  let marketShared: string;
  let marketWithdrawn: string;
  let offeredOn: string;
  beforeAll(async () => {
    bank = await lender();
    const me = borrower.uid;
    market = (await insertApplication(me, { visibility: "market" })).id;
    privateShared = (await insertApplication(me, { visibility: "private", sharedWith: [bank.uid] })).id;
    privateHidden = (await insertApplication(me, { visibility: "private" })).id;
    marketShared = (await insertApplication(me, { visibility: "market", sharedWith: [bank.uid] })).id;
    marketWithdrawn = (await insertApplication(me, { visibility: "market", status: "withdrawn" })).id;
    // A private application the bank offered on before it was withdrawn: the bank keeps seeing it.
    offeredOn = (await insertApplication(me, { visibility: "private", status: "withdrawn" })).id;
    await insertOffer({ id: offeredOn, borrowerUid: me }, bank.uid, { status: "declined" });
  });

  const lenderList = async (who: Who, path = "/api/hypotheken/anfrage/list", q: Record<string, string> = {}) => {
    const out: Record<string, any>[] = [];
    let cursor: string | undefined;
    do {
      const page = await get(path, who, { role: "lender", limit: 100, cursor, ...q });
      expect(page.status).toBe(200);
      out.push(...page.body.applications);
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    return out;
  };

  it("a lender lists market applications open to offers, shared ones and ones it offered on; financial data only where shared", async () => {
    for (const path of ["/api/hypotheken/anfrage/list", "/api/mortgage/application-list"]) {
      const seen = new Map((await lenderList(bank, path)).map((a) => [a.applicationId, a]));
      expect(seen.get(market)).toMatchObject({ financialsShared: false, meta: {} });
      expect(seen.get(privateShared)).toMatchObject({ financialsShared: true, meta: { netIncomeMonthly: 380_000 } });
      expect(seen.get(marketShared)).toMatchObject({ financialsShared: true, meta: { netIncomeMonthly: 380_000 } });
      expect(seen.get(offeredOn)).toMatchObject({ status: "withdrawn", financialsShared: false });
      expect(seen.has(privateHidden)).toBe(false);
      expect(seen.has(marketWithdrawn)).toBe(false);
    }
    const open = await lenderList(bank, "/api/hypotheken/anfrage/list", { status: "withdrawn" });
    expect(open.every((a) => a.status === "withdrawn")).toBe(true);
    expect(open.map((a) => a.applicationId)).toContain(offeredOn);
  });

  it("role=lender without the lender role is 403 not_lender", async () => {
    const res = await get("/api/hypotheken/anfrage/list", stranger, { role: "lender" });
    expect([res.status, res.body.code]).toEqual([403, "not_lender"]);
  });

  it("a borrower lists its own applications only, with everything, newest first", async () => {
    const me = await login();
    const a = await insertApplication(me.uid, { visibility: "market" });
    const b = await insertApplication(me.uid, { visibility: "private", status: "withdrawn" });
    const all = await get("/api/hypotheken/anfrage/list", me, { role: "borrower" });
    expect(all.body.applications.map((x: { applicationId: string }) => x.applicationId)).toEqual([b.id, a.id]);
    expect(all.body.applications.every((x: { financialsShared: boolean }) => x.financialsShared)).toBe(true);
    const byDefault = await get("/api/mortgage/application-list", me);
    expect(byDefault.body.applications).toEqual(all.body.applications);
    const open = await get("/api/hypotheken/anfrage/list", me, { status: "open" });
    expect(open.body.applications.map((x: { applicationId: string }) => x.applicationId)).toEqual([a.id]);
    const bad = await get("/api/hypotheken/anfrage/list", me, { role: "investor" });
    expect([bad.status, bad.body.code]).toEqual([400, "validation_failed"]);
  });

  it("GET /anfrage/:id: the borrower, or a lender who may see it; anyone else 404", async () => {
    const own = await get(`/api/hypotheken/anfrage/${market}`, borrower);
    expect(own.body.application).toMatchObject({ financialsShared: true, meta: { netIncomeMonthly: 380_000 } });
    const asLender = await get(`/api/hypotheken/anfrage/${market}`, bank);
    expect(asLender.body.application).toMatchObject({ financialsShared: false, meta: {} });
    const shared = await get(`/api/hypotheken/anfrage/${privateShared}`, bank);
    expect(shared.body.application).toMatchObject({ financialsShared: true });
    for (const [who, id] of [
      [bank, privateHidden],
      [bank, marketWithdrawn],
      [stranger, market],
      [stranger, privateShared],
      [borrower, fixtureId("app")],
    ] as const) {
      const res = await get(`/api/hypotheken/anfrage/${id}`, who);
      expect([res.status, res.body.code], id).toEqual([404, "application_not_found"]);
    }
  });
});

describe("POST /api/hypotheken/anfrage/share", () => {
  it("shares a market application: the lender then sees the financial data; a repeat writes nothing", async () => {
    const bank = await lender();
    const { id } = await insertApplication(borrower.uid, { visibility: "market" });
    const rid = newRequestId();
    const res = await post(
      "/api/hypotheken/anfrage/share",
      borrower,
      { applicationId: id, lenderUid: bank.uid },
      { requestId: rid },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, alreadyShared: false, lenderUid: bank.uid, application: { applicationId: id } });
    const evs = await eventsOfRequest(rid);
    expect(evs.map((e) => [e.type, e.subject_type, e.subject_id])).toEqual([
      ["mortgage.application.share", "mortgage_application", id],
    ]);
    expect(JSON.parse(evs[0]?.meta)).toEqual({ lenderUid: bank.uid });
    const seen = await get(`/api/hypotheken/anfrage/${id}`, bank);
    expect(seen.body.application).toMatchObject({ financialsShared: true, meta: { netIncomeMonthly: 380_000 } });

    const again = await post("/api/hypotheken/anfrage/share", borrower, { applicationId: id, lenderUid: bank.uid });
    expect(again.body).toMatchObject({ ok: true, alreadyShared: true });
    expect((await stateOf(id)).events).toHaveLength(1);
  });

  it("makes a private application visible to the lender it is shared with", async () => {
    const bank = await lender();
    const { id } = await insertApplication(borrower.uid, { visibility: "private" });
    expect((await get(`/api/hypotheken/anfrage/${id}`, bank)).status).toBe(404);
    await post("/api/hypotheken/anfrage/share", borrower, { applicationId: id, lenderUid: bank.uid });
    expect((await get(`/api/hypotheken/anfrage/${id}`, bank)).status).toBe(200);
  });

  it("concurrent shares of one pair: one row, one event, every answer ok", async () => {
    const bank = await lender();
    const { id } = await insertApplication(borrower.uid, { visibility: "private" });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        post("/api/hypotheken/anfrage/share", borrower, { applicationId: id, lenderUid: bank.uid }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.alreadyShared === false)).toHaveLength(1);
    const s = await stateOf(id);
    expect(s.shares).toEqual([{ lender_uid: bank.uid }]);
    expect(s.events).toHaveLength(1);
  });

  it("refuses with the precise reason and writes nothing", async () => {
    const bank = await lender();
    const plain = await login();
    const market = (await insertApplication(borrower.uid, { visibility: "market" })).id;
    const hidden = (await insertApplication(borrower.uid, { visibility: "private" })).id;
    const withdrawn = (await insertApplication(borrower.uid, { visibility: "private", status: "withdrawn" })).id;
    const cases: [Who, Record<string, unknown>, number, string][] = [
      [borrower, { applicationId: market, lenderUid: plain.uid }, 400, "unknown_lender"],
      [borrower, { applicationId: market, lenderUid: borrower.uid }, 400, "self_invite"],
      [borrower, { applicationId: withdrawn, lenderUid: bank.uid }, 409, "application_closed"],
      [bank, { applicationId: market, lenderUid: bank.uid }, 403, "not_borrower"],
      [bank, { applicationId: hidden, lenderUid: bank.uid }, 404, "application_not_found"],
      [stranger, { applicationId: market, lenderUid: bank.uid }, 404, "application_not_found"],
      [borrower, { applicationId: market, lenderUid: bank.uid, note: "hi" }, 400, "validation_failed"],
      [borrower, { applicationId: market }, 400, "validation_failed"],
    ];
    for (const [who, body, status, code] of cases) {
      const res = await post("/api/hypotheken/anfrage/share", who, body);
      expect([res.status, res.body.code], `${code} ${JSON.stringify(body)}`).toEqual([status, code]);
    }
    for (const id of [market, hidden, withdrawn]) {
      const s = await stateOf(id);
      expect([s.shares, s.events]).toEqual([[], []]);
    }
  });
});

describe("POST /api/hypotheken/anfrage/withdraw", () => {
  it("withdraws and declines every offer still offered, in one batch with one event", async () => {
    const [b1, b2, b3] = [await lender(), await lender(), await lender()];
    const { id } = await insertApplication(borrower.uid, { visibility: "market", status: "offered" });
    const app = { id, borrowerUid: borrower.uid };
    const o1 = await insertOffer(app, b1.uid);
    const o2 = await insertOffer(app, b2.uid);
    const o3 = await insertOffer(app, b3.uid, { status: "withdrawn" });
    const rid = newRequestId();
    const res = await post("/api/hypotheken/anfrage/withdraw", borrower, { applicationId: id }, { requestId: rid });
    expect(res.status).toBe(200);
    expect(res.body.application).toMatchObject({ applicationId: id, status: "withdrawn" });
    expect([...res.body.declinedOfferIds].sort()).toEqual([o1, o2].sort());
    const s = await stateOf(id);
    expect(s.app?.status).toBe("withdrawn");
    expect(Object.fromEntries(s.offers.map((o) => [o.id, o.status]))).toEqual({
      [o1]: "declined",
      [o2]: "declined",
      [o3]: "withdrawn",
    });
    const evs = await eventsOfRequest(rid);
    expect(evs.map((e) => [e.type, e.subject_type, e.subject_id])).toEqual([
      ["mortgage.application.withdraw", "mortgage_application", id],
    ]);
    const meta = JSON.parse(evs[0]?.meta);
    expect(meta.fromStatus).toBe("offered");
    expect([...meta.declinedOfferIds].sort()).toEqual([o1, o2].sort());

    const again = await post("/api/hypotheken/anfrage/withdraw", borrower, { applicationId: id });
    expect([again.status, again.body.code, again.body.details]).toEqual([
      409,
      "invalid_transition",
      { from: "withdrawn", to: "withdrawn" },
    ]);
  });

  it("an accepted application cannot be withdrawn (409 from accepted), and nothing changes", async () => {
    const bank = await lender();
    const k = await insertContract(borrower.uid, bank.uid);
    const res = await post("/api/hypotheken/anfrage/withdraw", borrower, { applicationId: k.applicationId });
    expect([res.status, res.body.code, res.body.details]).toEqual([
      409,
      "invalid_transition",
      { from: "accepted", to: "withdrawn" },
    ]);
    expect((await stateOf(k.applicationId)).app?.status).toBe("accepted");
  });

  it("only the borrower: a lender who sees it gets 403, anyone else 404", async () => {
    const bank = await lender();
    const { id } = await insertApplication(borrower.uid, { visibility: "market" });
    const asLender = await post("/api/hypotheken/anfrage/withdraw", bank, { applicationId: id });
    const asStranger = await post("/api/hypotheken/anfrage/withdraw", stranger, { applicationId: id });
    expect([asLender.status, asLender.body.code]).toEqual([403, "not_borrower"]);
    expect([asStranger.status, asStranger.body.code]).toEqual([404, "application_not_found"]);
    expect((await stateOf(id)).app?.status).toBe("open");
  });

  it("racing withdrawals: one wins, the others get 409, one event", async () => {
    const { id } = await insertApplication(borrower.uid);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post("/api/hypotheken/anfrage/withdraw", borrower, { applicationId: id })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect([a.status, a.body.code]).toEqual([409, "invalid_transition"]);
    expect((await stateOf(id)).events).toHaveLength(1);
  });

  it("an idempotent retry gives the same answer with one event", async () => {
    const { id } = await insertApplication(borrower.uid);
    const headers = { "idempotency-key": `wd-${newUid("k")}` };
    const a = await post("/api/hypotheken/anfrage/withdraw", borrower, { applicationId: id }, { headers });
    const b = await post("/api/hypotheken/anfrage/withdraw", borrower, { applicationId: id }, { headers });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect((await stateOf(id)).events).toHaveLength(1);
  });
});

describe("routing", () => {
  it("static paths are never read as an id", async () => {
    const list = await json("/api/hypotheken/anfrage/list", { session: borrower.session });
    expect(list.status).toBe(200);
    const share = await json("/api/hypotheken/anfrage/share", { method: "GET", session: borrower.session });
    expect([share.status, share.body.code]).toEqual([405, "method_not_allowed"]);
  });
});
