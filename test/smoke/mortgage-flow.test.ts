/**
 * The mortgage marketplace end to end through the built Pages Functions bundle
 * (dist-functions/index.js): every step is an HTTP request to the bundle's router, as on Cloudflare
 * Pages, with sessions from signed links. An admin grants the roles; a borrower registers a
 * property and applies (the hypotheken routes and the original portal's aliases); two lenders
 * offer, the borrower accepts one; borrower, lender and notary sign (the contract fee falls due);
 * the lender places a tranche with an investor (the tranche fee); a settlement run and the
 * mortgage stats see all of it; the contract's room admits its parties only.
 *
 * The steps build on each other, so they share state and run in order: a failing step names
 * itself, and the ones after it fail too.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hmac, toHex } from "../../src/core/crypto";

/** The built bundle's default export (its `fetch` is the Pages router over functions/). */
const pages = (exports as unknown as { default: Fetcher }).default;
const ORIGIN = "https://together.example";
const DAY = 86_400_000;
const testEnv = env as unknown as Env;

type Json = Record<string, any>;
interface Who {
  uid: string;
  session: string;
}

interface SendInit {
  method?: string;
  body?: unknown;
  as?: Who | "admin";
  headers?: Record<string, string>;
}

/** One request to the bundle; the answer's status and parsed JSON body (the raw text on failure messages). */
async function send(path: string, init: SendInit = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.as === "admin") headers.authorization = `Bearer ${testEnv.ADMIN_TOKEN}`;
  else if (init.as) headers.authorization = `Bearer ${init.as.session}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await pages.fetch(`${ORIGIN}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    // Not JSON: the status assertion below fails with the text as its message.
  }
  return { status: res.status, body, text };
}

/** Sends and asserts the status, printing the request and the answer when it differs. */
async function expectStatus(status: number, path: string, init: SendInit = {}): Promise<Json> {
  const r = await send(path, init);
  expect(
    r.status,
    `${init.method ?? (init.body === undefined ? "GET" : "POST")} ${path} ${JSON.stringify(init.body ?? null)} → ${r.text}`,
  ).toBe(status);
  return r.body;
}
const ok = (path: string, init: SendInit = {}) => expectStatus(200, path, init);

let n = 0;
const newUid = (label: string) => `${label}-${Date.now().toString(36)}-${n++}`;

/** A session for `uid` from a link signed like the offline manifest signs it, through the bundle's /api/presence/verify. */
async function login(label: string): Promise<Who> {
  const uid = newUid(label);
  const mot = "mot-shared-token-v1";
  const ts = Date.now();
  const sig = toHex(await hmac(testEnv.MOT_SHARED_SECRET, `${mot}.${uid}.${ts}`));
  const body = await ok("/api/presence/verify", { body: { mot, uid, ts, sig } });
  expect(body).toMatchObject({ ok: true, uid, session: expect.any(String) });
  return { uid, session: body.session as string };
}

const iso = (ms: number) => new Date(ms).toISOString();
const dayStart = (ms: number) => Math.floor(ms / DAY) * DAY;

const PROPERTY = {
  type: "single-family-house",
  address: { street: "Musterstraße 1", zip: "12345", city: "Musterstadt", country: "DE" },
  purchasePrice: { amount: 45_000_000, currency: "EUR" },
  ownCapital: { amount: 9_000_000, currency: "EUR" },
  meta: { livingAreaSqm: 140, plotSizeSqm: 380, yearBuilt: 1998 },
};
const FINANCIALS = { employmentStatus: "employee", netIncomeMonthly: 380_000, otherLoans: [] };
const LOAN = 36_000_000;
const TRANCHE_NOMINAL = 10_000_000;

/** The stats window: from the UTC day the flow starts, two days (the flow may cross midnight). */
let window: { from: string; to: string };
type StageTotals = Record<
  "applications" | "offers" | "accepted" | "signed" | "tranchesPlaced",
  { count: number; volume: string }
