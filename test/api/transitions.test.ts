/**
 * The voucher transition matrix: every voucher status × every action. Allowed actions answer 200
 * and change the stored state; illegal ones answer 409 `invalid_transition {from, to}` (or the
 * documented more specific code) and leave every row (voucher, bookings, events, fee events)
 * exactly as it was. `expired` and `cancelled` are states no route produces yet, so they are set
 * directly in D1.
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, login, newUid, slotAt } from "../support/client";
import { type Who, bookingRows, forceVoucherStatus, post, rows, voucherRow } from "../support/voucher-kit";

type Status = "issued" | "booked" | "consumed" | "expired" | "cancelled";
type Action = "book" | "cancel" | "reschedule" | "redeem" | "transfer";

interface Fixture {
  issuer: Who;
  holder: Who;
  voucherId: string;
  validFrom: number;
  /** The voucher's (latest) booking. */
  bookingId: string;
}

/** Expected outcome of one cell. */
type Outcome =
  | { status: 200; voucher: Status; check?: (f: Fixture, body: Record<string, any>) => Promise<void> | void }
  | { status: 409; code: string; details?: { from: string; to: string } };

const refuse = (from: string, to: string): Outcome => ({ status: 409, code: "invalid_transition", details: { from, to } });

/**
 * Brings a fresh voucher (holder set at issue, transferable, priced) into `status`. Every fixture
 * has a booking, so cancel and reschedule always have a target:
 * - issued: booked once, then cancelled (the voucher is `issued` again, its booking `cancelled`);
 * - booked: one active booking;
 * - consumed: booked, then redeemed (the booking is `completed`);
 * - expired / cancelled: booked, then the voucher's status is set in D1 (booking stays `booked`).
 */
async function fixture(status: Status): Promise<Fixture> {
  const issuer = await login();
  const holder = await login();
  const { voucher, validFrom } = await issueVoucher(issuer, { holderUid: holder.uid });
  const voucherId: string = voucher.voucherId;
  const b = await post("/api/voucher/book", holder, { voucherId, slotId: slotAt(validFrom, 0), holderUid: holder.uid });
  expect(b.status).toBe(200);
  const bookingId: string = b.body.booking.bookingId;
  if (status === "issued") {
    expect((await post("/api/voucher/cancel", holder, { bookingId })).status).toBe(200);
  } else if (status === "consumed") {
    expect((await post("/api/voucher/redeem", issuer, { voucherId })).status).toBe(200);
  } else if (status === "expired" || status === "cancelled") {
    await forceVoucherStatus(voucherId, status);
  }
  expect((await voucherRow(voucherId))?.status).toBe(status);
  return { issuer, holder, voucherId, validFrom, bookingId };
}

function act(action: Action, f: Fixture) {
  switch (action) {
    case "book":
      return post("/api/voucher/book", f.holder, {
        voucherId: f.voucherId,
        slotId: slotAt(f.validFrom, 3),
        holderUid: f.holder.uid,
      });
    case "cancel":
      return post("/api/voucher/cancel", f.holder, { bookingId: f.bookingId });
    case "reschedule":
      return post("/api/voucher/reschedule", f.holder, { bookingId: f.bookingId, slotId: slotAt(f.validFrom, 4) });
    case "redeem":
      return post("/api/voucher/redeem", f.issuer, { voucherId: f.voucherId });
    case "transfer":
      return post("/api/voucher/transfer", f.holder, { voucherId: f.voucherId, toUid: `to-${f.voucherId}` });
  }
}

/** Everything an action could touch, to prove a refusal changed nothing. */
async function snapshot(voucherId: string) {
  const voucher = await voucherRow(voucherId);
  const bookings = await bookingRows(voucherId);
  const ids = [voucherId, ...bookings.map((b) => b.id as string)];
  const marks = ids.map(() => "?").join(",");
  const events = await rows(`SELECT id, type FROM events WHERE subject_id IN (${marks}) ORDER BY id`, ...ids);
  const fees = await rows(`SELECT id, kind, amount FROM fee_events WHERE subject_id IN (${marks}) ORDER BY id`, ...ids);
  return { voucher, bookings, events, fees };
}

