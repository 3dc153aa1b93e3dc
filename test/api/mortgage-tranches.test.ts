/**
 * Investor tranches of a signed contract: issue (the nominal sum never passes the loan, enforced
 * by a constraint even under races), the open market and one's own list, subscribe (exactly one
 * investor wins, the lender pays the `mortgage.tranche` fee once) and cancel. Contracts come from
 * fixtures, so this file does not depend on the offer routes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quoteFee } from "../../src/fees/fees";
import { login, testEnv } from "../support/client";
import { grantRole, insertContract } from "../support/mortgage-kit";
import { type Who, count, eventsOf, eventsOfRequest, get, newRequestId, post, row, rows } from "../support/voucher-kit";

const ISSUE = "/api/hypotheken/tranche/issue";
const SUBSCRIBE = "/api/hypotheken/tranche/subscribe";
const CANCEL = "/api/hypotheken/tranche/cancel";
const LIST = "/api/hypotheken/tranche/list";
const PLATFORM_ID = "platform:together-systems";
const DAY = 86_400_000;

type Res = { status: number; body: Record<string, any>; headers: Headers };

async function withRole(role: "lender" | "notary"): Promise<Who> {
  const who = await login();
  await grantRole(who.uid, role);
  return who;
}

/** A signed contract between a fresh borrower and lender (loan 36 000 000 EUR unless given). */
async function signedContract(loan?: number, status: "signed" | "draft" = "signed") {
  const [b, l, n] = await Promise.all([login(), withRole("lender"), withRole("notary")]);
  const k = await insertContract(b.uid, l.uid, { status, notaryUid: n.uid, ...(loan ? { loan } : {}) });
  return { b, l, n, id: k.id, offerId: k.offerId };
}

function issue(who: Who, body: Record<string, unknown>, opts: Parameters<typeof post>[3] = {}) {
  return post(
    ISSUE,
    who,
    { nominalAmount: { amount: 1_000_000, currency: "EUR" }, expectedYield: 0.028, riskClass: "A", durationYears: 10, ...body },
    opts,
  ) as Promise<Res>;
}

const subscribe = (who: Who, voucherId: string, opts: Parameters<typeof post>[3] = {}) =>
  post(SUBSCRIBE, who, { voucherId }, opts) as Promise<Res>;
const cancel = (who: Who, voucherId: string, opts: Parameters<typeof post>[3] = {}) =>
  post(CANCEL, who, { voucherId }, opts) as Promise<Res>;

const tranched = async (contractId: string) =>
  (await row<{ tranched_amount: number }>("SELECT tranched_amount FROM mortgage_contracts WHERE id = ?", contractId))
    ?.tranched_amount;
const trancheRow = (id: string) => row("SELECT * FROM mortgage_tranches WHERE id = ?", id);
const feeRows = (id: string) => rows("SELECT * FROM fee_events WHERE subject_type = 'mortgage_tranche' AND subject_id = ?", id);

async function expectRefused(res: Res, status: number, code: string, requestId?: string) {
  expect([res.status, res.body.code]).toEqual([status, code]);
  if (requestId) expect(await eventsOfRequest(requestId)).toEqual([]);
}

function tally(results: Res[]) {
  const by: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 200 ? "200" : `${r.status} ${r.body.code}`;
    by[key] = (by[key] ?? 0) + 1;
  }
  return by;
}

/** An open tranche of a fresh signed contract. */
async function openTranche(nominal = 1_000_000) {
  const k = await signedContract();
  const res = await issue(k.l, { contractVoucherId: k.id, nominalAmount: { amount: nominal, currency: "EUR" } });
  expect(res.status).toBe(200);
  return { ...k, trancheId: res.body.voucherId as string, tranche: res.body.tranche };
}