>;
async function eurTotals(): Promise<StageTotals | undefined> {
  const body = await ok(`/api/admin/stats/mortgage?from=${window.from}&to=${window.to}`, { as: "admin" });
  statsBeforeBody ??= body;
  return (body.totals as Array<StageTotals & { currency: string }>).find((t) => t.currency === "EUR");
}

let admin: "admin";
let lenderA: Who;
let lenderB: Who;
let notary: Who;
let borrower: Who;
let investor: Who;
let stranger: Who;
let startedAt: number;
let statsBefore: StageTotals | undefined;
/** The first stats answer (before the flow), for per-day differences. */
let statsBeforeBody: Json | undefined;
let signedAt: string;
let subscribedAt: string;
let propertyId: string;
let applicationId: string;
let legacyApplicationId: string;
let offerA: string;
let offerB: string;
let contractId: string;
let trancheId: string;

beforeAll(async () => {
  admin = "admin";
  startedAt = Date.now();
  window = { from: iso(dayStart(startedAt)), to: iso(dayStart(startedAt) + 2 * DAY) };
  statsBefore = await eurTotals();
  lenderA = await login("bank-a");
  lenderB = await login("bank-b");
  notary = await login("notary");
  borrower = await login("borrower");
  investor = await login("investor");
  stranger = await login("stranger");
});

