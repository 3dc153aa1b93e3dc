/**
 * Every voucher & slot route, success and error paths, checked on the responses AND on the rows
 * left in D1.
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, json, login, newUid, slotAt } from "../support/client";
import {
  HOUR,
  MINUTE,
  type Who,
  bookingRows,
  count,
  eventsOf,
  feeRowsOfVoucher,
  get,
  post,
  voucherEvents,
  voucherRow,
} from "../support/voucher-kit";

const nextHour = () => Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
const iso = (t: number) => new Date(t).toISOString();

/** Issues with explicit validity; returns the response. */
function issue(who: Who, body: Record<string, unknown>) {
  return post("/api/voucher/issue", who, { issuerUid: who.uid, ...body });
}

function book(who: Who, voucherId: string, slotId: string) {
  return post("/api/voucher/book", who, { voucherId, slotId, holderUid: who.uid });
}

function expectError(res: { status: number; body: Record<string, any> }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.ok).toBe(false);
  expect(res.body.code).toBe(code);
  expect(typeof res.body.error).toBe("string");
}

// ── issue ────────────────────────────────────────────────────────────────────────────────────

describe("POST /api/voucher/issue", () => {
  it("issues a voucher with explicit fields and stores it as epoch-ms row", async () => {
    const issuer = await login();
    const from = nextHour();
    const voucherId = `v-${newUid()}`;
    const res = await issue(issuer, {
      voucherId,
      title: "Two hours of advice",
      description: "bring papers",
      serviceType: "consulting.session",
      durationMinutes: 90,
      validFrom: iso(from),
      validUntil: iso(from + 10 * HOUR),
      price: { amount: 12_345, currency: "EUR" },
      transferable: false,
      terms: { cancellation: "24h" },
    });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    const v = res.body.voucher;
    expect(v).toMatchObject({
      voucherId,
      issuerUid: issuer.uid,
      holderUid: null,
      templateId: null,
      serviceType: "consulting.session",
      title: "Two hours of advice",
      description: "bring papers",
      durationMinutes: 90,
      validFrom: iso(from),
      validUntil: iso(from + 10 * HOUR),
      price: { amount: 12_345, currency: "EUR" },
      status: "issued",
      transferable: false,
      terms: { cancellation: "24h" },
    });
    const stored = await voucherRow(voucherId);
    expect(stored).toMatchObject({
      issuer_uid: issuer.uid,
      holder_uid: null,
      duration_minutes: 90,
      valid_from: from,
      valid_until: from + 10 * HOUR,
      price_amount: 12_345,
      price_currency: "EUR",
      status: "issued",
      transferable: 0,
    });
    expect(JSON.parse(stored?.terms)).toEqual({ cancellation: "24h" });
    expect(await eventsOf(voucherId, "voucher.issue")).toHaveLength(1);
  });

  it("applies defaults: generated id, 60 minutes, 7 days from now, no price, transferable, no holder", async () => {
    const issuer = await login();
    const before = Date.now();
    const res = await issue(issuer, {});
    const after = Date.now();
    expect(res.status).toBe(200);
    const v = res.body.voucher;
    expect(v.voucherId).toMatch(/^v-/);
    expect(v.durationMinutes).toBe(60);
    expect(v.price).toBeNull();
    expect(v.transferable).toBe(true);
    expect(v.holderUid).toBeNull();
    expect(v.templateId).toBeNull();
    expect(v.status).toBe("issued");
    const stored = await voucherRow(v.voucherId);
    expect(stored?.valid_from).toBeGreaterThanOrEqual(before);
    expect(stored?.valid_from).toBeLessThanOrEqual(after);
    expect(stored?.valid_until - stored?.valid_from).toBe(7 * 24 * HOUR);
    expect(stored?.price_amount).toBeNull();
    expect(stored?.price_currency).toBeNull();
  });

  it("fills defaults from templateId, explicit fields win", async () => {
    const issuer = await login();
    const from = nextHour();
    const res = await issue(issuer, { templateId: "therapy.session", validFrom: iso(from), validUntil: iso(from + 5 * HOUR) });
    expect(res.status).toBe(200);
    expect(res.body.voucher).toMatchObject({
      templateId: "therapy.session",
      serviceType: "therapy.session",
      title: "Therapiesitzung",
      durationMinutes: 50,
      terms: { template: "therapy.session" },
    });
    const over = await issue(issuer, {
      templateId: "membership.access",
      title: "Own title",
      durationMinutes: 30,
      validFrom: iso(from),
      validUntil: iso(from + 5 * HOUR),
    });
    expect(over.status).toBe(200);
    expect(over.body.voucher).toMatchObject({
      templateId: "membership.access",
      serviceType: "membership.access",
      title: "Own title",
      durationMinutes: 30,
    });
    const stored = await voucherRow(over.body.voucher.voucherId);
    expect(stored?.template_id).toBe("membership.access");
    expect(stored?.duration_minutes).toBe(30);
  });

  it("refuses an unknown templateId with 400 unknown_template and writes nothing", async () => {
    const issuer = await login();
    const voucherId = `v-${newUid()}`;
    expectError(await issue(issuer, { voucherId, templateId: "no.such.template" }), 400, "unknown_template");
    expect(await voucherRow(voucherId)).toBeUndefined();
  });

  it("requires validFrom < validUntil", async () => {
    const issuer = await login();
    const from = nextHour();
    for (const until of [from, from - HOUR]) {
      const voucherId = `v-${newUid()}`;
      expectError(await issue(issuer, { voucherId, validFrom: iso(from), validUntil: iso(until) }), 400, "invalid_validity");
      expect(await voucherRow(voucherId)).toBeUndefined();
    }
  });

  it("requires the duration to fit into the validity window", async () => {
    const issuer = await login();
    const from = nextHour();
    expectError(
      await issue(issuer, { durationMinutes: 120, validFrom: iso(from), validUntil: iso(from + HOUR) }),
      400,
      "invalid_validity",
    );
  });

  it("accepts durationMinutes 1 and 1440, refuses 0, 1441, fractions and strings", async () => {
    const issuer = await login();
    const from = nextHour();
    const window = { validFrom: iso(from), validUntil: iso(from + 48 * HOUR) };
    for (const ok of [1, 1440]) {
      const res = await issue(issuer, { ...window, durationMinutes: ok });
      expect(res.status).toBe(200);
      expect(res.body.voucher.durationMinutes).toBe(ok);
    }
    for (const bad of [0, -5, 1441, 1.5, "60", null]) {
      const voucherId = `v-${newUid()}`;
      const res = await issue(issuer, { ...window, voucherId, durationMinutes: bad });
      expectError(res, 400, "validation_failed");
      expect(await voucherRow(voucherId)).toBeUndefined();
    }
  });

  it("takes price as integer minor units with an ISO 4217 currency", async () => {
    const issuer = await login();
    const ok = await issue(issuer, { price: { amount: 1999, currency: "USD" } });
    expect(ok.status).toBe(200);
    expect(ok.body.voucher.price).toEqual({ amount: 1999, currency: "USD" });
    const zero = await issue(issuer, { price: { amount: 500, currency: "JPY" } });
    expect(zero.status).toBe(200);
    const none = await issue(issuer, { price: null });
    expect(none.status).toBe(200);
    expect(none.body.voucher.price).toBeNull();
    const bad = [
      { amount: 12.5, currency: "EUR" },
      { amount: -1, currency: "EUR" },
      { amount: "100", currency: "EUR" },
      { amount: 100, currency: "EURO" },
      { amount: 100, currency: "eur" },
      { amount: 100, currency: "XYZ" },
      { amount: 100 },
      { amount: 100, currency: "EUR", extra: 1 },
      { amount: Number.MAX_SAFE_INTEGER + 1, currency: "EUR" },
    ];
    for (const price of bad) {
      const voucherId = `v-${newUid()}`;
      expectError(await issue(issuer, { voucherId, price }), 400, "validation_failed");
      expect(await voucherRow(voucherId)).toBeUndefined();
    }
  });

  it('accepts status "issued" only; any other status is 400', async () => {
    const issuer = await login();
    const ok = await issue(issuer, { status: "issued" });
    expect(ok.status).toBe(200);
    expect(ok.body.voucher.status).toBe("issued");
    for (const status of ["booked", "consumed", "cancelled", "expired", "ISSUED", 1]) {
      const voucherId = `v-${newUid()}`;
      expectError(await issue(issuer, { voucherId, status }), 400, "validation_failed");
      expect(await voucherRow(voucherId)).toBeUndefined();
    }
  });

  it("a taken voucherId is 409 voucher_exists and leaves the first voucher untouched", async () => {
    const issuer = await login();
    const other = await login();
    const voucherId = `v-${newUid()}`;
    expect((await issue(issuer, { voucherId, title: "first" })).status).toBe(200);
    expectError(await issue(issuer, { voucherId, title: "second" }), 409, "voucher_exists");
    expectError(await issue(other, { voucherId, title: "third" }), 409, "voucher_exists");
    const stored = await voucherRow(voucherId);
    expect(stored?.title).toBe("first");
    expect(stored?.issuer_uid).toBe(issuer.uid);
    expect(await eventsOf(voucherId, "voucher.issue")).toHaveLength(1);
  });

  it("issuerUid must be the session's uid (403 uid_mismatch)", async () => {
    const issuer = await login();
    const voucherId = `v-${newUid()}`;
    const res = await post("/api/voucher/issue", issuer, { issuerUid: newUid(), voucherId });
    expectError(res, 403, "uid_mismatch");
    expect(await voucherRow(voucherId)).toBeUndefined();
  });

  it("needs a session (401) and refuses an invalid one (401)", async () => {
    const voucherId = `v-${newUid()}`;
    expectError(await post("/api/voucher/issue", null, { issuerUid: newUid(), voucherId }), 401, "unauthenticated");
    expectError(
      await post("/api/voucher/issue", { uid: "x", session: "not-a-session" }, { issuerUid: newUid(), voucherId }),
      401,
      "invalid_session",
    );
    expect(await voucherRow(voucherId)).toBeUndefined();
  });

  it("refuses unknown fields, bad ids and malformed instants", async () => {
    const issuer = await login();
    for (const extra of [
      { unknownField: 1 },
      { voucherId: "has space" },
      { voucherId: "" },
      { validFrom: "tomorrow" },
      { validFrom: "2026-01-01T10:00:00" },
      { holderUid: "bad uid!" },
      { transferable: "yes" },
      { terms: "x" },
    ]) {
      expectError(await issue(issuer, extra), 400, "validation_failed");
    }
  });

  it("can name a holder at issue time", async () => {
    const issuer = await login();
    const holder = newUid();
    const res = await issue(issuer, { holderUid: holder });
    expect(res.status).toBe(200);
    expect(res.body.voucher.holderUid).toBe(holder);
    expect((await voucherRow(res.body.voucher.voucherId))?.holder_uid).toBe(holder);
  });
});

