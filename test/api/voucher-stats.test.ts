/**
 * `GET /api/voucher/stats`: an issuer's own vouchers by status, bookings / cancellations /
 * redemptions per UTC day, utilization of offered grid slots. Rows with chosen times are written
 * straight into D1 (days in the future, so nothing else in the file lands on them); one case goes
 * through the API end to end.
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, json, login, newUid, slotAt, testEnv } from "../support/client";
import { post } from "../support/voucher-kit";

const STATS = "/api/voucher/stats";
const H = 3_600_000;
const DAY = 24 * H;
const D = Date.parse("2031-03-10T00:00:00Z");

const stats = (session: string | null, q: Record<string, string | number> = {}) => {
  const qs = new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return json(qs ? `${STATS}?${qs}` : STATS, session ? { session } : {});
};

function voucher(id: string, issuer: string, status: string, from: number, until: number, duration = 60, updatedAt = from) {
  return testEnv.DB.prepare(
    `INSERT INTO vouchers (id, issuer_uid, holder_uid, service_type, title, duration_minutes, valid_from, valid_until, status, transferable, created_at, updated_at)
     VALUES (?, ?, NULL, 'consulting.session', 't', ?, ?, ?, ?, 0, ?, ?)`,
  ).bind(id, issuer, duration, from, until, status, from - DAY, updatedAt);
}

function booking(
  id: string,
  voucherId: string,
  issuer: string,
  b: { status: string; slot: number; createdAt: number; cancelledAt?: number; from?: string },
) {
  return testEnv.DB.prepare(
    `INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, origin_booking_id, rescheduled_from_id, created_at, cancelled_at, updated_at)
     VALUES (?, ?, ?, 'someone', ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).bind(
    id,
    voucherId,
    issuer,
    b.slot,
    b.slot + H,
    b.status,
    b.from ?? id,
    b.from ?? null,
    b.createdAt,
    b.cancelledAt ?? null,
    b.createdAt,
  );
}

describe("GET /api/voucher/stats", () => {
  it("counts the caller's vouchers, per-day activity and utilization; another issuer's rows never count", async () => {
    const me = await login();
    const other = await login();
    const id = (s: string) => `v-${s}-${newUid()}`;
    const [v1, v2, v3, v4, vo] = [id("v1"), id("v2"), id("v3"), id("v4"), id("vo")];
    await testEnv.DB.batch([
      // 10 slots (starts 0…9 h), 3 slots (90 min within 4 h: starts 0, 1, 2 h), a cancelled one
      // (offers nothing), one redeemed on day 2 whose validity lies before the window.
      voucher(v1, me.uid, "issued", D, D + 10 * H),
      voucher(v2, me.uid, "booked", D + DAY, D + DAY + 4 * H, 90),
      voucher(v3, me.uid, "cancelled", D, D + 5 * H),
      voucher(v4, me.uid, "consumed", D - 10 * DAY, D - 9 * DAY, 60, D + DAY + H),
      voucher(vo, other.uid, "consumed", D, D + 10 * H, 60, D + DAY + H),
      booking(`b1-${v2}`, v2, me.uid, { status: "booked", slot: D + DAY, createdAt: D + H }),
      booking(`b2-${v1}`, v1, me.uid, {
        status: "cancelled",
        slot: D + 3 * H,
        createdAt: D + 2 * H,
        cancelledAt: D + DAY + 3 * H,
      }),
      // A reschedule: a booked slot, but no new booking.
      booking(`b3-${v1}`, v1, me.uid, { status: "booked", slot: D + 5 * H, createdAt: D + DAY + 5 * H, from: `b0-${v1}` }),
      booking(`bo-${vo}`, vo, other.uid, { status: "cancelled", slot: D + H, createdAt: D + H, cancelledAt: D + 2 * H }),
    ]);

    const r = await stats(me.session, { from: "2031-03-10", to: "2031-03-12" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toEqual({
      ok: true,
      from: "2031-03-10T00:00:00.000Z",
      to: "2031-03-12T00:00:00.000Z",
      vouchers: { total: 4, issued: 1, booked: 1, consumed: 1, cancelled: 1, expired: 0 },
      perDay: [
        { day: "2031-03-10", bookings: 2, cancellations: 0, redemptions: 0 },
        { day: "2031-03-11", bookings: 0, cancellations: 1, redemptions: 1 },
      ],
      utilization: { bookedSlots: 2, offeredSlots: 13, ratePpm: 153_846 },
    });

    // A window inside the first voucher's day: starts 3, 4, 5 h offered, the 5 h one booked.
    const narrow = await stats(me.session, { from: D + 2 * H + 30 * 60_000, to: D + 6 * H });
    expect(narrow.body.utilization).toEqual({ bookedSlots: 1, offeredSlots: 3, ratePpm: 333_333 });
    expect(narrow.body.perDay).toEqual([{ day: "2031-03-10", bookings: 0, cancellations: 0, redemptions: 0 }]);

    // Nothing offered: the rate is null, not a division by zero.
    const empty = await stats(me.session, { from: "2031-04-01", to: "2031-04-02" });
    expect(empty.body.utilization).toEqual({ bookedSlots: 0, offeredSlots: 0, ratePpm: null });

    // The other issuer sees only its own voucher and booking.
    const theirs = await stats(other.session, { from: "2031-03-10", to: "2031-03-12" });
    expect(theirs.body.vouchers).toEqual({ total: 1, issued: 0, booked: 0, consumed: 1, cancelled: 0, expired: 0 });
    expect(theirs.body.perDay).toEqual([
      { day: "2031-03-10", bookings: 1, cancellations: 1, redemptions: 0 },
      { day: "2031-03-11", bookings: 0, cancellations: 0, redemptions: 1 },
    ]);
  });

  it("through the API: an issued voucher and a booking show up today; the holder's stats stay empty", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, {}, 24);
    expect(
      (
        await post("/api/voucher/book", holder, {
          voucherId: voucher.voucherId,
          slotId: slotAt(validFrom, 2),
          holderUid: holder.uid,
        })
      ).status,
    ).toBe(200);
    const r = await stats(issuer.session, { from: Date.now() - DAY, to: validFrom + 24 * H });
    expect(r.status).toBe(200);
    expect(r.body.vouchers).toMatchObject({ total: 1, booked: 1 });
    expect(r.body.perDay.reduce((n: number, d: { bookings: number }) => n + d.bookings, 0)).toBe(1);
    // 24 hourly starts of a 60-minute voucher valid 24 h, one booked.
    expect(r.body.utilization).toEqual({ bookedSlots: 1, offeredSlots: 24, ratePpm: 41_666 });
    const h = await stats(holder.session);
    expect(h.body.vouchers.total).toBe(0);
    expect(h.body.utilization.offeredSlots).toBe(0);
  });

  it("refuses no session (401, also in compat with an asserted uid) and a bad window (400)", async () => {
    const me = await login();
    expect((await stats(null)).status).toBe(401);
    const compat = { ...testEnv, AUTH_MODE: "compat" } as Env;
    expect((await json(`${STATS}?issuerUid=${me.uid}`, { headers: { "x-mot-user": me.uid } }, compat)).status).toBe(401);
    const bad = await stats(me.session, { from: "2031-03-12", to: "2031-03-10" });
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: "invalid_range" });
    const long = await stats(me.session, { from: "2030-01-01", to: "2031-03-10" });
    expect({ status: long.status, code: long.body.code }).toEqual({ status: 400, code: "invalid_range" });
  });
});