describe("issue", () => {
  it("the lender of a signed contract issues a tranche: row, tranched sum, one event, exact yield", async () => {
    const { l, id, offerId } = await signedContract();
    const rid = newRequestId();
    const res = await issue(l, { contractVoucherId: id, expectedYield: "0.0285", riskClass: "BBB+" }, { requestId: rid });
    expect(res.status).toBe(200);
    const t = res.body.tranche;
    expect(t).toMatchObject({
      voucherId: res.body.voucherId,
      type: "mortgage-tranche",
      contractVoucherId: id,
      underlyingOfferId: offerId,
      issuerId: l.uid,
      holderUid: null,
      status: "offered",
      nominalAmount: { amount: 1_000_000, currency: "EUR" },
      expectedYield: 0.0285,
      riskClass: "BBB+",
      durationYears: 10,
      roomRefs: { investorRoomId: `mortgage:tranche:${res.body.voucherId}` },
    });
    expect(res.body.voucherId).toMatch(/^mort-tranche-/);
    expect(Date.parse(t.validity.validUntil) - Date.parse(t.validity.validFrom)).toBe(30 * DAY);
    expect(await trancheRow(res.body.voucherId)).toMatchObject({ expected_yield_ppm: 28_500, status: "offered" });
    expect(await tranched(id)).toBe(1_000_000);
    const evs = await eventsOfRequest(rid);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({
      type: "mortgage.tranche.issue",
      actor_uid: l.uid,
      subject_type: "mortgage_tranche",
      subject_id: res.body.voucherId,
    });
    expect(JSON.parse(evs[0]?.meta)).toEqual({ contractVoucherId: id, nominalAmount: 1_000_000, currency: "EUR" });
    // Issuing is not charged; subscribing is.
    expect(await feeRows(res.body.voucherId)).toEqual([]);
  });

  it("names the contract by its underlying offer too, with a chosen id and validity", async () => {
    const { l, id, offerId } = await signedContract();
    const voucherId = `mort-tranche-${offerId}-A`;
    const validUntil = new Date(Date.now() + 10 * DAY).toISOString();
    const res = await issue(l, {
      underlyingOfferId: offerId,
      voucherId,
      issuerId: l.uid,
      type: "mortgage-tranche",
      validity: { validUntil },
    });
    expect(res.status).toBe(200);
    expect(res.body.tranche).toMatchObject({ voucherId, contractVoucherId: id, validity: { validUntil } });
    const taken = await issue(l, { underlyingOfferId: offerId, voucherId });
    await expectRefused(taken, 409, "tranche_exists");
    expect(await tranched(id)).toBe(1_000_000);
    // Both names given must agree.
    const other = await signedContract();
    await expectRefused(await issue(l, { underlyingOfferId: offerId, contractVoucherId: other.id }), 404, "contract_not_found");
  });

  it("tranches never exceed the loan; a cancelled tranche frees its nominal", async () => {
    const { l, id } = await signedContract(1_000_000);
    const first = await issue(l, { contractVoucherId: id, nominalAmount: { amount: 600_000, currency: "EUR" } });
    expect(first.status).toBe(200);
    const rid = newRequestId();
    const over = await issue(
      l,
      { contractVoucherId: id, nominalAmount: { amount: 500_000, currency: "EUR" } },
      { requestId: rid },
    );
    await expectRefused(over, 409, "tranche_exceeds_loan", rid);
    expect(over.body.details).toEqual({ loan: 1_000_000, tranched: 600_000, requested: 500_000 });
    expect(await count("mortgage_tranches", "contract_id = ?", id)).toBe(1);
    const exact = await issue(l, { contractVoucherId: id, nominalAmount: { amount: 400_000, currency: "EUR" } });
    expect(exact.status).toBe(200);
    expect(await tranched(id)).toBe(1_000_000);
    expect((await cancel(l, first.body.voucherId)).status).toBe(200);
    expect(await tranched(id)).toBe(400_000);
    expect((await issue(l, { contractVoucherId: id, nominalAmount: { amount: 600_000, currency: "EUR" } })).status).toBe(200);
  });

  it("10 concurrent issues of 300 000 on a loan of 1 000 000: exactly 3 placed, the sum never passes the loan", async () => {
    const { l, id } = await signedContract(1_000_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => issue(l, { contractVoucherId: id, nominalAmount: { amount: 300_000, currency: "EUR" } })),
    );
    expect(tally(results)).toEqual({ "200": 3, "409 tranche_exceeds_loan": 7 });
    expect(await tranched(id)).toBe(900_000);
    const sum = await row<{ s: number }>("SELECT sum(nominal_amount) AS s FROM mortgage_tranches WHERE contract_id = ?", id);
    expect(sum?.s).toBe(900_000);
    expect(await eventsOf(id)).toEqual([]);
    expect(await count("events", "type = 'mortgage.tranche.issue' AND json_extract(meta, '$.contractVoucherId') = ?", id)).toBe(
      3,
    );
  });

  it("refuses: unsigned contract, not the lender, revoked role, stranger, currency, validity", async () => {
    const draft = await signedContract(undefined, "draft");
    const notSigned = await issue(draft.l, { contractVoucherId: draft.id });
    await expectRefused(notSigned, 409, "contract_not_signed");
    expect(notSigned.body.details).toEqual({ status: "draft" });

    const { b, l, n, id } = await signedContract();
    await expectRefused(await issue(b, { contractVoucherId: id }), 403, "not_lender");
    await expectRefused(await issue(n, { contractVoucherId: id }), 403, "not_lender");
    const stranger = await withRole("lender");
    await expectRefused(await issue(stranger, { contractVoucherId: id }), 404, "contract_not_found");
    await expectRefused(await issue(l, { contractVoucherId: "mort-contract-none" }), 404, "contract_not_found");
    await expectRefused(
      await issue(l, { contractVoucherId: id, nominalAmount: { amount: 1_000, currency: "USD" } }),
      400,
      "currency_mismatch",
    );
    const past = new Date(Date.now() - DAY).toISOString();
    await expectRefused(await issue(l, { contractVoucherId: id, validity: { validUntil: past } }), 400, "invalid_validity");
    const from = new Date(Date.now() + 5 * DAY).toISOString();
    const until = new Date(Date.now() + 4 * DAY).toISOString();
    await expectRefused(
      await issue(l, { contractVoucherId: id, validity: { validFrom: from, validUntil: until } }),
      400,
      "invalid_validity",
    );
    const far = new Date(Date.now() + 400 * DAY).toISOString();
    await expectRefused(await issue(l, { contractVoucherId: id, validity: { validUntil: far } }), 400, "invalid_validity");
    await expectRefused(await issue(l, { contractVoucherId: id, issuerId: b.uid }), 403, "uid_mismatch");

    await testEnv.DB.prepare("DELETE FROM party_roles WHERE uid = ? AND role = 'lender'").bind(l.uid).run();
    const rid = newRequestId();
    await expectRefused(await issue(l, { contractVoucherId: id }, { requestId: rid }), 403, "not_lender", rid);
    expect(await tranched(id)).toBe(0);
    expect(await count("mortgage_tranches", "contract_id = ?", id)).toBe(0);
  });

  it("refuses malformed input: unknown fields, zero nominal, inexact or negative rates, no contract named", async () => {
    const { l, id } = await signedContract();
    const bad: Record<string, unknown>[] = [
      { contractVoucherId: id, roomRefs: {} },
      { contractVoucherId: id, nominalAmount: { amount: 0, currency: "EUR" } },
      { contractVoucherId: id, nominalAmount: { amount: 1.5, currency: "EUR" } },
      { contractVoucherId: id, expectedYield: "0.0000001" },
      { contractVoucherId: id, expectedYield: -0.01 },
      { contractVoucherId: id, expectedYield: 2 },
      { contractVoucherId: id, riskClass: "not a class" },
      { contractVoucherId: id, durationYears: 41 },
      { contractVoucherId: id, type: "mortgage-offer" },
      {},
    ];
    for (const body of bad) await expectRefused(await issue(l, body), 400, "validation_failed");
    expect(await tranched(id)).toBe(0);
  });
});

