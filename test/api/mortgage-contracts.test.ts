/**
 * Mortgage contracts: signatures (borrower, lender, then a notary), naming the notary, cancel,
 * reads. Each success writes its row change, exactly one event and (when the notary signs) one
 * `mortgage.contract` charge to the lender in one batch; every refusal writes nothing. Contracts
 * start from fixtures, so this file does not depend on the offer routes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quoteFee } from "../../src/fees/fees";
import { call, login, testEnv } from "../support/client";
import { grantRole, insertContract } from "../support/mortgage-kit";
import { type Who, count, eventsOf, eventsOfRequest, get, newRequestId, post, row, rows } from "../support/voucher-kit";

const PATH = "/api/hypotheken/vertrag/update-status";
const PLATFORM_ID = "platform:together-systems";

type Res = { status: number; body: Record<string, any>; headers: Headers };

async function lender(): Promise<Who> {
  const who = await login();
  await grantRole(who.uid, "lender");
  return who;
}

async function notary(): Promise<Who> {
  const who = await login();
  await grantRole(who.uid, "notary");
  return who;
}

/** Borrower, lender, notary and a stranger, and a contract between the first two. */
async function parties(status: "draft" | "pending-notary" | "signed" = "draft", over: { notary?: boolean; loan?: number } = {}) {
  const [b, l, n, stranger] = await Promise.all([login(), lender(), notary(), login()]);
  const contract = await insertContract(b.uid, l.uid, {
    status,
    notaryUid: status === "signed" || over.notary ? n.uid : null,
    ...(over.loan ? { loan: over.loan } : {}),
  });
  return { b, l, n, stranger, id: contract.id, contract };
}

function act(
  who: Who,
  contractVoucherId: string,
  action: string,
  extra: Record<string, unknown> = {},
  opts: Parameters<typeof post>[3] = {},
) {
  return post(PATH, who, { contractVoucherId, action, ...extra }, opts) as Promise<Res>;
}

const contractRow = (id: string) => row("SELECT * FROM mortgage_contracts WHERE id = ?", id);
const feeRows = (id: string) => rows("SELECT * FROM fee_events WHERE subject_type = 'mortgage_contract' AND subject_id = ?", id);

/** A refusal: the status and code, and nothing written by its request. */
async function expectRefused(res: Res, status: number, code: string, requestId?: string) {
  expect([res.status, res.body.code]).toEqual([status, code]);
  if (requestId) expect(await eventsOfRequest(requestId)).toEqual([]);
}

function tally(results: Res[]) {
  const by: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 200 ? `200${r.body.alreadySigned ? " already" : ""}` : `${r.status} ${r.body.code}`;
    by[key] = (by[key] ?? 0) + 1;
  }
  return by;
}