// ── list ─────────────────────────────────────────────────────────────────────────────────────

describe("GET /api/voucher/list", () => {
  it("lists only vouchers the caller issued or holds, with filters", async () => {
    const me = await login();
    const other = await login();
    const mine1 = (await issueVoucher(me)).voucher.voucherId;
    const mine2 = (await issueVoucher(me, { holderUid: other.uid })).voucher.voucherId;
    const held = (await issueVoucher(other, { holderUid: me.uid })).voucher.voucherId;
    const foreign = (await issueVoucher(other)).voucher.voucherId;

    const all = await get("/api/voucher/list", me);
    expect(all.status).toBe(200);
    expect(all.body.ok).toBe(true);
    const ids = all.body.items.map((v: any) => v.voucherId);
    expect(new Set(ids)).toEqual(new Set([mine1, mine2, held]));
    expect(ids).not.toContain(foreign);
    expect(all.body.nextCursor).toBeNull();

    const issued = await get("/api/voucher/list", me, { issuerUid: me.uid });
    expect(new Set(issued.body.items.map((v: any) => v.voucherId))).toEqual(new Set([mine1, mine2]));

    const holding = await get("/api/voucher/list", me, { holderUid: me.uid });
    expect(holding.body.items.map((v: any) => v.voucherId)).toEqual([held]);

    const otherView = await get("/api/voucher/list", other);
    expect(new Set(otherView.body.items.map((v: any) => v.voucherId))).toEqual(new Set([mine2, held, foreign]));
  });

  it("filters by status", async () => {
    const me = await login();
    const a = await issueVoucher(me);
    const b = await issueVoucher(me);
    expect((await book(me, a.voucher.voucherId, slotAt(a.validFrom, 0))).status).toBe(200);
    const booked = await get("/api/voucher/list", me, { status: "booked" });
    expect(booked.body.items.map((v: any) => v.voucherId)).toEqual([a.voucher.voucherId]);
    expect(booked.body.items[0].status).toBe("booked");
    const issued = await get("/api/voucher/list", me, { status: "issued" });
    expect(issued.body.items.map((v: any) => v.voucherId)).toEqual([b.voucher.voucherId]);
    expect((await get("/api/voucher/list", me, { status: "consumed" })).body.items).toEqual([]);
    expectError(await get("/api/voucher/list", me, { status: "lost" }), 400, "validation_failed");
  });

  it("paginates newest first with limit and cursor", async () => {
    const me = await login();
    const issued: string[] = [];
    for (let i = 0; i < 5; i++) issued.push((await issueVoucher(me)).voucher.voucherId);
    const seen: any[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get("/api/voucher/list", me, { limit: 2, cursor });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.map((v) => v.voucherId).sort()).toEqual([...issued].sort());
    // Newest first: created_at descending, then id descending.
    const keys = seen.map((v) => [Date.parse(v.createdAt), v.voucherId] as const);
    const sorted = [...keys].sort((x, y) => y[0] - x[0] || (y[1] < x[1] ? -1 : y[1] > x[1] ? 1 : 0));
    expect(keys).toEqual(sorted);
    const exact = await get("/api/voucher/list", me, { limit: 5 });
    expect(exact.body.items).toHaveLength(5);
    expect(exact.body.nextCursor).toBeNull();
  });

  it("refuses a foreign uid in a filter (403), no session (401), bad limit or cursor (400)", async () => {
    const me = await login();
    expectError(await get("/api/voucher/list", me, { issuerUid: newUid() }), 403, "uid_mismatch");
    expectError(await get("/api/voucher/list", me, { holderUid: newUid() }), 403, "uid_mismatch");
    expectError(await get("/api/voucher/list", null), 401, "unauthenticated");
    expectError(await get("/api/voucher/list", me, { limit: 0 }), 400, "validation_failed");
    expectError(await get("/api/voucher/list", me, { limit: 101 }), 400, "validation_failed");
    expectError(await get("/api/voucher/list", me, { limit: "ten" }), 400, "validation_failed");
    expectError(await get("/api/voucher/list", me, { cursor: "garbage!!" }), 400, "invalid_cursor");
    expectError(await get("/api/voucher/list", me, { bogus: "1" }), 400, "validation_failed");
  });
});