describe("list", () => {
  it("open: offered tranches still valid, for any verified person; mine: issued or held", async () => {
    const a = await openTranche();
    const investor = await login();
    const open = await get(LIST, investor, { limit: 100 });
    expect(open.status).toBe(200);
    expect(open.body.tranches.map((t: { voucherId: string }) => t.voucherId)).toContain(a.trancheId);

    // An expired (not yet swept) tranche is not on the market.
    const late = await openTranche();
    await testEnv.DB.prepare("UPDATE mortgage_tranches SET valid_from = ?, valid_until = ? WHERE id = ?")
      .bind(Date.now() - 2 * DAY, Date.now() - DAY, late.trancheId)
      .run();
    const open2 = await get(LIST, investor, { scope: "open", limit: 100 });
    expect(open2.body.tranches.map((t: { voucherId: string }) => t.voucherId)).not.toContain(late.trancheId);

    expect((await subscribe(investor, a.trancheId)).status).toBe(200);
    const mine = await get(LIST, investor, { scope: "mine" });
    expect(mine.body.tranches.map((t: { voucherId: string }) => t.voucherId)).toEqual([a.trancheId]);
    const lenders = await get(LIST, a.l, { scope: "mine" });
    expect(lenders.body.tranches).toEqual([
      expect.objectContaining({ voucherId: a.trancheId, status: "subscribed", holderUid: investor.uid }),
    ]);
    const open3 = await get(LIST, investor, { limit: 100 });
    expect(open3.body.tranches.map((t: { voucherId: string }) => t.voucherId)).not.toContain(a.trancheId);
  });

  it("mine with role: only the tranches the caller issued, or only those it holds; role needs scope=mine", async () => {
    const a = await openTranche();
    const investor = await login();
    expect((await subscribe(investor, a.trancheId)).status).toBe(200);
    const ids = async (who: Who, role: string) =>
      (await get(LIST, who, { scope: "mine", role })).body.tranches.map((t: { voucherId: string }) => t.voucherId);
    expect(await ids(a.l, "issuer")).toEqual([a.trancheId]);
    expect(await ids(a.l, "holder")).toEqual([]);
    expect(await ids(investor, "holder")).toEqual([a.trancheId]);
    expect(await ids(investor, "issuer")).toEqual([]);
    const open = await get(LIST, investor, { role: "holder" });
    expect([open.status, open.body.code]).toEqual([400, "validation_failed"]);
    const junk = await get(LIST, investor, { scope: "mine", role: "notary" });
    expect([junk.status, junk.body.code]).toEqual([400, "validation_failed"]);
  });

  it("pages with a cursor and refuses bad query strings", async () => {
    const { l, id } = await signedContract();
    for (let i = 0; i < 3; i++) await issue(l, { contractVoucherId: id, nominalAmount: { amount: 1_000, currency: "EUR" } });
    const p1 = await get(LIST, l, { scope: "mine", limit: 2 });
    expect(p1.body.tranches).toHaveLength(2);
    const p2 = await get(LIST, l, { scope: "mine", limit: 2, cursor: p1.body.nextCursor });
    expect(p2.body.tranches).toHaveLength(1);
    expect(p2.body.nextCursor).toBeNull();
    const ids = [...p1.body.tranches, ...p2.body.tranches].map((t: { voucherId: string }) => t.voucherId);
    expect(new Set(ids).size).toBe(3);
    const bad = await get(LIST, l, { scope: "all" });
    expect([bad.status, bad.body.code]).toEqual([400, "validation_failed"]);
    const cur = await get(LIST, l, { cursor: "x" });
    expect([cur.status, cur.body.code]).toEqual([400, "invalid_cursor"]);
  });
});

