/**
 * Side effects of every successful write: exactly its `events` row (type, actor, subject, meta,
 * request id), and for priced bookings exactly one fee event that snapshots the rule; cancels
 * reverse it with a negative event pointing at the charge. Refusals write nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MAX_AMOUNT } from "../../src/money/money";
import { issueVoucher, login, newUid, slotAt, testEnv } from "../support/client";
import { type Who, eventsOfRequest, feeRowsOfVoucher, newRequestId, post, row, rows } from "../support/voucher-kit";

const PLATFORM_ID = "platform:together-systems";
const RULE = "voucher.booking";

/** Independent reference: round-half-up(amount × ppm / 10^6) + fixed for non-negative amounts, in BigInt. */
function expectedFee(amount: number, ppm = 20_000, fixed = 0): number {
  const scaled = BigInt(amount) * BigInt(ppm);
  return Number((scaled + 500_000n) / 1_000_000n) + fixed;
}

async function rule() {
  const r = await row("SELECT * FROM fees WHERE id = ?", RULE);
  if (!r) throw new Error("fee rule voucher.booking is not seeded");
  return r;
}

function book(who: Who, voucherId: string, slotId: string, requestId?: string) {
  return post("/api/voucher/book", who, { voucherId, slotId, holderUid: who.uid }, requestId ? { requestId } : {});
}

/** Exactly one event for the request; returns it with parsed meta. */
async function oneEvent(requestId: string): Promise<Record<string, any>> {
  const evs = await eventsOfRequest(requestId);
  expect(evs).toHaveLength(1);
  const ev = evs[0] as Record<string, any>;
  return { ...ev, meta: JSON.parse(ev.meta) as Record<string, unknown> };
}

describe("events", () => {
  it("issue writes one voucher.issue event", async () => {
    const issuer = await login();
    const rid = newRequestId();
    const res = await post(
      "/api/voucher/issue",
      issuer,
      { issuerUid: issuer.uid, templateId: "consulting.session", price: { amount: 100, currency: "EUR" } },
      { requestId: rid },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(rid);
    const ev = await oneEvent(rid);
    expect(ev).toMatchObject({
      type: "voucher.issue",
      actor_uid: issuer.uid,
      subject_type: "voucher",
      subject_id: res.body.voucher.voucherId,
      request_id: rid,
    });
    expect(ev.meta).toEqual({ serviceType: "consulting.session", templateId: "consulting.session" });
    expect(ev.created_at).toBe(Date.parse(res.body.voucher.createdAt));
    // Issuing is not charged.
    expect(await rows("SELECT * FROM fee_events WHERE subject_id = ?", res.body.voucher.voucherId)).toEqual([]);
  });

  it("book, reschedule, cancel, redeem and transfer each write exactly their event", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const voucherId: string = voucher.voucherId;

    const ridBook = newRequestId();
    const b = await book(holder, voucherId, slotAt(validFrom, 1), ridBook);
    expect(b.status).toBe(200);
    const bookingId: string = b.body.booking.bookingId;
    expect(await oneEvent(ridBook)).toMatchObject({
      type: "voucher.book",
      actor_uid: holder.uid,
      subject_type: "voucher_booking",
      subject_id: bookingId,
      meta: { voucherId, slotStart: new Date(validFrom + 3_600_000).toISOString() },
    });

    const ridMove = newRequestId();
    const r = await post("/api/voucher/reschedule", issuer, { bookingId, slotId: slotAt(validFrom, 2) }, { requestId: ridMove });
    expect(r.status).toBe(200);
    const movedId: string = r.body.booking.bookingId;
    expect(await oneEvent(ridMove)).toMatchObject({
      type: "voucher.reschedule",
      actor_uid: issuer.uid,
      subject_type: "voucher_booking",
      subject_id: movedId,
      meta: {
        voucherId,
        fromBookingId: bookingId,
        fromSlotStart: new Date(validFrom + 3_600_000).toISOString(),
        slotStart: new Date(validFrom + 2 * 3_600_000).toISOString(),
      },
    });

    const ridCancel = newRequestId();
    const c = await post("/api/voucher/cancel", holder, { voucherId, reason: "changed plans" }, { requestId: ridCancel });
    expect(c.status).toBe(200);
    expect(await oneEvent(ridCancel)).toMatchObject({
      type: "voucher.cancel",
      actor_uid: holder.uid,
      subject_type: "voucher_booking",
      subject_id: movedId,
      meta: { voucherId, reason: "changed plans" },
    });

    const ridTransfer = newRequestId();
    const to = newUid();
    const t = await post("/api/voucher/transfer", holder, { voucherId, toUid: to }, { requestId: ridTransfer });
    expect(t.status).toBe(200);
    expect(await oneEvent(ridTransfer)).toMatchObject({
      type: "voucher.transfer",
      actor_uid: holder.uid,
      subject_type: "voucher",
      subject_id: voucherId,
      meta: { fromUid: holder.uid, toUid: to },
    });

    const ridRedeem = newRequestId();
    const d = await post("/api/voucher/redeem", issuer, { voucherId }, { requestId: ridRedeem });
    expect(d.status).toBe(200);
    expect(await oneEvent(ridRedeem)).toMatchObject({
      type: "voucher.redeem",
      actor_uid: issuer.uid,
      subject_type: "voucher",
      subject_id: voucherId,
      meta: { fromStatus: "issued" },
    });

    // The whole history of the voucher: one event per successful write, in order.
    const history = await rows(
      `SELECT type FROM events WHERE subject_id IN (?, ?, ?) ORDER BY id`,
      voucherId,
      bookingId,
      movedId,
    );
    expect(history.map((e) => e.type)).toEqual([
      "voucher.issue",
      "voucher.book",
      "voucher.reschedule",
      "voucher.cancel",
      "voucher.transfer",
      "voucher.redeem",
    ]);
  });

  it("refused and repeated requests write no event", async () => {
    const issuer = await login();
    const holder = await login();
    const stranger = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    const bookingId = b.body.booking.bookingId;
    const paths: Array<[string, Who, Record<string, unknown>, number]> = [
      ["/api/voucher/book", holder, { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 1), holderUid: holder.uid }, 409],
      ["/api/voucher/book", holder, { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 2), holderUid: holder.uid }, 409],
      ["/api/voucher/cancel", stranger, { bookingId }, 403],
      ["/api/voucher/reschedule", holder, { bookingId, slotId: "slot-x" }, 400],
      ["/api/voucher/transfer", holder, { voucherId: voucher.voucherId, toUid: newUid() }, 409],
      ["/api/voucher/redeem", holder, { voucherId: voucher.voucherId }, 403],
      ["/api/voucher/issue", issuer, { issuerUid: issuer.uid, voucherId: voucher.voucherId }, 409],
    ];
    for (const [path, who, body, status] of paths) {
      const rid = newRequestId();
      const res = await post(path, who, body, { requestId: rid });
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(status);
      expect(await eventsOfRequest(rid)).toEqual([]);
    }
    // And by subject: still only the issue and the one booking event.
    const evs = await rows("SELECT type FROM events WHERE subject_id IN (?, ?) ORDER BY id", voucher.voucherId, bookingId);
    expect(evs.map((e) => e.type)).toEqual(["voucher.issue", "voucher.book"]);

    // A repeat cancel (alreadyCancelled) is a success without side effects.
    expect((await post("/api/voucher/cancel", holder, { bookingId })).status).toBe(200);
    const rid = newRequestId();
    const again = await post("/api/voucher/cancel", holder, { bookingId }, { requestId: rid });
    expect(again.body.alreadyCancelled).toBe(true);
    expect(await eventsOfRequest(rid)).toEqual([]);
  });
});