// ── templates ────────────────────────────────────────────────────────────────────────────────

describe("GET /api/voucher/templates", () => {
  it("returns the five seeded templates without a session", async () => {
    const res = await get("/api/voucher/templates", null);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    const byId = Object.fromEntries(res.body.items.map((t: any) => [t.templateId, t]));
    expect(Object.keys(byId).sort()).toEqual(
      ["consulting.session", "machine.timeslot", "membership.access", "realestate.viewing", "therapy.session"].sort(),
    );
    expect(byId["consulting.session"].durationMinutes).toBe(60);
    expect(byId["therapy.session"].durationMinutes).toBe(50);
    expect(byId["realestate.viewing"].durationMinutes).toBe(45);
    expect(byId["machine.timeslot"].durationMinutes).toBe(60);
    expect(byId["membership.access"].durationMinutes).toBe(1440);
    for (const t of res.body.items) {
      expect(t.serviceType).toBe(t.templateId);
      expect(typeof t.title).toBe("string");
      expect(typeof t.terms).toBe("object");
    }
    const stored = await count("voucher_templates");
    expect(stored).toBe(5);
  });
});

// ── slots ────────────────────────────────────────────────────────────────────────────────────

describe("GET /api/slots/available", () => {
  it("lays the grid from validFrom in 60-minute steps, duration long, inside validity", async () => {
    const issuer = await login();
    const from = nextHour() + 17 * MINUTE; // off the full hour: the grid follows validFrom
    const res = await issue(issuer, { durationMinutes: 45, validFrom: iso(from), validUntil: iso(from + 3 * HOUR) });
    const voucherId = res.body.voucher.voucherId;
    const slots = await get("/api/slots/available", null, { voucherId });
    expect(slots.status).toBe(200);
    expect(slots.body.ok).toBe(true);
    expect(slots.body.items).toEqual(
      [0, 1, 2].map((n) => ({
        slotId: `slot-${iso(from + n * HOUR)}`,
        voucherId,
        start: iso(from + n * HOUR),
        end: iso(from + n * HOUR + 45 * MINUTE),
      })),
    );
    expect(slots.body.nextSlotId).toBeNull();

    // 90 minutes in a 3-hour window: the third start would end after validUntil.
    const long = await issue(issuer, { durationMinutes: 90, validFrom: iso(from), validUntil: iso(from + 3 * HOUR) });
    const longSlots = await get("/api/slots/available", null, { voucherId: long.body.voucher.voucherId });
    expect(longSlots.body.items.map((s: any) => s.start)).toEqual([iso(from), iso(from + HOUR)]);
    expect(longSlots.body.items[1].end).toBe(iso(from + HOUR + 90 * MINUTE));
  });

  it("excludes past slots", async () => {
    const issuer = await login();
    const from = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
    const res = await issue(issuer, { validFrom: iso(from), validUntil: iso(from + 10 * HOUR) });
    const before = Date.now();
    const slots = await get("/api/slots/available", null, { voucherId: res.body.voucher.voucherId });
    const after = Date.now();
    expect(slots.status).toBe(200);
    // Everything on the grid after the server's clock reading (somewhere in [before, after]), nothing before it.
    const gridAfter = (now: number) => {
      const starts: string[] = [];
      for (let t = from; t + HOUR <= from + 10 * HOUR; t += HOUR) if (t > now) starts.push(iso(t));
      return starts;
    };
    const starts = slots.body.items.map((s: any) => s.start);
    expect(starts.length).toBeGreaterThan(0);
    expect([gridAfter(before), gridAfter(after)]).toContainEqual(starts);
    for (const s of starts) expect(Date.parse(s)).toBeGreaterThan(before);
  });

  it("excludes the booked slot while booked and shows it again after cancel", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, {}, 4);
    const before = await get("/api/slots/available", holder, { voucherId: voucher.voucherId });
    expect(before.body.items).toHaveLength(4);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    expect(b.status).toBe(200);
    const during = await get("/api/slots/available", holder, { voucherId: voucher.voucherId });
    expect(during.status).toBe(200);
    expect(during.body.items.map((s: any) => s.slotId)).not.toContain(slotAt(validFrom, 1));
    const c = await post("/api/voucher/cancel", holder, { bookingId: b.body.booking.bookingId });
    expect(c.status).toBe(200);
    const after = await get("/api/slots/available", holder, { voucherId: voucher.voucherId });
    expect(after.body.items.map((s: any) => s.slotId)).toEqual([0, 1, 2, 3].map((n) => slotAt(validFrom, n)));
  });

  it("pages with from/limit and nextSlotId", async () => {
    const issuer = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, {}, 5);
    const p1 = await get("/api/slots/available", null, { voucherId: voucher.voucherId, limit: 2 });
    expect(p1.body.items.map((s: any) => s.slotId)).toEqual([slotAt(validFrom, 0), slotAt(validFrom, 1)]);
    expect(p1.body.nextSlotId).toBe(slotAt(validFrom, 2));
    const p2 = await get("/api/slots/available", null, {
      voucherId: voucher.voucherId,
      limit: 2,
      from: iso(validFrom + 2 * HOUR),
    });
    expect(p2.body.items.map((s: any) => s.slotId)).toEqual([slotAt(validFrom, 2), slotAt(validFrom, 3)]);
    expect(p2.body.nextSlotId).toBe(slotAt(validFrom, 4));
    const p3 = await get("/api/slots/available", null, {
      voucherId: voucher.voucherId,
      limit: 2,
      from: iso(validFrom + 4 * HOUR),
    });
    expect(p3.body.items.map((s: any) => s.slotId)).toEqual([slotAt(validFrom, 4)]);
    expect(p3.body.nextSlotId).toBeNull();
    // `from` between grid points rounds up to the next grid start.
    const mid = await get("/api/slots/available", null, { voucherId: voucher.voucherId, from: iso(validFrom + 90 * MINUTE) });
    expect(mid.body.items[0].slotId).toBe(slotAt(validFrom, 2));
  });

  it("404 for an unknown voucher, 400 for bad queries", async () => {
    expectError(await get("/api/slots/available", null, { voucherId: `v-${newUid()}` }), 404, "voucher_not_found");
    expectError(await get("/api/slots/available", null, {}), 400, "validation_failed");
    expectError(await get("/api/slots/available", null, { voucherId: "bad id" }), 400, "validation_failed");
    expectError(await get("/api/slots/available", null, { voucherId: "v-x", from: "soon" }), 400, "validation_failed");
    expectError(await get("/api/slots/available", null, { voucherId: "v-x", limit: 0 }), 400, "validation_failed");
  });

  it("shows no slots for a voucher that cannot be booked", async () => {
    const issuer = await login();
    const { voucher } = await issueVoucher(issuer, {}, 3);
    expect((await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId })).status).toBe(200);
    const res = await get("/api/slots/available", null, { voucherId: voucher.voucherId });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
    expect(res.body.nextSlotId).toBeNull();
  });
});