describe("subscribe", () => {
  it("an investor takes the whole tranche: holder, one event, one fee of 0.2 % paid by the lender", async () => {
    const { l, b, trancheId } = await openTranche(1_000_000);
    const investor = await login();
    const rid = newRequestId();
    const res = await subscribe(investor, trancheId, { requestId: rid });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      alreadySubscribed: false,
      tranche: { status: "subscribed", holderUid: investor.uid },
    });
    expect(await trancheRow(trancheId)).toMatchObject({ status: "subscribed", holder_uid: investor.uid });
    const evs = await eventsOfRequest(rid);
    expect(evs.map((e) => [e.type, e.subject_id, e.actor_uid])).toEqual([
      ["mortgage.tranche.subscribe", trancheId, investor.uid],
    ]);
    const fees = await feeRows(trancheId);
    expect(fees).toHaveLength(1);
    expect(fees[0]).toMatchObject({
      kind: "charge",
      fee_id: "mortgage.tranche",
      amount: 2_000,
      base_amount: 1_000_000,
      rate_ppm: 2000,
      payer_uid: l.uid,
      beneficiary_id: PLATFORM_ID,
    });
    expect(await count("fee_events", "payer_uid IN (?, ?)", b.uid, investor.uid)).toBe(0);

    const again = await subscribe(investor, trancheId);
    expect(again.body).toMatchObject({ ok: true, alreadySubscribed: true, tranche: { holderUid: investor.uid } });
    expect(await eventsOf(trancheId, "mortgage.tranche.subscribe")).toHaveLength(1);
    expect(await feeRows(trancheId)).toHaveLength(1);
  });

  it(`20 investors subscribing to one tranche at once: exactly one wins, one event, one fee`, async () => {
    const { l, trancheId } = await openTranche();
    const investors = await Promise.all(Array.from({ length: 20 }, () => login()));
    const results = await Promise.all(investors.map((who) => subscribe(who, trancheId)));
    expect(tally(results)).toEqual({ "200": 1, "409 invalid_transition": 19 });
    for (const r of results.filter((x) => x.status !== 200))
      expect(r.body.details).toEqual({ from: "subscribed", to: "subscribed" });
    const winner = investors[results.findIndex((r) => r.status === 200)] as Who;
    expect(await trancheRow(trancheId)).toMatchObject({ status: "subscribed", holder_uid: winner.uid });
    expect(await eventsOf(trancheId, "mortgage.tranche.subscribe")).toHaveLength(1);
    const fees = await feeRows(trancheId);
    expect(fees).toHaveLength(1);
    expect(fees[0]?.payer_uid).toBe(l.uid);
  });

  it("the same investor with one Idempotency-Key, 5 times at once: one subscription, the same answer", async () => {
    const { trancheId } = await openTranche();
    const investor = await login();
    const headers = { "idempotency-key": `sub-${trancheId}` };
    const results = await Promise.all(Array.from({ length: 5 }, () => subscribe(investor, trancheId, { headers })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.status !== 200))
      expect([r.status, r.body.code]).toEqual([409, "idempotency_request_in_flight"]);
    for (const r of ok) expect(r.body).toEqual(ok[0]?.body);
    expect(ok[0]?.body.alreadySubscribed).toBe(false);
    const replay = await subscribe(investor, trancheId, { headers });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(ok[0]?.body);
    expect(await eventsOf(trancheId, "mortgage.tranche.subscribe")).toHaveLength(1);
    expect(await feeRows(trancheId)).toHaveLength(1);
  });

  it("refuses: the lender itself, unknown tranche, expired, not yet valid, cancelled", async () => {
    const { l, trancheId } = await openTranche();
    const investor = await login();
    const rid = newRequestId();
    await expectRefused(await subscribe(l, trancheId, { requestId: rid }), 403, "not_allowed", rid);
    await expectRefused(await subscribe(investor, "mort-tranche-none"), 404, "tranche_not_found");

    const setValidity = (id: string, from: number, until: number) =>
      testEnv.DB.prepare("UPDATE mortgage_tranches SET valid_from = ?, valid_until = ? WHERE id = ?").bind(from, until, id).run();
    await setValidity(trancheId, Date.now() - 2 * DAY, Date.now() - 1);
    await expectRefused(await subscribe(investor, trancheId), 409, "tranche_expired");
    await setValidity(trancheId, Date.now() + DAY, Date.now() + 2 * DAY);
    await expectRefused(await subscribe(investor, trancheId), 409, "tranche_not_yet_valid");
    await setValidity(trancheId, Date.now() - DAY, Date.now() + DAY);
    expect((await cancel(l, trancheId)).status).toBe(200);
    const res = await subscribe(investor, trancheId);
    expect([res.status, res.body.code, res.body.details]).toEqual([
      409,
      "invalid_transition",
      { from: "cancelled", to: "subscribed" },
    ]);
    expect(await feeRows(trancheId)).toEqual([]);
    expect(await trancheRow(trancheId)).toMatchObject({ status: "cancelled", holder_uid: null });
  });

  it("refuses malformed input", async () => {
    const investor = await login();
    for (const body of [{}, { voucherId: 1 }, { voucherId: "x", holderUid: investor.uid }, { voucherId: "a b" }]) {
      const res = (await post(SUBSCRIBE, investor, body)) as Res;
      expect([res.status, res.body.code]).toEqual([400, "validation_failed"]);
    }
  });
});

