/**
 * Accepting a mortgage offer: one batch turns the offer `accepted`, declines the application's
 * other open offers, accepts the application and drafts the contract. Success and every refusal,
 * checked on the rows left in D1, and the races: 20 accepts of 20 offers on one application, and
 * 20 accepts of one offer (without and with one Idempotency-Key) — exactly one contract, one event.
 */
import { describe, expect, it } from "vitest";
import { call, login, newUid } from "../support/client";
import { enter, wsPath } from "../support/sockets";
import { grantRole, insertApplication, insertOffer } from "../support/mortgage-kit";
import { type Who, count, eventsOfRequest, newRequestId, post, row, rows } from "../support/voucher-kit";

const ACCEPT = "/api/hypotheken/angebot/accept";
const N = 20;

type Res = { status: number; body: Record<string, any> };

function expectError(res: Res, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.ok).toBe(false);
  expect(res.body.code).toBe(code);
}

function tally(results: Res[]) {
  const byKey = new Map<string, number>();
  for (const r of results) {
    const key = r.status === 200 ? "200" : `${r.status} ${r.body.code}`;
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
  return Object.fromEntries(byKey);
}

async function withRole(role: "lender" | "notary"): Promise<Who> {
  const who = await login();
  await grantRole(who.uid, role);
  return who;
}

/** A borrower's application with `offers` open offers, each from its own lender. */
async function applicationWithOffers(offers = 2, over: Parameters<typeof insertApplication>[1] = {}) {
  const borrower = await login();
  const app = await insertApplication(borrower.uid, { status: "offered", ...over });
  const lenders = await Promise.all(Array.from({ length: offers }, () => withRole("lender")));
  const offerIds = await Promise.all(lenders.map((l) => insertOffer({ id: app.id, borrowerUid: borrower.uid }, l.uid)));
  return { borrower, appId: app.id, lenders, offerIds };
}

const accept = (who: Who, voucherId: string, extra: Record<string, unknown> = {}, opts: Parameters<typeof post>[3] = {}) =>
  post(ACCEPT, who, { voucherId, ...extra }, opts);

const offerStatuses = async (appId: string) =>
  Object.fromEntries(
    (await rows<{ id: string; status: string }>("SELECT id, status FROM mortgage_offers WHERE application_id = ?", appId)).map(
      (r) => [r.id, r.status],
    ),
  );
const contractsOf = (appId: string) => rows("SELECT * FROM mortgage_contracts WHERE application_id = ?", appId);
const acceptEvents = (offerIds: string[]) =>
  rows(
    `SELECT * FROM events WHERE type = 'mortgage.accept' AND subject_id IN (${offerIds.map(() => "?").join(", ")})`,
    ...offerIds,
  );

/** Nothing of an accept is left behind: offers, application and contracts as before. */
async function expectUntouched(appId: string, offerIds: string[]) {
  expect(Object.values(await offerStatuses(appId)).every((s) => s === "offered")).toBe(true);
  expect(await row("SELECT status, accepted_offer_id FROM mortgage_applications WHERE id = ?", appId)).toEqual({
    status: "offered",
    accepted_offer_id: null,
  });
  expect(await contractsOf(appId)).toHaveLength(0);
  expect(await acceptEvents(offerIds)).toHaveLength(0);
}

describe("POST /api/hypotheken/angebot/accept", () => {
  it("accepts: offer accepted, the other offers declined, application accepted, contract drafted, one event", async () => {
    const { borrower, appId, lenders, offerIds } = await applicationWithOffers(3);
    const [chosen, ...others] = offerIds as [string, ...string[]];
    const requestId = newRequestId();
    const res = await accept(borrower, chosen, {}, { requestId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const contractId = res.body.contractVoucherId as string;
    expect(contractId).toMatch(/^mort-contract-/);
    expect(res.body.contract).toMatchObject({
      voucherId: contractId,
      type: "mortgage-contract",
      applicationId: appId,
      offerVoucherId: chosen,
      lenderId: lenders[0]?.uid,
      borrowerUid: borrower.uid,
      notaryUid: null,
      loan: { amount: 36_000_000, currency: "EUR" },
      status: "draft",
      signedByBorrower: false,
      signedByLender: false,
      signedByNotary: false,
      roomRefs: { contractRoomId: `mortgage:contract:${contractId}` },
    });
    expect(res.body.offer).toMatchObject({
      voucherId: chosen,
      status: "accepted",
      roomRefs: { negotiationRoomId: `mortgage:offer:${chosen}`, contractRoomId: `mortgage:contract:${contractId}` },
    });
    const statuses = await offerStatuses(appId);
    expect(statuses[chosen]).toBe("accepted");
    for (const id of others) expect(statuses[id]).toBe("declined");
    expect(await row("SELECT status, accepted_offer_id FROM mortgage_applications WHERE id = ?", appId)).toEqual({
      status: "accepted",
      accepted_offer_id: chosen,
    });
    const contracts = await contractsOf(appId);
    expect(contracts).toHaveLength(1);
    expect(contracts[0]).toMatchObject({
      id: contractId,
      offer_id: chosen,
      lender_uid: lenders[0]?.uid,
      borrower_uid: borrower.uid,
      loan_amount: 36_000_000,
      currency: "EUR",
      status: "draft",
      tranched_amount: 0,
    });
    const events = await eventsOfRequest(requestId);
    expect(events.map((e) => [e.type, e.subject_type, e.subject_id, e.actor_uid])).toEqual([
      ["mortgage.accept", "mortgage_offer", chosen, borrower.uid],
    ]);
    expect(JSON.parse(events[0]?.meta as string)).toEqual({ contractId, notaryUid: null });
    // Accepting charges no one: the contract fee comes with the notary's signature.
    expect(await count("fee_events", "subject_id IN (?, ?)", contractId, chosen)).toBe(0);
    // The offer now reads as accepted, with its contract's room.
    const read = await call(`/api/hypotheken/angebot/${chosen}`, { session: borrower.session });
    expect(((await read.json()) as Res["body"]).offer.roomRefs.contractRoomId).toBe(`mortgage:contract:${contractId}`);
  });

  it("names a notary on the contract when the uid holds the notary role", async () => {
    const { borrower, appId, offerIds } = await applicationWithOffers(1);
    const notary = await withRole("notary");
    const res = await accept(borrower, offerIds[0] as string, { notaryUid: notary.uid });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.contract.notaryUid).toBe(notary.uid);
    expect((await contractsOf(appId))[0]?.notary_uid).toBe(notary.uid);
  });

  it("refuses a notaryUid that is no notary, or a party, and writes nothing", async () => {
    const { borrower, appId, lenders, offerIds } = await applicationWithOffers(1);
    const id = offerIds[0] as string;
    const plain = await login();
    expectError(await accept(borrower, id, { notaryUid: plain.uid }), 400, "invalid_notary");
    const lender = lenders[0] as Who;
    await grantRole(lender.uid, "notary");
    expectError(await accept(borrower, id, { notaryUid: lender.uid }), 400, "invalid_notary");
    await expectUntouched(appId, offerIds);
  });

  it("only the borrower may accept: the lender gets 403, anyone else 404", async () => {
    const { appId, lenders, offerIds } = await applicationWithOffers(2);
    const id = offerIds[0] as string;
    expectError(await accept(lenders[0] as Who, id), 403, "not_borrower");
    expectError(await accept(lenders[1] as Who, id), 404, "offer_not_found");
    expectError(await accept(await login(), id), 404, "offer_not_found");
    expectError(await accept(await login(), `mort-offer-${newUid()}`), 404, "offer_not_found");
    await expectUntouched(appId, offerIds);
  });

  it("refuses malformed bodies and anonymous callers", async () => {
    const { borrower, appId, offerIds } = await applicationWithOffers(1);
    const id = offerIds[0] as string;
    expectError(await accept(borrower, id, { extra: true }), 400, "validation_failed");
    expectError(await post(ACCEPT, borrower, { voucherId: 42 }), 400, "validation_failed");
    expectError(await post(ACCEPT, borrower, {}), 400, "validation_failed");
    const raw = await call(ACCEPT, { session: borrower.session, raw: "{", headers: { "content-type": "application/json" } });
    expect(raw.status).toBe(400);
    expectError(await accept({ uid: "x", session: "" } as Who, id), 401, "unauthenticated");
    await expectUntouched(appId, offerIds);
  });

  it("an offer past validUntil, or swept to expired, is 409 offer_expired", async () => {
    const borrower = await login();
    const app = await insertApplication(borrower.uid, { status: "offered" });
    const bank = await withRole("lender");
    const late = await insertOffer({ id: app.id, borrowerUid: borrower.uid }, bank.uid, { validUntil: Date.now() - 1 });
    const swept = await insertOffer({ id: app.id, borrowerUid: borrower.uid }, bank.uid, { status: "expired" });
    const res = await accept(borrower, late);
    expectError(res, 409, "offer_expired");
    expect(res.body.details.validUntil).toEqual(expect.any(String));
    expectError(await accept(borrower, swept), 409, "offer_expired");
    expect(await contractsOf(app.id)).toHaveLength(0);
  });

  it("a declined, withdrawn or already accepted offer is 409 invalid_transition {from, to}", async () => {
    const { borrower, lenders, offerIds } = await applicationWithOffers(2);
    const [a, b] = offerIds as [string, string];
    expect((await accept(borrower, a)).status).toBe(200);
    const again = await accept(borrower, a);
    expectError(again, 409, "invalid_transition");
    expect(again.body.details).toEqual({ from: "accepted", to: "accepted" });
    const declined = await accept(borrower, b);
    expectError(declined, 409, "invalid_transition");
    expect(declined.body.details).toEqual({ from: "declined", to: "accepted" });

    const other = await applicationWithOffers(1);
    const withdrawn = other.offerIds[0] as string;
    expect((await post("/api/hypotheken/angebot/withdraw", other.lenders[0] as Who, { voucherId: withdrawn })).status).toBe(200);
    const res = await accept(other.borrower, withdrawn);
    expectError(res, 409, "invalid_transition");
    expect(res.body.details).toEqual({ from: "withdrawn", to: "accepted" });
    // An accepted offer can no longer be withdrawn by its lender.
    const late = await post("/api/hypotheken/angebot/withdraw", lenders[0] as Who, { voucherId: a });
    expectError(late, 409, "invalid_transition");
    expect(late.body.details).toEqual({ from: "accepted", to: "withdrawn" });
  });

  it("an open offer on a withdrawn application is refused with the application's state", async () => {
    const { borrower, appId, offerIds } = await applicationWithOffers(1, { status: "withdrawn" });
    const res = await accept(borrower, offerIds[0] as string);
    expectError(res, 409, "invalid_transition");
    expect(res.body.details).toEqual({ from: "withdrawn", to: "accepted" });
    expect(await contractsOf(appId)).toHaveLength(0);
  });

  it("an Idempotency-Key retry answers the same: one contract, one event", async () => {
    const { borrower, appId, offerIds } = await applicationWithOffers(2);
    const headers = { "idempotency-key": `k-${newUid()}` };
    const first = await accept(borrower, offerIds[0] as string, {}, { headers });
    const second = await accept(borrower, offerIds[0] as string, {}, { headers });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await contractsOf(appId)).toHaveLength(1);
    expect((await contractsOf(appId))[0]?.id).toBe(first.body.contractVoucherId);
    expect(await acceptEvents(offerIds)).toHaveLength(1);
    // A keyed refusal is stored too.
    const k2 = { "idempotency-key": `k-${newUid()}` };
    const r1 = await accept(borrower, offerIds[1] as string, {}, { headers: k2 });
    const r2 = await accept(borrower, offerIds[1] as string, {}, { headers: k2 });
    expectError(r1, 409, "invalid_transition");
    expect(r2.body).toEqual(r1.body);
  });
});

describe("accept races", () => {
  it(`${N} concurrent accepts of ${N} offers on one application → exactly one wins`, async () => {
    const { borrower, appId, offerIds } = await applicationWithOffers(N);
    const results = await Promise.all(offerIds.map((id) => accept(borrower, id)));
    expect(tally(results)).toEqual({ "200": 1, "409 invalid_transition": N - 1 });
    const winnerIndex = results.findIndex((r) => r.status === 200);
    const winner = offerIds[winnerIndex] as string;
    for (const r of results.filter((x) => x.status !== 200)) expect(r.body.details).toEqual({ from: "declined", to: "accepted" });
    const statuses = await offerStatuses(appId);
    expect(Object.entries(statuses).filter(([, s]) => s === "accepted")).toEqual([[winner, "accepted"]]);
    expect(Object.values(statuses).filter((s) => s === "declined")).toHaveLength(N - 1);
    expect(await row("SELECT status, accepted_offer_id FROM mortgage_applications WHERE id = ?", appId)).toEqual({
      status: "accepted",
      accepted_offer_id: winner,
    });
    const contracts = await contractsOf(appId);
    expect(contracts).toHaveLength(1);
    expect(contracts[0]).toMatchObject({ id: results[winnerIndex]?.body.contractVoucherId, offer_id: winner });
    expect(await acceptEvents(offerIds)).toHaveLength(1);
  });

  it(`${N} concurrent accepts of one offer → one contract, one event, the rest 409`, async () => {
    const { borrower, appId, offerIds } = await applicationWithOffers(2);
    const id = offerIds[0] as string;
    const results = await Promise.all(Array.from({ length: N }, () => accept(borrower, id)));
    expect(tally(results)).toEqual({ "200": 1, "409 invalid_transition": N - 1 });
    for (const r of results.filter((x) => x.status !== 200)) expect(r.body.details).toEqual({ from: "accepted", to: "accepted" });
    expect(await contractsOf(appId)).toHaveLength(1);
    expect(await acceptEvents(offerIds)).toHaveLength(1);
    expect((await offerStatuses(appId))[offerIds[1] as string]).toBe("declined");
  });

  it(`${N} concurrent accepts of one offer with one Idempotency-Key → the same answer or in-flight, one contract`, async () => {
    const { borrower, appId, offerIds } = await applicationWithOffers(1);
    const headers = { "idempotency-key": `k-${newUid()}` };
    const results = await Promise.all(Array.from({ length: N }, () => accept(borrower, offerIds[0] as string, {}, { headers })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    for (const r of winners) expect(r.body).toEqual(winners[0]?.body);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, "idempotency_request_in_flight");
    const contracts = await contractsOf(appId);
    expect(contracts).toHaveLength(1);
    expect(contracts[0]?.id).toBe(winners[0]?.body.contractVoucherId);
    expect(await acceptEvents(offerIds)).toHaveLength(1);
  });
});

describe("pushed into the rooms", () => {
  it("an offer, a withdrawal and an accept reach the rooms their parties have entered", async () => {
    const borrower = await login();
    const app = await insertApplication(borrower.uid);
    const appRoom = await enter(wsPath(`mortgage:application:${app.id}`), borrower.session);
    const bank = await withRole("lender");
    const other = await withRole("lender");

    const made = await post("/api/hypotheken/angebot", bank, {
      applicationId: app.id,
      loan: { amount: 36_000_000, currency: "EUR" },
      interest: { nominalRate: 0.032, fixedYears: 15 },
      repayment: { initialRate: 0.02 },
      validity: { validUntil: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const offerId = made.body.voucherId as string;
    const offered = await appRoom.next((f) => f.type === "event" && f.eventType === "mortgage.offer");
    expect(offered.data).toEqual({ offerId, applicationId: app.id, status: "offered" });
    expect((await row("SELECT type FROM events WHERE id = ?", offered.eventId))?.type).toBe("mortgage.offer");

    const doomed = await insertOffer({ id: app.id, borrowerUid: borrower.uid }, other.uid);
    expect((await post("/api/hypotheken/angebot/withdraw", other, { voucherId: doomed })).status).toBe(200);
    const withdrawn = await appRoom.next((f) => f.type === "event" && f.eventType === "mortgage.offer.withdraw");
    expect(withdrawn.data).toEqual({ offerId: doomed, status: "withdrawn" });

    const offerRoom = await enter(wsPath(`mortgage:offer:${offerId}`), bank.session);
    const res = await accept(borrower, offerId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const want = { offerId, contractId: res.body.contractVoucherId, status: "accepted" };
    const inApp = await appRoom.next((f) => f.type === "event" && f.eventType === "mortgage.accept");
    const inOffer = await offerRoom.next((f) => f.type === "event" && f.eventType === "mortgage.accept");
    expect(inApp.data).toEqual(want);
    expect(inOffer.eventId).toBe(inApp.eventId);
    expect(await row("SELECT type, subject_id FROM events WHERE id = ?", inApp.eventId)).toEqual({
      type: "mortgage.accept",
      subject_id: offerId,
    });
    appRoom.ws.close();
    offerRoom.ws.close();
  });
});