describe("signatures", () => {
  it("borrower, then lender, then notary: draft → pending-notary → signed, with one event each and one fee", async () => {
    const { b, l, n, id } = await parties();
    const r1 = newRequestId();
    const s1 = await act(b, id, "signed-by-borrower", {}, { requestId: r1 });
    expect(s1.status).toBe(200);
    expect(s1.body).toMatchObject({ ok: true, alreadySigned: false });
    expect(s1.body.contract).toMatchObject({ voucherId: id, status: "draft", signedByBorrower: true, signedByLender: false });
    expect(s1.body.contract.signatures.borrower).toEqual({ uid: b.uid, at: expect.any(String) });
    const ev1 = await eventsOfRequest(r1);
    expect(ev1).toHaveLength(1);
    expect(ev1[0]).toMatchObject({ type: "mortgage.sign", actor_uid: b.uid, subject_type: "mortgage_contract", subject_id: id });
    expect(JSON.parse(ev1[0]?.meta)).toEqual({ action: "signed-by-borrower" });

    const s2 = await act(l, id, "signed-by-lender");
    expect(s2.status).toBe(200);
    expect(s2.body.contract).toMatchObject({
      status: "pending-notary",
      signedByBorrower: true,
      signedByLender: true,
      signedByNotary: false,
    });
    expect(await feeRows(id)).toEqual([]);

    const r3 = newRequestId();
    const s3 = await act(n, id, "signed-by-notary", {}, { requestId: r3 });
    expect(s3.status).toBe(200);
    expect(s3.body.contract).toMatchObject({ status: "signed", notaryUid: n.uid, signedByNotary: true });
    expect(await contractRow(id)).toMatchObject({ status: "signed", notary_uid: n.uid });
    expect((await contractRow(id))?.signed_by_notary_at).toBe(Date.parse(s3.body.contract.signatures.notary.at));
    expect(await eventsOfRequest(r3)).toHaveLength(1);
    const fees = await feeRows(id);
    expect(fees).toHaveLength(1);
    // 0.5 % of 36 000 000, paid by the lender to the platform, snapshotting the rule.
    expect(fees[0]).toMatchObject({
      kind: "charge",
      fee_id: "mortgage.contract",
      amount: 180_000,
      currency: "EUR",
      base_amount: 36_000_000,
      rate_ppm: 5000,
      rounding: "half_up",
      payer_uid: l.uid,
      beneficiary_id: PLATFORM_ID,
    });
    expect(await eventsOf(id)).toHaveLength(3);
  });

  it("the lender may sign first; the borrower's signature then completes the parties", async () => {
    const { b, l, id } = await parties();
    expect((await act(l, id, "signed-by-lender")).body.contract.status).toBe("draft");
    expect((await act(b, id, "signed-by-borrower")).body.contract.status).toBe("pending-notary");
  });

  it("a repeated signature answers alreadySigned and writes nothing", async () => {
    const { b, id } = await parties();
    await act(b, id, "signed-by-borrower");
    const before = await contractRow(id);
    const rid = newRequestId();
    const again = await act(b, id, "signed-by-borrower", {}, { requestId: rid });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ok: true, alreadySigned: true, contract: { signedByBorrower: true } });
    expect(await contractRow(id)).toEqual(before);
    expect(await eventsOfRequest(rid)).toEqual([]);
    expect(await eventsOf(id, "mortgage.sign")).toHaveLength(1);
  });

  it("a repeated notary signature is alreadySigned, with still exactly one fee", async () => {
    const { n, id } = await parties("pending-notary");
    expect((await act(n, id, "signed-by-notary")).body.alreadySigned).toBe(false);
    const again = await act(n, id, "signed-by-notary");
    expect(again.body).toMatchObject({ alreadySigned: true, contract: { status: "signed" } });
    expect(await feeRows(id)).toHaveLength(1);
  });

  it("each party signs only for itself (403 not_allowed)", async () => {
    const { b, l, n, id } = await parties("draft", { notary: true });
    const rid = newRequestId();
    await expectRefused(await act(l, id, "signed-by-borrower", {}, { requestId: rid }), 403, "not_allowed", rid);
    await expectRefused(await act(b, id, "signed-by-lender"), 403, "not_allowed");
    await expectRefused(await act(n, id, "signed-by-borrower"), 403, "not_allowed");
    expect(await contractRow(id)).toMatchObject({ signed_by_borrower_at: null, signed_by_lender_at: null });
  });

  it("the notary signs only after both parties: 409 invalid_transition from draft", async () => {
    const { b, n, id } = await parties("draft", { notary: true });
    await act(b, id, "signed-by-borrower");
    const res = await act(n, id, "signed-by-notary");
    expect([res.status, res.body.code]).toEqual([409, "invalid_transition"]);
    expect(res.body.details).toEqual({ from: "draft", to: "signed" });
    expect(await feeRows(id)).toEqual([]);
  });

  it("only a notary who is no party notarizes; a named notary excludes the others", async () => {
    const { b, l, n, stranger, id } = await parties("pending-notary", { notary: true });
    // Parties, even holding the notary role, cannot notarize their own contract.
    await expectRefused(await act(b, id, "signed-by-notary"), 403, "not_notary");
    await grantRole(l.uid, "notary");
    await expectRefused(await act(l, id, "signed-by-notary"), 403, "not_notary");
    // Someone without the role, and another notary, do not even see the contract.
    await expectRefused(await act(stranger, id, "signed-by-notary"), 404, "contract_not_found");
    const other = await notary();
    await expectRefused(await act(other, id, "signed-by-notary"), 404, "contract_not_found");
    // The named notary whose role was revoked meanwhile may no longer sign.
    await testEnv.DB.prepare("DELETE FROM party_roles WHERE uid = ?").bind(n.uid).run();
    await expectRefused(await act(n, id, "signed-by-notary"), 403, "not_notary");
    expect(await contractRow(id)).toMatchObject({ status: "pending-notary", signed_by_notary_at: null });
    expect(await feeRows(id)).toEqual([]);
  });

  it("any notary may notarize a contract that names none", async () => {
    const { id } = await parties("pending-notary");
    const any = await notary();
    const res = await act(any, id, "signed-by-notary");
    expect(res.body.contract).toMatchObject({ status: "signed", notaryUid: any.uid });
  });

  it("a stranger gets 404 for every action and for the contract itself; an unknown id is 404", async () => {
    const { stranger, id } = await parties();
    for (const action of ["signed-by-borrower", "signed-by-lender", "cancel"]) {
      await expectRefused(await act(stranger, id, action), 404, "contract_not_found");
    }
    await expectRefused(await act(stranger, id, "assign-notary", { notaryUid: stranger.uid }), 404, "contract_not_found");
    await expectRefused(await act(stranger, "mort-contract-nope", "signed-by-borrower"), 404, "contract_not_found");
    await expectRefused((await get(`/api/hypotheken/vertrag/${id}`, stranger)) as Res, 404, "contract_not_found");
  });
});