// ── book ─────────────────────────────────────────────────────────────────────────────────────

describe("POST /api/voucher/book", () => {
  it("books a slot: {ok, booking, voucher}, the booker becomes holder, rows written", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const slotId = slotAt(validFrom, 3);
    const res = await book(holder, voucher.voucherId, slotId);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.booking).toMatchObject({
      voucherId: voucher.voucherId,
      issuerUid: issuer.uid,
      holderUid: holder.uid,
      slotId,
      slotStart: iso(validFrom + 3 * HOUR),
      slotEnd: iso(validFrom + 4 * HOUR),
      status: "booked",
      cancelReason: null,
      rescheduledFromId: null,
      rescheduledToId: null,
      cancelledAt: null,
    });
    expect(res.body.voucher).toMatchObject({ voucherId: voucher.voucherId, status: "booked", holderUid: holder.uid });
    const stored = await bookingRows(voucher.voucherId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      id: res.body.booking.bookingId,
      status: "booked",
      holder_uid: holder.uid,
      issuer_uid: issuer.uid,
      slot_start: validFrom + 3 * HOUR,
      slot_end: validFrom + 4 * HOUR,
    });
    expect(await voucherRow(voucher.voucherId)).toMatchObject({ status: "booked", holder_uid: holder.uid });
  });

  it("a voucher with a holder can only be booked by that holder (403 not_holder)", async () => {
    const issuer = await login();
    const holder = await login();
    const stranger = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { holderUid: holder.uid });
    expectError(await book(stranger, voucher.voucherId, slotAt(validFrom, 0)), 403, "not_holder");
    expectError(await book(issuer, voucher.voucherId, slotAt(validFrom, 0)), 403, "not_holder");
    expect(await bookingRows(voucher.voucherId)).toHaveLength(0);
    expect(await voucherRow(voucher.voucherId)).toMatchObject({ status: "issued", holder_uid: holder.uid });
    const ok = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    expect(ok.status).toBe(200);
    expect(ok.body.voucher.holderUid).toBe(holder.uid);
  });

  it("holderUid must be the session's uid; a session is required", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const body = { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 0), holderUid: newUid() };
    expectError(await post("/api/voucher/book", holder, body), 403, "uid_mismatch");
    expectError(await post("/api/voucher/book", null, { ...body, holderUid: holder.uid }), 401, "unauthenticated");
    expect(await bookingRows(voucher.voucherId)).toHaveLength(0);
  });

  it("refuses slots off the grid, outside validity, malformed or past (400)", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, {}, 4);
    const cases: Array<[string, string]> = [
      [`slot-${iso(validFrom + 30 * MINUTE)}`, "invalid_slot"],
      [`slot-${iso(validFrom - HOUR)}`, "invalid_slot"],
      [slotAt(validFrom, 4), "invalid_slot"], // would end after validUntil
      [slotAt(validFrom, 100), "invalid_slot"],
      ["slot-not-a-date", "invalid_slot"],
      [iso(validFrom), "invalid_slot"],
      ["slot-2026-13-45T99:00:00Z", "invalid_slot"],
    ];
    for (const [slotId, code] of cases) {
      expectError(await book(holder, voucher.voucherId, slotId), 400, code);
    }
    const past = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const old = await issue(issuer, { validFrom: iso(past), validUntil: iso(past + 10 * HOUR) });
    expectError(await book(holder, old.body.voucher.voucherId, `slot-${iso(past)}`), 400, "slot_in_past");
    expectError(await book(holder, voucher.voucherId, ""), 400, "validation_failed");
    expect(await bookingRows(voucher.voucherId)).toHaveLength(0);
    expect(await bookingRows(old.body.voucher.voucherId)).toHaveLength(0);
    expect((await voucherRow(voucher.voucherId))?.status).toBe("issued");
  });

  it("404 for an unknown voucher", async () => {
    const holder = await login();
    expectError(await book(holder, `v-${newUid()}`, `slot-${iso(nextHour())}`), 404, "voucher_not_found");
  });

  it("a second booking is 409 voucher_already_booked (other slot) or slot_taken (same slot)", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const first = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    expect(first.status).toBe(200);
    expectError(await book(holder, voucher.voucherId, slotAt(validFrom, 2)), 409, "voucher_already_booked");
    expectError(await book(holder, voucher.voucherId, slotAt(validFrom, 1)), 409, "slot_taken");
    const stored = await bookingRows(voucher.voucherId);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.id).toBe(first.body.booking.bookingId);
    expect(await voucherEvents(voucher.voucherId, "voucher.book")).toHaveLength(1);
    expect(await feeRowsOfVoucher(voucher.voucherId)).toHaveLength(1);
  });

  it("refuses unknown fields and wrong types", async () => {
    const holder = await login();
    for (const body of [
      { voucherId: "v-1", slotId: "slot-x", holderUid: holder.uid, extra: true },
      { voucherId: 1, slotId: "slot-x", holderUid: holder.uid },
      { voucherId: "v-1", holderUid: holder.uid },
    ]) {
      expectError(await post("/api/voucher/book", holder, body), 400, "validation_failed");
    }
  });
});