describe("fee events", () => {
  it("a priced booking writes exactly one charge that snapshots the rule", async () => {
    const issuer = await login();
    const holder = await login();
    const current = await rule();
    const { voucher, validFrom } = await issueVoucher(issuer, { price: { amount: 5000, currency: "EUR" } });
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    expect(b.status).toBe(200);
    const fees = await feeRowsOfVoucher(voucher.voucherId);
    expect(fees).toHaveLength(1);
    expect(fees[0]).toMatchObject({
      fee_id: RULE,
      kind: "charge",
      subject_type: "voucher_booking",
      subject_id: b.body.booking.bookingId,
      amount: 100,
      currency: "EUR",
      base_amount: 5000,
      rate_ppm: 20_000,
      fixed_amount: 0,
      rounding: "half_up",
      rule_version: current.version,
      payer_uid: issuer.uid,
      beneficiary_id: PLATFORM_ID,
      reverses_id: null,
    });
    expect(fees[0]?.created_at).toBe(Date.parse(b.body.booking.createdAt));
  });

  it.each([
    [1, "EUR"],
    [24, "EUR"],
    [25, "EUR"], // 0.5 → 1
    [26, "EUR"],
    [74, "EUR"],
    [75, "EUR"], // 1.5 → 2
    [1225, "EUR"], // 24.5 → 25
    [1275, "EUR"], // 25.5 → 26
    [1234, "USD"], // 24.68 → 25
    [1225, "JPY"], // zero-decimal currency: same minor-unit math
    [999_999, "EUR"],
    [MAX_AMOUNT, "EUR"], // the largest price the API accepts
    [MAX_AMOUNT - 25, "EUR"], // a tie near it: (10^12 − 25) × 0.02 = 19 999 999 999.5 → 20 000 000 000
  ])("price %i %s → fee 2 %% rounded half up", async (amount, currency) => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { price: { amount, currency } });
    expect((await book(holder, voucher.voucherId, slotAt(validFrom, 0))).status).toBe(200);
    const fees = await feeRowsOfVoucher(voucher.voucherId);
    // A fee that rounds to 0 is not a ledger entry.
    if (expectedFee(amount) === 0) expect(fees).toEqual([]);
    else {
      expect(fees).toHaveLength(1);
      expect(fees[0]).toMatchObject({ amount: expectedFee(amount), currency, base_amount: amount });
    }
  });

  it("spot-checks the reference: 25 → 1, 1225 → 25, MAX_SAFE_INTEGER → 180143985094820", () => {
    expect(expectedFee(25)).toBe(1);
    expect(expectedFee(24)).toBe(0);
    expect(expectedFee(1225)).toBe(25);
    expect(expectedFee(Number.MAX_SAFE_INTEGER)).toBe(180_143_985_094_820);
    expect(expectedFee(MAX_AMOUNT - 25)).toBe(20_000_000_000);
  });

  it("an unpriced voucher is booked and cancelled without any fee event", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { price: null });
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    expect(b.status).toBe(200);
    expect(await feeRowsOfVoucher(voucher.voucherId)).toEqual([]);
    const c = await post("/api/voucher/cancel", holder, { bookingId: b.body.booking.bookingId });
    expect(c.status).toBe(200);
    expect(await feeRowsOfVoucher(voucher.voucherId)).toEqual([]);
  });

  it("cancel writes a negative reversal pointing at the charge; the sum is zero; once only", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { price: { amount: 1275, currency: "EUR" } });
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    const bookingId = b.body.booking.bookingId;
    expect((await post("/api/voucher/cancel", issuer, { bookingId })).status).toBe(200);
    expect((await post("/api/voucher/cancel", holder, { bookingId })).body.alreadyCancelled).toBe(true);
    const fees = await feeRowsOfVoucher(voucher.voucherId);
    expect(fees).toHaveLength(2);
    const charge = fees.find((f) => f.kind === "charge");
    const reversal = fees.find((f) => f.kind === "reversal");
    expect(charge?.amount).toBe(26);
    expect(reversal).toMatchObject({
      fee_id: RULE,
      subject_type: "voucher_booking",
      subject_id: bookingId,
      amount: -26,
      currency: "EUR",
      base_amount: 1275,
      rate_ppm: charge?.rate_ppm,
      fixed_amount: charge?.fixed_amount,
      rounding: charge?.rounding,
      rule_version: charge?.rule_version,
      payer_uid: issuer.uid,
      beneficiary_id: PLATFORM_ID,
      reverses_id: charge?.id,
    });
    expect(reversal?.id).not.toBe(charge?.id);
    expect(fees.reduce((s, f) => s + f.amount, 0)).toBe(0);
  });

  it("book → cancel → rebook → cancel: two charges, two reversals, each pointing at its own charge", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { price: { amount: 9999, currency: "EUR" } });
    for (let i = 0; i < 2; i++) {
      const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
      expect(b.status).toBe(200);
      expect((await post("/api/voucher/cancel", holder, { bookingId: b.body.booking.bookingId })).status).toBe(200);
    }
    const fees = await feeRowsOfVoucher(voucher.voucherId);
    const charges = fees.filter((f) => f.kind === "charge");
    const reversals = fees.filter((f) => f.kind === "reversal");
    expect(charges).toHaveLength(2);
    expect(reversals).toHaveLength(2);
    expect(new Set(reversals.map((r) => r.reverses_id))).toEqual(new Set(charges.map((c) => c.id)));
    for (const r of reversals) {
      const c = charges.find((x) => x.id === r.reverses_id);
      expect(r.amount).toBe(-(c?.amount ?? Number.NaN));
      expect(r.subject_id).toBe(c?.subject_id);
    }
    expect(fees.reduce((s, f) => s + f.amount, 0)).toBe(0);
  });

  it("a reschedule is not charged again; cancelling the moved booking reverses the original charge", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    const first = b.body.booking.bookingId;
    const r1 = await post("/api/voucher/reschedule", holder, { bookingId: first, slotId: slotAt(validFrom, 1) });
    const r2 = await post("/api/voucher/reschedule", holder, {
      bookingId: r1.body.booking.bookingId,
      slotId: slotAt(validFrom, 2),
    });
    expect(r2.status).toBe(200);
    let fees = await feeRowsOfVoucher(voucher.voucherId);
    expect(fees).toHaveLength(1);
    expect(fees[0]).toMatchObject({ kind: "charge", subject_id: first, amount: 100 });
    expect((await post("/api/voucher/cancel", holder, { bookingId: r2.body.booking.bookingId })).status).toBe(200);
    fees = await feeRowsOfVoucher(voucher.voucherId);
    expect(fees).toHaveLength(2);
    const reversal = fees.find((f) => f.kind === "reversal");
    expect(reversal).toMatchObject({ subject_id: first, amount: -100, reverses_id: fees[0]?.id });
  });

  it("redeem and transfer are not charged", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher } = await issueVoucher(issuer, { holderUid: holder.uid });
    expect((await post("/api/voucher/transfer", holder, { voucherId: voucher.voucherId, toUid: newUid() })).status).toBe(200);
    expect((await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId })).status).toBe(200);
    expect(await rows("SELECT * FROM fee_events WHERE subject_id = ?", voucher.voucherId)).toEqual([]);
  });
});

