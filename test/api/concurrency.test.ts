/**
 * Races: many requests for one slot / one voucher / one booking at the same time. The unique
 * partial indexes and compare-and-swap guards inside the write batch must let exactly one win
 * and leave exactly one set of side effects (booking row, event, fee event).
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, login, slotAt } from "../support/client";
import { type Who, bookingRows, count, feeRowsOfVoucher, post, voucherEvents, voucherRow } from "../support/voucher-kit";

const N = 50;

type Res = { status: number; body: Record<string, any> };

function tally(results: Res[]) {
  const byKey = new Map<string, number>();
  for (const r of results) {
    const key = r.status === 200 ? "200" : `${r.status} ${r.body.code}`;
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
  return Object.fromEntries(byKey);
}

function book(who: Who, voucherId: string, slotId: string) {
  return post("/api/voucher/book", who, { voucherId, slotId, holderUid: who.uid });
}

/** After a race for one voucher: exactly one active booking with one event and one fee charge. */
async function expectOneBooking(voucherId: string, winner: Res) {
  const stored = await bookingRows(voucherId);
  expect(stored).toHaveLength(1);
  expect(stored[0]).toMatchObject({ id: winner.body.booking.bookingId, status: "booked" });
  expect(await count("voucher_bookings", "voucher_id = ? AND status = 'booked'", voucherId)).toBe(1);
  expect(await voucherEvents(voucherId, "voucher.book")).toHaveLength(1);
  const fees = await feeRowsOfVoucher(voucherId);
  expect(fees).toHaveLength(1);
  expect(fees[0]).toMatchObject({ kind: "charge", subject_id: winner.body.booking.bookingId, amount: 100 });
  expect(await voucherRow(voucherId)).toMatchObject({ status: "booked", holder_uid: winner.body.booking.holderUid });
}

describe("concurrent bookings", () => {
  it(`${N} concurrent bookings of one slot by its holder → exactly 1×200 and ${N - 1}×409 slot_taken`, async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { holderUid: holder.uid });
    const slotId = slotAt(validFrom, 2);
    const results = await Promise.all(Array.from({ length: N }, () => book(holder, voucher.voucherId, slotId)));
    expect(tally(results)).toEqual({ "200": 1, "409 slot_taken": N - 1 });
    const winner = results.find((r) => r.status === 200) as Res;
    expect(winner.body.booking.slotId).toBe(slotId);
    await expectOneBooking(voucher.voucherId, winner);
  });

  it(`${N} concurrent bookings of one slot of a holderless voucher by ${N} users → exactly one wins`, async () => {
    const issuer = await login();
    const users = await Promise.all(Array.from({ length: N }, () => login()));
    const { voucher, validFrom } = await issueVoucher(issuer);
    const slotId = slotAt(validFrom, 2);
    const results = await Promise.all(users.map((u) => book(u, voucher.voucherId, slotId)));
    const t = tally(results);
    expect(t["200"]).toBe(1);
    // A loser either raced the winner's batch (409) or read the voucher after it got its holder (403).
    const losers = results.filter((r) => r.status !== 200);
    expect(losers).toHaveLength(N - 1);
    for (const r of losers) {
      expect([
        [409, "slot_taken"],
        [403, "not_holder"],
      ]).toContainEqual([r.status, r.body.code]);
    }
    const winnerIndex = results.findIndex((r) => r.status === 200);
    const winner = results[winnerIndex] as Res;
    expect(winner.body.booking.holderUid).toBe(users[winnerIndex]?.uid);
    await expectOneBooking(voucher.voucherId, winner);
  });

  it(`${N} concurrent bookings of one voucher on ${N} different slots → exactly 1×200 and ${N - 1}×409 voucher_already_booked`, async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, {}, N + 10);
    const results = await Promise.all(Array.from({ length: N }, (_, i) => book(holder, voucher.voucherId, slotAt(validFrom, i))));
    expect(tally(results)).toEqual({ "200": 1, "409 voucher_already_booked": N - 1 });
    const winner = results.find((r) => r.status === 200) as Res;
    await expectOneBooking(voucher.voucherId, winner);
  });

  it("concurrent bookings of different vouchers do not block each other", async () => {
    const issuer = await login();
    const holder = await login();
    const vouchers = await Promise.all(Array.from({ length: 10 }, () => issueVoucher(issuer)));
    const results = await Promise.all(vouchers.map((v) => book(holder, v.voucher.voucherId, slotAt(v.validFrom, 1))));
    expect(tally(results)).toEqual({ "200": 10 });
    for (const v of vouchers)
      expect(await count("voucher_bookings", "voucher_id = ? AND status = 'booked'", v.voucher.voucherId)).toBe(1);
  });
});