describe("cancel", () => {
  it("the lender cancels an open tranche: cancelled, nominal freed, one event", async () => {
    const { l, id, trancheId } = await openTranche(2_000_000);
    const rid = newRequestId();
    const res = await cancel(l, trancheId, { requestId: rid });
    expect(res.status).toBe(200);
    expect(res.body.tranche).toMatchObject({ voucherId: trancheId, status: "cancelled", holderUid: null });
    expect(await tranched(id)).toBe(0);
    expect((await eventsOfRequest(rid)).map((e) => e.type)).toEqual(["mortgage.tranche.cancel"]);
  });

  it("refuses: anyone but the lender (403 not_lender), a subscribed or cancelled tranche (409), unknown (404)", async () => {
    const { l, b, id, trancheId } = await openTranche();
    const investor = await login();
    await expectRefused(await cancel(investor, trancheId), 403, "not_lender");
    await expectRefused(await cancel(b, trancheId), 403, "not_lender");
    await subscribe(investor, trancheId);
    const rid = newRequestId();
    const res = await cancel(l, trancheId, { requestId: rid });
    expect([res.status, res.body.code, res.body.details]).toEqual([
      409,
      "invalid_transition",
      { from: "subscribed", to: "cancelled" },
    ]);
    expect(await eventsOfRequest(rid)).toEqual([]);
    expect(await tranched(id)).toBe(1_000_000);
    await expectRefused(await cancel(l, "mort-tranche-none"), 404, "tranche_not_found");
  });

  it("a cancel racing a subscribe: exactly one of them wins, and the tranched sum follows", async () => {
    for (let i = 0; i < 3; i++) {
      const { l, id, trancheId } = await openTranche();
      const investor = await login();
      const [c, s] = await Promise.all([cancel(l, trancheId), subscribe(investor, trancheId)]);
      expect([c.status, s.status].filter((x) => x === 200)).toHaveLength(1);
      const t = await trancheRow(trancheId);
      expect(await tranched(id)).toBe(t?.status === "cancelled" ? 0 : 1_000_000);
      expect(await feeRows(trancheId)).toHaveLength(t?.status === "subscribed" ? 1 : 0);
    }
  });
});