// ── cancel ───────────────────────────────────────────────────────────────────────────────────

describe("POST /api/voucher/cancel", () => {
  it("the holder cancels by bookingId: voucher back to issued, keeps its holder, slot freed", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 2));
    const bookingId = b.body.booking.bookingId;
    const res = await post("/api/voucher/cancel", holder, { bookingId, reason: "sick" });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.alreadyCancelled).toBe(false);
    expect(res.body.booking).toMatchObject({ bookingId, status: "cancelled", cancelReason: "sick" });
    expect(res.body.booking.cancelledAt).toEqual(expect.any(String));
    expect(res.body.voucher).toMatchObject({ status: "issued", holderUid: holder.uid });
    const stored = await bookingRows(voucher.voucherId);
    expect(stored[0]).toMatchObject({ id: bookingId, status: "cancelled", cancel_reason: "sick" });
    expect(stored[0]?.cancelled_at).toEqual(expect.any(Number));
    expect(await voucherRow(voucher.voucherId)).toMatchObject({ status: "issued", holder_uid: holder.uid });

    // The same slot can be booked again at once.
    const again = await book(holder, voucher.voucherId, slotAt(validFrom, 2));
    expect(again.status).toBe(200);
    expect(again.body.booking.bookingId).not.toBe(bookingId);
    const after = await bookingRows(voucher.voucherId);
    expect(after.map((r) => r.status).sort()).toEqual(["booked", "cancelled"]);
  });

  it("the issuer cancels by voucherId", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    const res = await post("/api/voucher/cancel", issuer, { voucherId: voucher.voucherId });
    expect(res.status).toBe(200);
    expect(res.body.alreadyCancelled).toBe(false);
    expect(res.body.booking.bookingId).toBe(b.body.booking.bookingId);
    expect(res.body.booking.cancelReason).toBeNull();
    expect(await voucherRow(voucher.voucherId)).toMatchObject({ status: "issued", holder_uid: holder.uid });
    // The holder keeps the voucher: a stranger still cannot book it.
    const stranger = await login();
    expectError(await book(stranger, voucher.voucherId, slotAt(validFrom, 0)), 403, "not_holder");
  });

  it("only holder or issuer may cancel (403), the booking stays", async () => {
    const issuer = await login();
    const holder = await login();
    const stranger = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    expectError(await post("/api/voucher/cancel", stranger, { bookingId: b.body.booking.bookingId }), 403, "not_allowed");
    expectError(await post("/api/voucher/cancel", stranger, { voucherId: voucher.voucherId }), 403, "not_allowed");
    expect((await bookingRows(voucher.voucherId))[0]?.status).toBe("booked");
    expect((await voucherRow(voucher.voucherId))?.status).toBe("booked");
    expect(await voucherEvents(voucher.voucherId, "voucher.cancel")).toHaveLength(0);
  });

  it("a second cancel is 200 alreadyCancelled with no second event or reversal", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    const bookingId = b.body.booking.bookingId;
    expect((await post("/api/voucher/cancel", holder, { bookingId })).status).toBe(200);
    const stateAfterFirst = await bookingRows(voucher.voucherId);
    for (const [who, body] of [
      [holder, { bookingId }],
      [issuer, { bookingId }],
      [holder, { voucherId: voucher.voucherId }],
    ] as const) {
      const res = await post("/api/voucher/cancel", who, body);
      expect(res.status).toBe(200);
      expect(res.body.alreadyCancelled).toBe(true);
      expect(res.body.booking.status).toBe("cancelled");
      expect(res.body.voucher.status).toBe("issued");
    }
    expect(await bookingRows(voucher.voucherId)).toEqual(stateAfterFirst);
    expect(await eventsOf(bookingId, "voucher.cancel")).toHaveLength(1);
    const fees = await feeRowsOfVoucher(voucher.voucherId);
    expect(fees.filter((f) => f.kind === "reversal")).toHaveLength(1);
    expect(fees.filter((f) => f.kind === "charge")).toHaveLength(1);
  });

  it("404 for unknown booking or a voucher without bookings; 400 without ids", async () => {
    const issuer = await login();
    const { voucher } = await issueVoucher(issuer);
    expectError(await post("/api/voucher/cancel", issuer, { bookingId: `b-${newUid()}` }), 404, "booking_not_found");
    expectError(await post("/api/voucher/cancel", issuer, { voucherId: voucher.voucherId }), 404, "booking_not_found");
    expectError(await post("/api/voucher/cancel", issuer, {}), 400, "validation_failed");
    expectError(await post("/api/voucher/cancel", issuer, { reason: "x" }), 400, "validation_failed");
    expectError(await post("/api/voucher/cancel", null, { voucherId: voucher.voucherId }), 401, "unauthenticated");
  });

  it("a bookingId that belongs to another voucher than the named one is 404", async () => {
    const issuer = await login();
    const holder = await login();
    const a = await issueVoucher(issuer);
    const other = await issueVoucher(issuer);
    const b = await book(holder, a.voucher.voucherId, slotAt(a.validFrom, 0));
    expectError(
      await post("/api/voucher/cancel", holder, { bookingId: b.body.booking.bookingId, voucherId: other.voucher.voucherId }),
      404,
      "booking_not_found",
    );
    expect((await bookingRows(a.voucher.voucherId))[0]?.status).toBe("booked");
  });
});