describe("concurrent changes of one booking", () => {
  async function booked() {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    expect(b.status).toBe(200);
    return { issuer, holder, voucherId: voucher.voucherId as string, validFrom, bookingId: b.body.booking.bookingId as string };
  }

  it("two concurrent reschedules to different slots → one 200, one 409; one active booking", async () => {
    const f = await booked();
    const results = await Promise.all([
      post("/api/voucher/reschedule", f.holder, { bookingId: f.bookingId, slotId: slotAt(f.validFrom, 3) }),
      post("/api/voucher/reschedule", f.issuer, { bookingId: f.bookingId, slotId: slotAt(f.validFrom, 4) }),
    ]);
    expect(tally(results)).toEqual({ "200": 1, "409 invalid_transition": 1 });
    const loser = results.find((r) => r.status === 409) as Res;
    expect(loser.body.details).toEqual({ from: "rescheduled", to: "rescheduled" });
    const winner = results.find((r) => r.status === 200) as Res;
    const stored = await bookingRows(f.voucherId);
    expect(stored).toHaveLength(2);
    const byId = Object.fromEntries(stored.map((r) => [r.id, r]));
    expect(byId[f.bookingId]).toMatchObject({ status: "rescheduled", rescheduled_to_id: winner.body.booking.bookingId });
    expect(byId[winner.body.booking.bookingId]).toMatchObject({ status: "booked", rescheduled_from_id: f.bookingId });
    expect(await voucherEvents(f.voucherId, "voucher.reschedule")).toHaveLength(1);
    expect(await feeRowsOfVoucher(f.voucherId)).toHaveLength(1);
    expect((await voucherRow(f.voucherId))?.status).toBe("booked");
  });

  it("two concurrent reschedules to the same slot → one 200, one 409", async () => {
    const f = await booked();
    const body = { bookingId: f.bookingId, slotId: slotAt(f.validFrom, 5) };
    const results = await Promise.all([
      post("/api/voucher/reschedule", f.holder, body),
      post("/api/voucher/reschedule", f.holder, body),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const loser = results.find((r) => r.status !== 200) as Res;
    expect(loser.status).toBe(409);
    expect(["invalid_transition", "slot_taken"]).toContain(loser.body.code);
    expect(await count("voucher_bookings", "voucher_id = ? AND status = 'booked'", f.voucherId)).toBe(1);
    expect(await count("voucher_bookings", "voucher_id = ?", f.voucherId)).toBe(2);
    expect(await voucherEvents(f.voucherId, "voucher.reschedule")).toHaveLength(1);
  });

  it("two concurrent cancels → both 200, exactly one does the work (one event, one reversal)", async () => {
    const f = await booked();
    const results = await Promise.all([
      post("/api/voucher/cancel", f.holder, { bookingId: f.bookingId }),
      post("/api/voucher/cancel", f.issuer, { bookingId: f.bookingId }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(results.map((r) => r.body.alreadyCancelled).sort()).toEqual([false, true]);
    for (const r of results) expect(r.body.booking.status).toBe("cancelled");
    expect(await voucherEvents(f.voucherId, "voucher.cancel")).toHaveLength(1);
    const fees = await feeRowsOfVoucher(f.voucherId);
    expect(fees.map((x) => x.kind).sort()).toEqual(["charge", "reversal"]);
    expect(fees.reduce((s, x) => s + x.amount, 0)).toBe(0);
    expect(await voucherRow(f.voucherId)).toMatchObject({ status: "issued", holder_uid: f.holder.uid });
  });

  it("ten concurrent cancels → one real cancel, nine alreadyCancelled", async () => {
    const f = await booked();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post("/api/voucher/cancel", i % 2 ? f.holder : f.issuer, i % 3 ? { bookingId: f.bookingId } : { voucherId: f.voucherId }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.alreadyCancelled === false)).toHaveLength(1);
    expect(await voucherEvents(f.voucherId, "voucher.cancel")).toHaveLength(1);
    expect((await feeRowsOfVoucher(f.voucherId)).filter((x) => x.kind === "reversal")).toHaveLength(1);
  });

  it("a cancel racing a reschedule → exactly one of them succeeds and the state is consistent", async () => {
    const f = await booked();
    const [cancel, reschedule] = await Promise.all([
      post("/api/voucher/cancel", f.holder, { bookingId: f.bookingId }),
      post("/api/voucher/reschedule", f.holder, { bookingId: f.bookingId, slotId: slotAt(f.validFrom, 6) }),
    ]);
    const v = await voucherRow(f.voucherId);
    const active = await count("voucher_bookings", "voucher_id = ? AND status = 'booked'", f.voucherId);
    if (cancel.status === 200) {
      expect(cancel.body.alreadyCancelled).toBe(false);
      expect(reschedule.status).toBe(409);
      expect(reschedule.body.code).toBe("invalid_transition");
      expect(v?.status).toBe("issued");
      expect(active).toBe(0);
      expect(await voucherEvents(f.voucherId, "voucher.reschedule")).toHaveLength(0);
    } else {
      expect(reschedule.status).toBe(200);
      expect(cancel.status).toBe(409);
      expect(cancel.body.code).toBe("invalid_transition");
      expect(v?.status).toBe("booked");
      expect(active).toBe(1);
      expect(await voucherEvents(f.voucherId, "voucher.cancel")).toHaveLength(0);
    }
  });

  it("a redeem racing a booking → never a consumed voucher with an active booking", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const [b, r] = await Promise.all([
      book(holder, voucher.voucherId, slotAt(validFrom, 1)),
      post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId }),
    ]);
    if (r.status === 200) {
      expect((await voucherRow(voucher.voucherId))?.status).toBe("consumed");
      // No active booking survives a redeem, whichever ran first.
      expect(await count("voucher_bookings", "voucher_id = ? AND status = 'booked'", voucher.voucherId)).toBe(0);
      if (b.status === 200) {
        expect((await bookingRows(voucher.voucherId))[0]?.status).toBe("completed");
      } else {
        expect(b.status).toBe(409);
        expect(b.body.code).toBe("invalid_transition");
        expect(await bookingRows(voucher.voucherId)).toHaveLength(0);
      }
    } else {
      // The redeem read `issued`, the booking committed first: its compare-and-swap refuses to
      // consume a voucher it did not see booked, and a retry succeeds.
      expect(r.status).toBe(409);
      expect(r.body.code).toBe("concurrent_update");
      expect(b.status).toBe(200);
      expect((await voucherRow(voucher.voucherId))?.status).toBe("booked");
      expect(await voucherEvents(voucher.voucherId, "voucher.redeem")).toHaveLength(0);
      expect((await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId })).status).toBe(200);
      expect((await bookingRows(voucher.voucherId))[0]?.status).toBe("completed");
    }
    expect(await voucherEvents(voucher.voucherId, "voucher.redeem")).toHaveLength(1);
  });
});