describe("tranche fee through the API", () => {
  it("the charge equals quoteFee of the stored rule for any nominal, once, paid by the lender", async () => {
    const rule = await row("SELECT * FROM fees WHERE id = 'mortgage.tranche'");
    if (!rule) throw new Error("fee rule mortgage.tranche is not seeded");
    expect(rule).toMatchObject({ active: 1, payer: "lender", rate_ppm: 2000, rounding: "half_up" });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 36_000_000 })), async (nominal) => {
        const { l, b, trancheId } = await openTranche(nominal);
        const investor = await login();
        expect((await subscribe(investor, trancheId)).status).toBe(200);
        const expected = quoteFee(
          {
            ratePpm: rule.rate_ppm,
            fixedAmount: rule.fixed_amount,
            currency: rule.currency,
            rounding: rule.rounding,
            active: true,
          },
          nominal,
          "EUR",
        );
        const fees = await feeRows(trancheId);
        if (!expected || expected.amount === 0) expect(fees).toEqual([]);
        else expect(fees.map((f) => [f.amount, f.base_amount, f.payer_uid])).toEqual([[expected.amount, nominal, l.uid]]);
        expect(await count("fee_events", "payer_uid IN (?, ?)", b.uid, investor.uid)).toBe(0);
      }),
      { numRuns: 8 },
    );
  });
});