describe("naming the notary", () => {
  it("a party names a notary, who then sees the contract and alone may notarize", async () => {
    const { b, l, id } = await parties();
    const chosen = await notary();
    const rid = newRequestId();
    const res = await act(b, id, "assign-notary", { notaryUid: chosen.uid }, { requestId: rid });
    expect(res.status).toBe(200);
    expect(res.body.contract).toMatchObject({ notaryUid: chosen.uid, status: "draft" });
    const evs = await eventsOfRequest(rid);
    expect(evs).toHaveLength(1);
    expect(JSON.parse(evs[0]?.meta)).toEqual({ action: "assign-notary", notaryUid: chosen.uid });
    expect((await get(`/api/hypotheken/vertrag/${id}`, chosen)).body.contract.notaryUid).toBe(chosen.uid);
    // Naming the same notary again changes nothing.
    const rid2 = newRequestId();
    const same = await act(l, id, "assign-notary", { notaryUid: chosen.uid }, { requestId: rid2 });
    expect(same.body).toMatchObject({ ok: true, alreadySigned: false, contract: { notaryUid: chosen.uid } });
    expect(await eventsOfRequest(rid2)).toEqual([]);

    await act(b, id, "signed-by-borrower");
    await act(l, id, "signed-by-lender");
    const other = await notary();
    await expectRefused(await act(other, id, "signed-by-notary"), 404, "contract_not_found");
    expect((await act(chosen, id, "signed-by-notary")).body.contract.status).toBe("signed");
  });

  it("refuses a uid without the notary role, a party, and the notary as actor (400 invalid_notary / 403)", async () => {
    const { b, l, n, stranger, id } = await parties("draft", { notary: true });
    const rid = newRequestId();
    await expectRefused(
      await act(b, id, "assign-notary", { notaryUid: stranger.uid }, { requestId: rid }),
      400,
      "invalid_notary",
      rid,
    );
    await grantRole(l.uid, "notary");
    await expectRefused(await act(b, id, "assign-notary", { notaryUid: l.uid }), 400, "invalid_notary");
    const other = await notary();
    await expectRefused(await act(n, id, "assign-notary", { notaryUid: other.uid }), 403, "not_allowed");
    expect((await contractRow(id))?.notary_uid).toBe(n.uid);
  });

  it("notaryUid is required with assign-notary and refused with any other action", async () => {
    const { b, n, id } = await parties();
    await expectRefused(await act(b, id, "assign-notary"), 400, "validation_failed");
    await expectRefused(await act(b, id, "signed-by-borrower", { notaryUid: n.uid }), 400, "validation_failed");
  });

  it("a signed contract's notary cannot be replaced (409 invalid_transition)", async () => {
    const { b, id } = await parties("signed");
    const other = await notary();
    const res = await act(b, id, "assign-notary", { notaryUid: other.uid });
    expect([res.status, res.body.code, res.body.details]).toEqual([
      409,
      "invalid_transition",
      { from: "signed", to: "draft|pending-notary" },
    ]);
  });
});