// ── bookings list ────────────────────────────────────────────────────────────────────────────

describe("GET /api/voucher/bookings", () => {
  it("lists the caller's bookings only, newest first, paginated, with filters", async () => {
    const issuer = await login();
    const holder = await login();
    const stranger = await login();
    const made: string[] = [];
    const vouchers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { voucher, validFrom } = await issueVoucher(issuer);
      vouchers.push(voucher.voucherId);
      const b = await book(holder, voucher.voucherId, slotAt(validFrom, i));
      expect(b.status).toBe(200);
      made.push(b.body.booking.bookingId);
    }
    const foreign = await issueVoucher(stranger);
    expect((await book(stranger, foreign.voucher.voucherId, slotAt(foreign.validFrom, 0))).status).toBe(200);

    const all = await get("/api/voucher/bookings", holder);
    expect(all.status).toBe(200);
    const items = all.body.items;
    expect(new Set(items.map((b: any) => b.bookingId))).toEqual(new Set(made));
    const keys = items.map((b: any) => [Date.parse(b.createdAt), b.bookingId]);
    const sorted = [...keys].sort((x: any, y: any) => y[0] - x[0] || (y[1] < x[1] ? -1 : y[1] > x[1] ? 1 : 0));
    expect(keys).toEqual(sorted);

    // As issuer the same three bookings show up.
    const asIssuer = await get("/api/voucher/bookings", issuer, { issuerUid: issuer.uid });
    expect(new Set(asIssuer.body.items.map((b: any) => b.bookingId))).toEqual(new Set(made));
    expect((await get("/api/voucher/bookings", issuer, { holderUid: issuer.uid })).body.items).toEqual([]);

    const one = await get("/api/voucher/bookings", holder, { voucherId: vouchers[1] });
    expect(one.body.items.map((b: any) => b.bookingId)).toEqual([made[1]]);
    // Another user's voucher id yields nothing of theirs.
    expect((await get("/api/voucher/bookings", holder, { voucherId: foreign.voucher.voucherId })).body.items).toEqual([]);

    const p1 = await get("/api/voucher/bookings", holder, { limit: 2 });
    expect(p1.body.items).toHaveLength(2);
    expect(p1.body.nextCursor).toEqual(expect.any(String));
    const p2 = await get("/api/voucher/bookings", holder, { limit: 2, cursor: p1.body.nextCursor });
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body.nextCursor).toBeNull();
    expect([...p1.body.items, ...p2.body.items].map((b: any) => b.bookingId)).toEqual(items.map((b: any) => b.bookingId));
  });

  it("includes cancelled and rescheduled bookings with their status", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b1 = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    await post("/api/voucher/cancel", holder, { bookingId: b1.body.booking.bookingId });
    const b2 = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    const r = await post("/api/voucher/reschedule", holder, {
      bookingId: b2.body.booking.bookingId,
      slotId: slotAt(validFrom, 2),
    });
    expect(r.status).toBe(200);
    const res = await get("/api/voucher/bookings", holder, { voucherId: voucher.voucherId });
    const byId = Object.fromEntries(res.body.items.map((b: any) => [b.bookingId, b.status]));
    expect(byId).toEqual({
      [b1.body.booking.bookingId]: "cancelled",
      [b2.body.booking.bookingId]: "rescheduled",
      [r.body.booking.bookingId]: "booked",
    });
  });

  it("refuses foreign uids (403), no session (401), bad cursor (400)", async () => {
    const me = await login();
    expectError(await get("/api/voucher/bookings", me, { holderUid: newUid() }), 403, "uid_mismatch");
    expectError(await get("/api/voucher/bookings", me, { issuerUid: newUid() }), 403, "uid_mismatch");
    expectError(await get("/api/voucher/bookings", null), 401, "unauthenticated");
    expectError(await get("/api/voucher/bookings", me, { cursor: "@@@" }), 400, "invalid_cursor");
    expectError(await get("/api/voucher/bookings", me, { limit: 1000 }), 400, "validation_failed");
  });
});