const MATRIX: Record<Status, Record<Action, Outcome>> = {
  issued: {
    book: {
      status: 200,
      voucher: "booked",
      check: (f, body) => {
        expect(body.booking.status).toBe("booked");
        expect(body.booking.slotId).toBe(slotAt(f.validFrom, 3));
      },
    },
    // The voucher's booking is already cancelled: a repeat cancel is an idempotent no-op.
    cancel: { status: 200, voucher: "issued", check: (_f, body) => expect(body.alreadyCancelled).toBe(true) },
    reschedule: refuse("cancelled", "rescheduled"),
    redeem: { status: 200, voucher: "consumed" },
    transfer: {
      status: 200,
      voucher: "issued",
      check: async (f) => expect((await voucherRow(f.voucherId))?.holder_uid).toBe(`to-${f.voucherId}`),
    },
  },
  booked: {
    // One active booking per voucher: the more specific 409 of the booking rules.
    book: { status: 409, code: "voucher_already_booked" },
    cancel: {
      status: 200,
      voucher: "issued",
      check: async (f, body) => {
        expect(body.alreadyCancelled).toBe(false);
        expect((await bookingRows(f.voucherId)).map((b) => b.status)).toEqual(["cancelled"]);
      },
    },
    reschedule: {
      status: 200,
      voucher: "booked",
      check: async (f, body) => {
        expect(body.booking.rescheduledFromId).toBe(f.bookingId);
        const stored = await bookingRows(f.voucherId);
        expect(stored.map((b) => b.status).sort()).toEqual(["booked", "rescheduled"]);
      },
    },
    redeem: {
      status: 200,
      voucher: "consumed",
      check: async (f) => expect((await bookingRows(f.voucherId)).map((b) => b.status)).toEqual(["completed"]),
    },
    transfer: refuse("booked", "transferred"),
  },
  consumed: {
    book: refuse("consumed", "booked"),
    cancel: refuse("completed", "cancelled"),
    reschedule: refuse("completed", "rescheduled"),
    redeem: refuse("consumed", "consumed"),
    transfer: refuse("consumed", "transferred"),
  },
  expired: {
    book: refuse("expired", "booked"),
    cancel: refuse("expired", "issued"),
    reschedule: refuse("expired", "booked"),
    redeem: refuse("expired", "consumed"),
    transfer: refuse("expired", "transferred"),
  },
  cancelled: {
    book: refuse("cancelled", "booked"),
    cancel: refuse("cancelled", "issued"),
    reschedule: refuse("cancelled", "booked"),
    redeem: refuse("cancelled", "consumed"),
    transfer: refuse("cancelled", "transferred"),
  },
};

const CELLS = Object.entries(MATRIX).flatMap(([status, actions]) =>
  Object.entries(actions).map(([action, outcome]) => ({ status: status as Status, action: action as Action, outcome })),
);

describe("voucher transition matrix", () => {
  it("covers every status × action", () => {
    expect(CELLS).toHaveLength(25);
  });

  it.each(CELLS)("$status × $action", async ({ status, action, outcome }) => {
    const f = await fixture(status);
    const before = await snapshot(f.voucherId);
    const res = await act(action, f);
    expect(res.status, JSON.stringify(res.body)).toBe(outcome.status);
    if (outcome.status === 200) {
      expect(res.body.ok).toBe(true);
      expect((await voucherRow(f.voucherId))?.status).toBe(outcome.voucher);
      if (res.body.voucher) expect(res.body.voucher.status).toBe(outcome.voucher);
      await outcome.check?.(f, res.body);
    } else {
      expect(res.body.ok).toBe(false);
      expect(res.body.code).toBe(outcome.code);
      if (outcome.details) expect(res.body.details).toEqual(outcome.details);
      // A refusal leaves every row as it was.
      expect(await snapshot(f.voucherId)).toEqual(before);
    }
  });
});

describe("vouchers without any booking", () => {
  const STATES = ["issued", "expired", "cancelled", "consumed"] as const;

  async function bare(status: (typeof STATES)[number]) {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { holderUid: holder.uid });
    if (status === "consumed")
      expect((await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId })).status).toBe(200);
    else if (status !== "issued") await forceVoucherStatus(voucher.voucherId, status);
    return { issuer, holder, voucherId: voucher.voucherId as string, validFrom };
  }

  it.each(STATES)("%s: cancel by voucherId finds no booking (404)", async (status) => {
    const f = await bare(status);
    const before = await snapshot(f.voucherId);
    const res = await post("/api/voucher/cancel", f.holder, { voucherId: f.voucherId });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("booking_not_found");
    expect(await snapshot(f.voucherId)).toEqual(before);
  });

  it.each(STATES.filter((s) => s !== "issued"))("%s: book, redeem, transfer → 409 invalid_transition", async (status) => {
    const f = await bare(status);
    const before = await snapshot(f.voucherId);
    const attempts: Array<[() => ReturnType<typeof post>, string]> = [
      [
        () =>
          post("/api/voucher/book", f.holder, {
            voucherId: f.voucherId,
            slotId: slotAt(f.validFrom, 1),
            holderUid: f.holder.uid,
          }),
        "booked",
      ],
      [() => post("/api/voucher/redeem", f.issuer, { voucherId: f.voucherId }), "consumed"],
      [() => post("/api/voucher/transfer", f.holder, { voucherId: f.voucherId, toUid: newUid() }), "transferred"],
    ];
    for (const [attempt, to] of attempts) {
      const res = await attempt();
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.code).toBe("invalid_transition");
      expect(res.body.details).toEqual({ from: status, to });
    }
    expect(await snapshot(f.voucherId)).toEqual(before);
  });
});