describe("cancel", () => {
  it("either party cancels a draft or pending contract: cancelled, who, one event, no fee", async () => {
    for (const [status, by] of [
      ["draft", "l"],
      ["pending-notary", "b"],
    ] as const) {
      const p = await parties(status);
      const who = p[by];
      const rid = newRequestId();
      const res = await act(who, p.id, "cancel", {}, { requestId: rid });
      expect(res.status).toBe(200);
      expect(res.body.contract).toMatchObject({ status: "cancelled", cancelledBy: who.uid });
      expect(await contractRow(p.id)).toMatchObject({ status: "cancelled", cancelled_by: who.uid });
      const evs = await eventsOfRequest(rid);
      expect(evs.map((e) => e.type)).toEqual(["mortgage.contract.cancel"]);
      expect(await feeRows(p.id)).toEqual([]);
    }
  });

  it("a signed contract cannot be cancelled and keeps its fee; a cancelled one cannot be signed", async () => {
    const { l, n, id } = await parties("pending-notary", { notary: true });
    await act(n, id, "signed-by-notary");
    const res = await act(l, id, "cancel");
    expect([res.status, res.body.code, res.body.details]).toEqual([
      409,
      "invalid_transition",
      { from: "signed", to: "cancelled" },
    ]);
    expect(await feeRows(id)).toHaveLength(1);

    const p = await parties();
    await act(p.b, p.id, "cancel");
    const late = await act(p.l, p.id, "signed-by-lender");
    expect([late.status, late.body.details]).toEqual([409, { from: "cancelled", to: "draft|pending-notary" }]);
    const again = await act(p.b, p.id, "cancel");
    expect([again.status, again.body.details]).toEqual([409, { from: "cancelled", to: "cancelled" }]);
  });

  it("the notary may not cancel (403 not_allowed)", async () => {
    const { n, id } = await parties("pending-notary", { notary: true });
    await expectRefused(await act(n, id, "cancel"), 403, "not_allowed");
  });
});

describe("input", () => {
  it("refuses unknown fields, wrong types, unknown actions, bad ids and malformed JSON", async () => {
    const { b, id } = await parties();
    await expectRefused(await act(b, id, "signed-by-borrower", { signedPdf: "x" }), 400, "validation_failed");
    await expectRefused((await post(PATH, b, { contractVoucherId: 42, action: "cancel" })) as Res, 400, "validation_failed");
    await expectRefused(await act(b, id, "signed"), 400, "validation_failed");
    await expectRefused(await act(b, "bad id/x", "cancel"), 400, "validation_failed");
    const raw = await call(PATH, { raw: "{", headers: { "content-type": "application/json" }, session: b.session });
    expect([raw.status, ((await raw.json()) as { code: string }).code]).toEqual([400, "invalid_json"]);
    const anon = await post(PATH, null, { contractVoucherId: id, action: "cancel" });
    expect([anon.status, anon.body.code]).toEqual([401, "unauthenticated"]);
    expect(await contractRow(id)).toMatchObject({ status: "draft", signed_by_borrower_at: null });
  });
});