describe("mortgage flow through the Pages bundle", () => {
  it("1. the admin grants two lenders and a notary their roles", async () => {
    for (const [who, roles, displayName] of [
      [lenderA, ["lender"], "Bank A"],
      [lenderB, ["lender"], "Bank B"],
      [notary, ["notary"], "Notariat"],
    ] as const) {
      const body = await ok(`/api/admin/parties/${encodeURIComponent(who.uid)}`, {
        method: "PUT",
        as: admin,
        body: { roles, displayName },
      });
      expect(body).toMatchObject({ ok: true, party: { uid: who.uid, displayName, roles }, granted: roles, revoked: [] });
    }
    // Without the admin token the route is closed.
    await expectStatus(401, `/api/admin/parties/${encodeURIComponent(stranger.uid)}`, {
      method: "PUT",
      body: { roles: ["lender"], displayName: "Nobody" },
    });
    const lenders = await ok("/api/hypotheken/lenders?limit=100", { as: borrower });
    const uids = (lenders.items as Array<{ uid: string }>).map((l) => l.uid);
    expect(uids).toEqual(expect.arrayContaining([lenderA.uid, lenderB.uid]));
    expect(uids).not.toContain(notary.uid);
  });

  it("2. the borrower registers a property and applies; lenders see the market application, the financial data once shared", async () => {
    const prop = await ok("/api/hypotheken/property", { as: borrower, body: PROPERTY });
    propertyId = prop.propertyId as string;
    expect(prop.property).toMatchObject({ propertyId, ownerUid: borrower.uid, purchasePrice: PROPERTY.purchasePrice });

    const app = await ok("/api/hypotheken/anfrage", {
      as: borrower,
      body: {
        propertyId,
        desiredLoan: { amount: LOAN, currency: "EUR" },
        desiredDurationYears: 20,
        desiredRateType: "fixed",
        maxInterestRate: 0.04,
        visibility: "market",
        meta: FINANCIALS,
      },
    });
    applicationId = app.applicationId as string;
    expect(app.application).toMatchObject({
      applicationId,
      borrowerUid: borrower.uid,
      status: "open",
      visibility: "market",
      financialsShared: true,
      meta: FINANCIALS,
    });

    // The original portal's body, its uid header alongside the session.
    const legacy = await ok("/api/mortgage/application", {
      as: borrower,
      headers: { "x-mot-user": borrower.uid },
      body: {
        propertyId,
        desiredLoan: { amount: LOAN, currency: "EUR" },
        desiredDurationYears: 20,
        desiredRateType: "fixed",
        maxInterestRate: 0.04,
        meta: FINANCIALS,
      },
    });
    legacyApplicationId = legacy.applicationId as string;
    expect(legacy).toMatchObject({
      ok: true,
      applicationId: legacyApplicationId,
      application: {
        applicationId: legacyApplicationId,
        borrowerUid: borrower.uid,
        propertyId,
        desiredLoan: { amount: LOAN, currency: "EUR" },
        desiredDurationYears: 20,
        desiredRateType: "fixed",
        maxInterestRate: 0.04,
        status: "open",
        visibility: "private",
        meta: FINANCIALS,
      },
    });
    expect(legacyApplicationId).not.toBe(applicationId);
    // The header naming someone else is refused.
    const mismatch = await send("/api/mortgage/application", {
      as: borrower,
      headers: { "x-mot-user": stranger.uid },
      body: { propertyId, desiredLoan: { amount: LOAN, currency: "EUR" }, desiredDurationYears: 20, desiredRateType: "fixed" },
    });
    expect([mismatch.status, mismatch.body.code], mismatch.text).toEqual([403, "uid_mismatch"]);

    const mine = await ok("/api/mortgage/application-list?role=borrower", { as: borrower });
    expect((mine.applications as Array<{ applicationId: string }>).map((a) => a.applicationId).sort()).toEqual(
      [applicationId, legacyApplicationId].sort(),
    );

    const seenBy = async (who: Who) => {
      const list = await ok("/api/hypotheken/anfrage/list?role=lender", { as: who });
      return (list.applications as Json[]).find((a) => a.applicationId === applicationId);
    };
    // Market application: every lender sees it, without the financial data; the private one not at all.
    expect(await seenBy(lenderA)).toMatchObject({ applicationId, financialsShared: false, meta: {} });
    const listA = await ok("/api/hypotheken/anfrage/list?role=lender", { as: lenderA });
    expect((listA.applications as Json[]).map((a) => a.applicationId)).not.toContain(legacyApplicationId);
    // No lender role: 403.
    await expectStatus(403, "/api/hypotheken/anfrage/list?role=lender", { as: stranger });

    const shared = await ok("/api/hypotheken/anfrage/share", {
      as: borrower,
      body: { applicationId, lenderUid: lenderA.uid },
    });
    expect(shared).toMatchObject({ ok: true, alreadyShared: false, lenderUid: lenderA.uid });
    expect(await seenBy(lenderA)).toMatchObject({ applicationId, financialsShared: true, meta: FINANCIALS });
    expect(await seenBy(lenderB)).toMatchObject({ applicationId, financialsShared: false, meta: {} });
  });

  it("3. two lenders offer: the worked example's figures, and the original portal's offer shape", async () => {
    const a = await ok("/api/hypotheken/angebot", {
      as: lenderA,
      body: {
        applicationId,
        loan: { amount: LOAN, currency: "EUR" },
        interest: { nominalRate: 0.032, effectiveRate: 0.0327, fixedYears: 15 },
        repayment: { initialRate: 0.02 },
        fees: { processingFee: 60_000, valuationFee: 30_000 },
        validity: { validUntil: iso(Date.now() + 10 * DAY) },
      },
    });
    offerA = a.voucherId as string;
    expect(a.offer).toMatchObject({
      voucherId: offerA,
      applicationId,
      issuerId: lenderA.uid,
      holderUid: borrower.uid,
      status: "offered",
      loan: { amount: LOAN, currency: "EUR" },
      interest: { nominalRate: 0.032, statedEffectiveRate: 0.0327, fixedYears: 15 },
      fees: { processingFee: 60_000, valuationFee: 30_000, total: 90_000 },
      figures: { monthlyPayment: { amount: 156_000, currency: "EUR" } },
    });
    // APRC with the 900.00 fees paid at the payout: 3.2678 % (to the nearest ppm either side).
    expect(a.offer.interest.effectiveRatePercent).toMatch(/^3\.26[78]\d$/);
    expect(Math.abs(Math.round(a.offer.interest.effectiveRate * 1e6) - 32_678)).toBeLessThanOrEqual(1);

    const b = await ok("/api/mortgage/offer", {
      as: lenderB,
      body: { applicationId, interestRate: 0.031, monthlyPayment: 160_000 },
    });
    offerB = b.offerId as string;
    expect(b).toEqual({
      ok: true,
      offerId: offerB,
      offer: {
        offerId: offerB,
        applicationId,
        lenderUid: lenderB.uid,
        borrowerUid: borrower.uid,
        interestRate: 0.031,
        monthlyPayment: 160_000,
        status: "offered",
        createdAt: expect.any(String),
      },
    });

    const ids = (offers: Json[]) => offers.map((o) => o.voucherId ?? o.offerId).sort();
    const forBorrower = await ok(`/api/hypotheken/angebot/list?applicationId=${applicationId}`, { as: borrower });
    expect(ids(forBorrower.offers)).toEqual([offerA, offerB].sort());
    const forLenderA = await ok(`/api/hypotheken/angebot/list?applicationId=${applicationId}`, { as: lenderA });
    expect(ids(forLenderA.offers)).toEqual([offerA]);
    const legacyList = await ok("/api/mortgage/offer-list?role=borrower", { as: borrower });
    expect(legacyList.offers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ offerId: offerA, lenderUid: lenderA.uid, interestRate: 0.032, monthlyPayment: 156_000 }),
        expect.objectContaining({ offerId: offerB, lenderUid: lenderB.uid, interestRate: 0.031, monthlyPayment: 160_000 }),
      ]),
    );
    expect(legacyList.offers).toHaveLength(2);

    const app = await ok(`/api/hypotheken/anfrage/${applicationId}`, { as: borrower });
    expect(app.application.status).toBe("offered");

    const plan = await ok(`/api/hypotheken/angebot/${offerA}/plan`, { as: borrower });
    expect(plan).toMatchObject({ ok: true, voucherId: offerA, currency: "EUR", monthlyPayment: 156_000 });
    const rows = plan.rows as Array<{ month: number; payment: number; interest: number; principal: number; balance: number }>;
    expect(rows[0]).toEqual({ month: 1, payment: 156_000, interest: 96_000, principal: 60_000, balance: 35_940_000 });
    expect(rows.at(-1)?.balance).toBe(0);
    expect(plan.totals.principal).toBe(LOAN);
    // The plan is for the offer's parties only.
    await expectStatus(404, `/api/hypotheken/angebot/${offerA}/plan`, { as: lenderB });
  });

  it("4. the borrower accepts one offer: contract drafted, the other offer declined", async () => {
    // Only the borrower accepts.
    await expectStatus(403, "/api/hypotheken/angebot/accept", { as: lenderA, body: { voucherId: offerA } });
    const acc = await ok("/api/hypotheken/angebot/accept", {
      as: borrower,
      body: { voucherId: offerA, notaryUid: notary.uid },
    });
    contractId = acc.contractVoucherId as string;
    expect(acc).toMatchObject({
      ok: true,
      contract: {
        voucherId: contractId,
        applicationId,
        offerVoucherId: offerA,
        lenderId: lenderA.uid,
        borrowerUid: borrower.uid,
        notaryUid: notary.uid,
        loan: { amount: LOAN, currency: "EUR" },
        status: "draft",
      },
      offer: { voucherId: offerA, status: "accepted" },
    });
    const other = await ok(`/api/hypotheken/angebot/${offerB}`, { as: borrower });
    expect(other.offer.status).toBe("declined");
    const app = await ok(`/api/hypotheken/anfrage/${applicationId}`, { as: borrower });
    expect(app.application).toMatchObject({ status: "accepted", acceptedOfferId: offerA });
    // The declined offer cannot be accepted any more.
    const again = await send("/api/hypotheken/angebot/accept", { as: borrower, body: { voucherId: offerB } });
    expect([again.status, again.body.code], again.text).toEqual([409, "invalid_transition"]);
  });

  it("5. borrower, lender and notary sign: the contract is signed and the lender owes 0.5 % of the loan", async () => {
    const sign = (who: Who, action: string) =>
      ok("/api/hypotheken/vertrag/update-status", { as: who, body: { contractVoucherId: contractId, action } });
    // The notary signs last.
    const early = await send("/api/hypotheken/vertrag/update-status", {
      as: notary,
      body: { contractVoucherId: contractId, action: "signed-by-notary" },
    });
    expect([early.status, early.body.code], early.text).toEqual([409, "invalid_transition"]);

    expect((await sign(borrower, "signed-by-borrower")).contract).toMatchObject({ status: "draft", signedByBorrower: true });
    expect((await sign(lenderA, "signed-by-lender")).contract).toMatchObject({ status: "pending-notary", signedByLender: true });
    const done = await sign(notary, "signed-by-notary");
    expect(done.contract).toMatchObject({
      voucherId: contractId,
      status: "signed",
      signedByBorrower: true,
      signedByLender: true,
      signedByNotary: true,
      signatures: {
        borrower: { uid: borrower.uid },
        lender: { uid: lenderA.uid },
        notary: { uid: notary.uid },
      },
    });
    signedAt = done.contract.signatures.notary.at as string;
    // A repeated signature writes nothing.
    expect(await sign(notary, "signed-by-notary")).toMatchObject({ alreadySigned: true, contract: { status: "signed" } });

    const events = await ok(`/api/admin/events?subject_id=${encodeURIComponent(contractId)}&limit=100`, { as: admin });
    const signs = (events.items as Json[]).filter((e) => e.type === "mortgage.sign").map((e) => e.meta.action);
    expect(signs.sort()).toEqual(["signed-by-borrower", "signed-by-lender", "signed-by-notary"]);

    // The contract fee event, written in the notary's batch (read the way the voucher smoke test reads its fee).
    const fees = await testEnv.DB.prepare("SELECT fee_id, kind, amount, currency, payer_uid FROM fee_events WHERE subject_id = ?")
      .bind(contractId)
      .all();
    expect(fees.results).toEqual([
      { fee_id: "mortgage.contract", kind: "charge", amount: 180_000, currency: "EUR", payer_uid: lenderA.uid },
    ]);
  });

  it("6. the lender issues a tranche, an investor subscribes: the lender owes 0.2 % of the nominal", async () => {
    const issued = await ok("/api/hypotheken/tranche/issue", {
      as: lenderA,
      body: {
        contractVoucherId: contractId,
        nominalAmount: { amount: TRANCHE_NOMINAL, currency: "EUR" },
        expectedYield: "0.0285",
        riskClass: "A",
        durationYears: 10,
      },
    });
    trancheId = issued.voucherId as string;
    expect(issued.tranche).toMatchObject({
      voucherId: trancheId,
      contractVoucherId: contractId,
      underlyingOfferId: offerA,
      issuerId: lenderA.uid,
      holderUid: null,
      status: "offered",
      nominalAmount: { amount: TRANCHE_NOMINAL, currency: "EUR" },
      expectedYield: 0.0285,
    });
    const open = await ok("/api/hypotheken/tranche/list?scope=open", { as: investor });
    expect((open.tranches as Json[]).map((t) => t.voucherId)).toContain(trancheId);
    // The lender cannot subscribe to its own tranche.
    await expectStatus(403, "/api/hypotheken/tranche/subscribe", { as: lenderA, body: { voucherId: trancheId } });

    const sub = await ok("/api/hypotheken/tranche/subscribe", { as: investor, body: { voucherId: trancheId } });
    expect(sub).toMatchObject({ ok: true, alreadySubscribed: false, tranche: { status: "subscribed", holderUid: investor.uid } });
    subscribedAt = sub.tranche.subscribedAt as string;
    const contract = await ok(`/api/hypotheken/vertrag/${contractId}`, { as: lenderA });
    expect(contract.contract.tranchedAmount).toEqual({ amount: TRANCHE_NOMINAL, currency: "EUR" });

    const fees = await testEnv.DB.prepare("SELECT fee_id, kind, amount, currency, payer_uid FROM fee_events WHERE subject_id = ?")
      .bind(trancheId)
      .all();
    expect(fees.results).toEqual([
      { fee_id: "mortgage.tranche", kind: "charge", amount: 20_000, currency: "EUR", payer_uid: lenderA.uid },
    ]);
  });

  it("7. a settlement run settles both mortgage fees for the lender; the stats show the pipeline", async () => {
    // A period must have ended: it runs up to now, from before the flow began.
    const to = Date.now();
    const run = await ok("/api/admin/settlements/run", { as: admin, body: { from: iso(startedAt - 1000), to: iso(to) } });
    expect(run.run).toMatchObject({ status: "done" });

    const list = await ok(`/api/admin/settlements?payer=${encodeURIComponent(lenderA.uid)}`, { as: admin });
    const items = list.items as Json[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      payerUid: lenderA.uid,
      currency: "EUR",
      totalAmount: "200000",
      itemCount: 2,
      status: "open",
    });
    const detail = await ok(`/api/admin/settlements/${encodeURIComponent(items[0]?.id)}`, { as: admin });
    const feeEvents = (detail.feeEvents as Json[]).map((f) => [f.feeId, f.subjectId, f.amount, f.payerUid]);
    expect(feeEvents.sort()).toEqual(
      [
        ["mortgage.contract", contractId, 180_000, lenderA.uid],
        ["mortgage.tranche", trancheId, 20_000, lenderA.uid],
      ].sort(),
    );
    // Borrower and investor never pay.
    for (const who of [borrower, investor]) {
      const none = await ok(`/api/admin/settlements?payer=${encodeURIComponent(who.uid)}`, { as: admin });
      expect(none.items).toEqual([]);
    }

    const after = await eurTotals();
    const baseline = (stage: keyof StageTotals) => ({
      count: statsBefore?.[stage].count ?? 0,
      volume: BigInt(statsBefore?.[stage].volume ?? "0"),
    });
    const delta = (stage: keyof StageTotals) => ({
      count: (after?.[stage].count ?? 0) - baseline(stage).count,
      volume: (BigInt(after?.[stage].volume ?? "0") - baseline(stage).volume).toString(),
    });
    expect({
      applications: delta("applications"),
      offers: delta("offers"),
      accepted: delta("accepted"),
      signed: delta("signed"),
      tranchesPlaced: delta("tranchesPlaced"),
    }).toEqual({
      applications: { count: 2, volume: String(2 * LOAN) },
      offers: { count: 2, volume: String(2 * LOAN) },
      accepted: { count: 1, volume: String(LOAN) },
      signed: { count: 1, volume: String(LOAN) },
      tranchesPlaced: { count: 1, volume: String(TRANCHE_NOMINAL) },
    });
    // Per UTC day: the signature and the placement count on the day they happened.
    const stats = await ok(`/api/admin/stats/mortgage?from=${window.from}&to=${window.to}`, { as: admin });
    const onDay = (body: Json | undefined, at: string, stage: keyof StageTotals) =>
      (body?.days as Json[] | undefined)?.find((d) => d.day === at.slice(0, 10) && d.currency === "EUR")?.[stage].count ?? 0;
    expect(onDay(stats, signedAt, "signed") - onDay(statsBeforeBody, signedAt, "signed")).toBe(1);
    expect(onDay(stats, subscribedAt, "tranchesPlaced") - onDay(statsBeforeBody, subscribedAt, "tranchesPlaced")).toBe(1);
  });

  it("8. the contract's room gives its parties a ticket and a stranger 403", async () => {
    const roomId = encodeURIComponent(`mortgage:contract:${contractId}`);
    for (const who of [borrower, lenderA, notary]) {
      const t = await ok(`/api/rooms/${roomId}/ticket`, { as: who, body: {} });
      expect(t).toMatchObject({ ok: true, ticket: expect.any(String) });
    }
    for (const who of [stranger, lenderB, investor]) {
      const r = await send(`/api/rooms/${roomId}/ticket`, { as: who, body: {} });
      expect([r.status, r.body.code], `${who.uid}: ${r.text}`).toEqual([403, "not_allowed"]);
    }
  });
});