// ── reschedule ───────────────────────────────────────────────────────────────────────────────

describe("POST /api/voucher/reschedule", () => {
  it("moves a booking atomically: old → rescheduled with rescheduledToId, new with rescheduledFromId", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    const oldId = b.body.booking.bookingId;
    const res = await post("/api/voucher/reschedule", holder, { bookingId: oldId, slotId: slotAt(validFrom, 5) });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    const next = res.body.booking;
    expect(next).toMatchObject({
      voucherId: voucher.voucherId,
      holderUid: holder.uid,
      slotId: slotAt(validFrom, 5),
      status: "booked",
      rescheduledFromId: oldId,
      rescheduledToId: null,
    });
    expect(next.bookingId).not.toBe(oldId);
    expect(res.body.previous).toMatchObject({ bookingId: oldId, status: "rescheduled", rescheduledToId: next.bookingId });
    expect(res.body.voucher.status).toBe("booked");

    const stored = Object.fromEntries((await bookingRows(voucher.voucherId)).map((r) => [r.id, r]));
    expect(stored[oldId]).toMatchObject({
      status: "rescheduled",
      rescheduled_to_id: next.bookingId,
      slot_start: validFrom + HOUR,
    });
    expect(stored[next.bookingId]).toMatchObject({
      status: "booked",
      rescheduled_from_id: oldId,
      slot_start: validFrom + 5 * HOUR,
      slot_end: validFrom + 6 * HOUR,
      origin_booking_id: oldId,
    });
    expect((await voucherRow(voucher.voucherId))?.status).toBe("booked");
    // No extra fee: still exactly the one charge of the original booking.
    const fees = await feeRowsOfVoucher(voucher.voucherId);
    expect(fees).toHaveLength(1);
    expect(fees[0]?.subject_id).toBe(oldId);
    expect(await eventsOf(next.bookingId, "voucher.reschedule")).toHaveLength(1);

    // The old slot is free again: cancel the new booking and book the old slot.
    expect((await post("/api/voucher/cancel", holder, { bookingId: next.bookingId })).status).toBe(200);
    expect((await book(holder, voucher.voucherId, slotAt(validFrom, 1))).status).toBe(200);
  });

  it("the issuer may reschedule too; a stranger may not (403)", async () => {
    const issuer = await login();
    const holder = await login();
    const stranger = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    const bookingId = b.body.booking.bookingId;
    expectError(await post("/api/voucher/reschedule", stranger, { bookingId, slotId: slotAt(validFrom, 2) }), 403, "not_allowed");
    expect((await bookingRows(voucher.voucherId)).map((r) => r.status)).toEqual(["booked"]);
    const res = await post("/api/voucher/reschedule", issuer, { bookingId, slotId: slotAt(validFrom, 2) });
    expect(res.status).toBe(200);
    expect(res.body.booking.holderUid).toBe(holder.uid);
  });

  it("into its own slot → 409 slot_taken; off-grid → 400; old booking untouched", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, {}, 6);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    const bookingId = b.body.booking.bookingId;
    const snapshot = await bookingRows(voucher.voucherId);
    expectError(await post("/api/voucher/reschedule", holder, { bookingId, slotId: slotAt(validFrom, 1) }), 409, "slot_taken");
    for (const slotId of [`slot-${iso(validFrom + 20 * MINUTE)}`, slotAt(validFrom, 6), slotAt(validFrom, -1), "slot-nope"]) {
      expectError(await post("/api/voucher/reschedule", holder, { bookingId, slotId }), 400, "invalid_slot");
    }
    expect(await bookingRows(voucher.voucherId)).toEqual(snapshot);
    expect(await voucherEvents(voucher.voucherId, "voucher.reschedule")).toHaveLength(0);
  });

  it("a moved or cancelled booking cannot be rescheduled (409 invalid_transition); unknown → 404", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 1));
    const oldId = b.body.booking.bookingId;
    const r = await post("/api/voucher/reschedule", holder, { bookingId: oldId, slotId: slotAt(validFrom, 2) });
    expect(r.status).toBe(200);
    const again = await post("/api/voucher/reschedule", holder, { bookingId: oldId, slotId: slotAt(validFrom, 3) });
    expectError(again, 409, "invalid_transition");
    expect(again.body.details).toEqual({ from: "rescheduled", to: "rescheduled" });
    await post("/api/voucher/cancel", holder, { bookingId: r.body.booking.bookingId });
    const cancelled = await post("/api/voucher/reschedule", holder, {
      bookingId: r.body.booking.bookingId,
      slotId: slotAt(validFrom, 3),
    });
    expectError(cancelled, 409, "invalid_transition");
    expect(cancelled.body.details).toEqual({ from: "cancelled", to: "rescheduled" });
    expectError(
      await post("/api/voucher/reschedule", holder, { bookingId: `b-${newUid()}`, slotId: slotAt(validFrom, 3) }),
      404,
      "booking_not_found",
    );
    expect((await bookingRows(voucher.voucherId)).filter((x) => x.status === "booked")).toHaveLength(0);
  });
});

// ── redeem ───────────────────────────────────────────────────────────────────────────────────