describe("idempotency and races", () => {
  it("the same Idempotency-Key replays the notary's answer: one signature, one event, one fee", async () => {
    const { n, id } = await parties("pending-notary", { notary: true });
    const headers = { "idempotency-key": `k-${id}` };
    const first = await act(n, id, "signed-by-notary", {}, { headers });
    const second = await act(n, id, "signed-by-notary", {}, { headers });
    expect(first.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    expect(first.body.contract.status).toBe("signed");
    expect(await eventsOf(id, "mortgage.sign")).toHaveLength(1);
    expect(await feeRows(id)).toHaveLength(1);
  });

  it("an idempotent signature answers exactly what was stored", async () => {
    const { b, l, id } = await parties();
    await act(l, id, "signed-by-lender");
    const res = await act(b, id, "signed-by-borrower", {}, { headers: { "idempotency-key": `b-${id}` } });
    expect(res.body.contract).toMatchObject({ status: "pending-notary", signedByBorrower: true, signedByLender: true });
    const stored = await contractRow(id);
    expect(res.body.contract.updatedAt).toBe(new Date(stored?.updated_at).toISOString());
  });

  it("borrower and lender signing at once both succeed and the contract ends pending-notary", async () => {
    for (let i = 0; i < 3; i++) {
      const { b, l, id } = await parties();
      const [x, y] = await Promise.all([act(b, id, "signed-by-borrower"), act(l, id, "signed-by-lender")]);
      expect([x.status, y.status]).toEqual([200, 200]);
      expect(await contractRow(id)).toMatchObject({ status: "pending-notary" });
      expect(await eventsOf(id, "mortgage.sign")).toHaveLength(2);
    }
  });

  it("20 notaries notarizing one unnamed contract at once: exactly one signs, one fee", async () => {
    const { l, id } = await parties("pending-notary");
    const notaries = await Promise.all(Array.from({ length: 20 }, () => notary()));
    const results = await Promise.all(notaries.map((n) => act(n, id, "signed-by-notary")));
    // The losers now face a contract that names another notary: not theirs to see.
    expect(tally(results)).toEqual({ "200": 1, "404 contract_not_found": 19 });
    const winner = notaries[results.findIndex((r) => r.status === 200)] as Who;
    expect(await contractRow(id)).toMatchObject({ status: "signed", notary_uid: winner.uid });
    expect(await eventsOf(id, "mortgage.sign")).toHaveLength(1);
    const fees = await feeRows(id);
    expect(fees).toHaveLength(1);
    expect(fees[0]?.payer_uid).toBe(l.uid);
  });

  it("20 concurrent signatures of the same notary: one write, the rest alreadySigned", async () => {
    const { n, id } = await parties("pending-notary", { notary: true });
    const results = await Promise.all(Array.from({ length: 20 }, () => act(n, id, "signed-by-notary")));
    expect(tally(results)).toEqual({ "200": 1, "200 already": 19 });
    expect(await eventsOf(id, "mortgage.sign")).toHaveLength(1);
    expect(await feeRows(id)).toHaveLength(1);
  });
});

describe("reads", () => {
  it("GET /vertrag/:id for borrower, lender and named notary; 404 for an id that cannot exist", async () => {
    const { b, l, n, id } = await parties("draft", { notary: true });
    for (const who of [b, l, n]) {
      const res = await get(`/api/hypotheken/vertrag/${id}`, who);
      expect(res.status).toBe(200);
      expect(res.body.contract).toMatchObject({
        voucherId: id,
        type: "mortgage-contract",
        borrowerUid: b.uid,
        lenderId: l.uid,
        notaryUid: n.uid,
        loan: { amount: 36_000_000, currency: "EUR" },
        roomRefs: { contractRoomId: `mortgage:contract:${id}` },
      });
    }
    const res = await get("/api/hypotheken/vertrag/bad%20id", b);
    expect([res.status, res.body.code]).toEqual([404, "contract_not_found"]);
  });

  it("GET /vertrag/list: the caller's contracts only, by status, newest first, paginated", async () => {
    const { b, l, stranger, id } = await parties();
    const second = await insertContract(b.uid, l.uid, { status: "pending-notary" });
    const all = await get("/api/hypotheken/vertrag/list", b);
    expect(all.status).toBe(200);
    expect(all.body.contracts.map((k: { voucherId: string }) => k.voucherId).sort()).toEqual([id, second.id].sort());
    expect(
      (await get("/api/hypotheken/vertrag/list", l, { status: "pending-notary" })).body.contracts.map((k: any) => k.voucherId),
    ).toEqual([second.id]);
    expect((await get("/api/hypotheken/vertrag/list", stranger)).body).toEqual({ ok: true, contracts: [], nextCursor: null });
    const p1 = await get("/api/hypotheken/vertrag/list", b, { limit: 1 });
    expect(p1.body.contracts).toHaveLength(1);
    expect(p1.body.nextCursor).toEqual(expect.any(String));
    const p2 = await get("/api/hypotheken/vertrag/list", b, { limit: 1, cursor: p1.body.nextCursor });
    expect(p2.body.contracts).toHaveLength(1);
    expect(p2.body.nextCursor).toBeNull();
    expect(p2.body.contracts[0].voucherId).not.toBe(p1.body.contracts[0].voucherId);
    const bad = await get("/api/hypotheken/vertrag/list", b, { cursor: "nope" });
    expect([bad.status, bad.body.code]).toEqual([400, "invalid_cursor"]);
    const junk = await get("/api/hypotheken/vertrag/list", b, { role: "investor" });
    expect([junk.status, junk.body.code]).toEqual([400, "validation_failed"]);
    const unknown = await get("/api/hypotheken/vertrag/list", b, { party: "borrower" });
    expect([unknown.status, unknown.body.code]).toEqual([400, "validation_failed"]);
  });

  it("GET /vertrag/list?role: only the contracts the caller is that party of", async () => {
    const { b, l, id } = await parties();
    // The lender of one contract is the borrower of another.
    const other = await insertContract(l.uid, b.uid);
    const ids = async (who: Who, role: string) =>
      (await get("/api/hypotheken/vertrag/list", who, { role })).body.contracts.map((k: { voucherId: string }) => k.voucherId);
    expect(await ids(b, "borrower")).toEqual([id]);
    expect(await ids(b, "lender")).toEqual([other.id]);
    expect(await ids(l, "borrower")).toEqual([other.id]);
    expect(await ids(l, "lender")).toEqual([id]);
    expect(await ids(b, "notary")).toEqual([]);
  });
});

describe("contract fee through the API", () => {
  it("the charge equals quoteFee of the stored rule for any loan, once, paid by the lender", async () => {
    const rule = await row("SELECT * FROM fees WHERE id = 'mortgage.contract'");
    if (!rule) throw new Error("fee rule mortgage.contract is not seeded");
    expect(rule).toMatchObject({ active: 1, payer: "lender", rate_ppm: 5000, rounding: "half_up" });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 1_000_000_000_000 })),
        async (loan) => {
          const { b, l, n, id } = await parties("pending-notary", { notary: true, loan });
          const res = await act(n, id, "signed-by-notary");
          expect(res.status).toBe(200);
          const expected = quoteFee(
            {
              ratePpm: rule.rate_ppm,
              fixedAmount: rule.fixed_amount,
              currency: rule.currency,
              rounding: rule.rounding,
              active: true,
            },
            loan,
            "EUR",
          );
          const fees = await feeRows(id);
          if (!expected || expected.amount === 0) {
            expect(fees).toEqual([]);
          } else {
            expect(fees).toHaveLength(1);
            expect(fees[0]).toMatchObject({ amount: expected.amount, base_amount: loan, payer_uid: l.uid });
          }
          expect(await count("fee_events", "payer_uid = ?", b.uid)).toBe(0);
        },
      ),
      { numRuns: 8 },
    );
  });
});