describe("fee rule changes", () => {
  let original: Record<string, any> | undefined;

  afterEach(async () => {
    if (!original) return;
    await testEnv.DB.prepare(
      "UPDATE fees SET rate_ppm = ?, fixed_amount = ?, currency = ?, rounding = ?, active = ?, version = ? WHERE id = ?",
    )
      .bind(
        original.rate_ppm,
        original.fixed_amount,
        original.currency,
        original.rounding,
        original.active,
        original.version,
        RULE,
      )
      .run();
    original = undefined;
  });

  async function changeRule(set: string, ...binds: unknown[]) {
    original ??= await rule();
    await testEnv.DB.prepare(`UPDATE fees SET ${set}, version = version + 1, updated_at = ? WHERE id = ?`)
      .bind(...binds, Date.now(), RULE)
      .run();
    return rule();
  }

  it("a rate change applies only to later bookings; earlier charges and their reversals keep their snapshot", async () => {
    const issuer = await login();
    const holder = await login();
    const before = await rule();
    const early = await issueVoucher(issuer, { price: { amount: 10_000, currency: "EUR" } });
    const late = await issueVoucher(issuer, { price: { amount: 10_000, currency: "EUR" } });
    const eb = await book(holder, early.voucher.voucherId, slotAt(early.validFrom, 0));
    expect(eb.status).toBe(200);

    const changed = await changeRule("rate_ppm = ?, fixed_amount = ?", 35_000, 7);
    expect(changed.version).toBe(before.version + 1);

    const lb = await book(holder, late.voucher.voucherId, slotAt(late.validFrom, 0));
    expect(lb.status).toBe(200);
    const [earlyCharge] = await feeRowsOfVoucher(early.voucher.voucherId);
    const [lateCharge] = await feeRowsOfVoucher(late.voucher.voucherId);
    expect(earlyCharge).toMatchObject({ amount: 200, rate_ppm: 20_000, fixed_amount: 0, rule_version: before.version });
    expect(lateCharge).toMatchObject({ amount: 357, rate_ppm: 35_000, fixed_amount: 7, rule_version: before.version + 1 });

    // Cancelling the early booking after the change reverses exactly what was charged then.
    expect((await post("/api/voucher/cancel", holder, { bookingId: eb.body.booking.bookingId })).status).toBe(200);
    const earlyFees = await feeRowsOfVoucher(early.voucher.voucherId);
    const reversal = earlyFees.find((f) => f.kind === "reversal");
    expect(reversal).toMatchObject({ amount: -200, rate_ppm: 20_000, fixed_amount: 0, rule_version: before.version });
    expect(earlyFees.reduce((s, f) => s + f.amount, 0)).toBe(0);
  });

  it("the rule's rounding mode is applied and snapshotted", async () => {
    const issuer = await login();
    const holder = await login();
    await changeRule("rounding = ?", "floor");
    const { voucher, validFrom } = await issueVoucher(issuer, { price: { amount: 1275, currency: "EUR" } });
    expect((await book(holder, voucher.voucherId, slotAt(validFrom, 0))).status).toBe(200);
    expect((await feeRowsOfVoucher(voucher.voucherId))[0]).toMatchObject({ amount: 25, rounding: "floor" });
  });

  it("an inactive rule charges nothing", async () => {
    const issuer = await login();
    const holder = await login();
    await changeRule("active = ?", 0);
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    expect(b.status).toBe(200);
    expect(await feeRowsOfVoucher(voucher.voucherId)).toEqual([]);
    expect((await post("/api/voucher/cancel", holder, { bookingId: b.body.booking.bookingId })).status).toBe(200);
    expect(await feeRowsOfVoucher(voucher.voucherId)).toEqual([]);
  });

  it("restores the seeded rule after each change", async () => {
    const r = await rule();
    expect(r).toMatchObject({ rate_ppm: 20_000, fixed_amount: 0, rounding: "half_up", active: 1, payer: "issuer" });
  });
});