describe("POST /api/voucher/redeem", () => {
  it("the issuer redeems an issued voucher → consumed", async () => {
    const issuer = await login();
    const { voucher } = await issueVoucher(issuer);
    const res = await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId });
    expect(res.status).toBe(200);
    expect(res.body.voucher.status).toBe("consumed");
    expect((await voucherRow(voucher.voucherId))?.status).toBe("consumed");
    expect(await eventsOf(voucher.voucherId, "voucher.redeem")).toHaveLength(1);
  });

  it("the issuer redeems a booked voucher → consumed, booking completed", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    const res = await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId });
    expect(res.status).toBe(200);
    expect(res.body.voucher).toMatchObject({ status: "consumed", holderUid: holder.uid });
    expect((await voucherRow(voucher.voucherId))?.status).toBe("consumed");
    expect((await bookingRows(voucher.voucherId))[0]).toMatchObject({ id: b.body.booking.bookingId, status: "completed" });
  });

  it("only the issuer (403 not_issuer); twice → 409; unknown → 404", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher } = await issueVoucher(issuer, { holderUid: holder.uid });
    expectError(await post("/api/voucher/redeem", holder, { voucherId: voucher.voucherId }), 403, "not_issuer");
    expect((await voucherRow(voucher.voucherId))?.status).toBe("issued");
    expect((await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId })).status).toBe(200);
    const twice = await post("/api/voucher/redeem", issuer, { voucherId: voucher.voucherId });
    expectError(twice, 409, "invalid_transition");
    expect(twice.body.details).toEqual({ from: "consumed", to: "consumed" });
    expect(await eventsOf(voucher.voucherId, "voucher.redeem")).toHaveLength(1);
    expectError(await post("/api/voucher/redeem", issuer, { voucherId: `v-${newUid()}` }), 404, "voucher_not_found");
    expectError(await post("/api/voucher/redeem", null, { voucherId: voucher.voucherId }), 401, "unauthenticated");
    expectError(await post("/api/voucher/redeem", issuer, {}), 400, "validation_failed");
  });
});

// ── transfer ─────────────────────────────────────────────────────────────────────────────────

describe("POST /api/voucher/transfer", () => {
  it("the holder transfers: toUid becomes holder and may book, the old holder may not", async () => {
    const issuer = await login();
    const holder = await login();
    const next = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { holderUid: holder.uid });
    const res = await post("/api/voucher/transfer", holder, { voucherId: voucher.voucherId, toUid: next.uid });
    expect(res.status).toBe(200);
    expect(res.body.voucher).toMatchObject({ holderUid: next.uid, status: "issued" });
    expect(await voucherRow(voucher.voucherId)).toMatchObject({ holder_uid: next.uid, status: "issued" });
    expect(await eventsOf(voucher.voucherId, "voucher.transfer")).toHaveLength(1);
    expectError(await book(holder, voucher.voucherId, slotAt(validFrom, 0)), 403, "not_holder");
    expect((await book(next, voucher.voucherId, slotAt(validFrom, 0))).status).toBe(200);
  });

  it("a holder gained by booking can transfer after cancelling", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const b = await book(holder, voucher.voucherId, slotAt(validFrom, 0));
    await post("/api/voucher/cancel", holder, { bookingId: b.body.booking.bookingId });
    const to = newUid();
    const res = await post("/api/voucher/transfer", holder, { voucherId: voucher.voucherId, toUid: to });
    expect(res.status).toBe(200);
    expect((await voucherRow(voucher.voucherId))?.holder_uid).toBe(to);
  });

  it("only the holder (403 not_holder), also when the voucher has no holder", async () => {
    const issuer = await login();
    const holder = await login();
    const held = await issueVoucher(issuer, { holderUid: holder.uid });
    expectError(
      await post("/api/voucher/transfer", issuer, { voucherId: held.voucher.voucherId, toUid: newUid() }),
      403,
      "not_holder",
    );
    const free = await issueVoucher(issuer);
    expectError(
      await post("/api/voucher/transfer", issuer, { voucherId: free.voucher.voucherId, toUid: newUid() }),
      403,
      "not_holder",
    );
    expect((await voucherRow(held.voucher.voucherId))?.holder_uid).toBe(holder.uid);
    expect((await voucherRow(free.voucher.voucherId))?.holder_uid).toBeNull();
  });

  it("not transferable → 409 not_transferable; booked → 409 invalid_transition", async () => {
    const issuer = await login();
    const holder = await login();
    const fixed = await issueVoucher(issuer, { holderUid: holder.uid, transferable: false });
    expectError(
      await post("/api/voucher/transfer", holder, { voucherId: fixed.voucher.voucherId, toUid: newUid() }),
      409,
      "not_transferable",
    );
    expect((await voucherRow(fixed.voucher.voucherId))?.holder_uid).toBe(holder.uid);

    const bookedV = await issueVoucher(issuer, { holderUid: holder.uid });
    expect((await book(holder, bookedV.voucher.voucherId, slotAt(bookedV.validFrom, 0))).status).toBe(200);
    const res = await post("/api/voucher/transfer", holder, { voucherId: bookedV.voucher.voucherId, toUid: newUid() });
    expectError(res, 409, "invalid_transition");
    expect(res.body.details).toEqual({ from: "booked", to: "transferred" });
    expect(await voucherRow(bookedV.voucher.voucherId)).toMatchObject({ holder_uid: holder.uid, status: "booked" });
    expect(await eventsOf(bookedV.voucher.voucherId, "voucher.transfer")).toHaveLength(0);
  });

  it("to oneself → 400 same_holder; bad toUid → 400; unknown voucher → 404; no session → 401", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher } = await issueVoucher(issuer, { holderUid: holder.uid });
    expectError(
      await post("/api/voucher/transfer", holder, { voucherId: voucher.voucherId, toUid: holder.uid }),
      400,
      "same_holder",
    );
    expectError(
      await post("/api/voucher/transfer", holder, { voucherId: voucher.voucherId, toUid: "no spaces allowed" }),
      400,
      "validation_failed",
    );
    expectError(
      await post("/api/voucher/transfer", holder, { voucherId: `v-${newUid()}`, toUid: newUid() }),
      404,
      "voucher_not_found",
    );
    expectError(
      await post("/api/voucher/transfer", null, { voucherId: voucher.voucherId, toUid: newUid() }),
      401,
      "unauthenticated",
    );
    expect((await voucherRow(voucher.voucherId))?.holder_uid).toBe(holder.uid);
  });
});

describe("routing", () => {
  it("a wrong method is a JSON 405", async () => {
    const res = await json("/api/voucher/book", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.body.code).toBe("method_not_allowed");
  });
});
