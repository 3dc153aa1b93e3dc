/**
 * AUTH_MODE=compat against the original pages' requests: every request shape the unmodified
 * DEPLOY-PACKAGE portal, business-admin, TELBANK, legal-hub and admin-monitoring pages send, sent
 * exactly so (field names, types, identity carriers: `issuerUid`/`holderUid`, `thinker_id`,
 * `X-MOT-User`, `actorUid`, `actorId`, none at all), and every answer checked for the fields the
 * page reads. Identities are the pages' local uids (22 characters of A-Z a-z 0-9, never verified).
 */
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { hmac, toHex } from "../../src/core/crypto";
import { checkContract, compatEnv, json, login, testEnv } from "../support/client";
import { grantRole, insertApplication, insertProperty } from "../support/mortgage-kit";
import { row, rows } from "../support/voucher-kit";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** A uid as the original pages' mot-core creates it: 22 characters of A-Z a-z 0-9. */
const localUid = () => Array.from(crypto.getRandomValues(new Uint8Array(22)), (b) => ALPHABET[b % 62]).join("");

/** A request as an original page sends it, against AUTH_MODE=compat (no session, no cookie). */
const send = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  json(path, init, compatEnv);

/** The portal's fields of a voucher in a list (its cards). */
function expectVoucherCard(v: Record<string, any>) {
  expect(v).toEqual(
    expect.objectContaining({
      voucherId: expect.any(String),
      title: expect.any(String),
      serviceType: expect.any(String),
      status: expect.any(String),
      validFrom: expect.any(String),
      validUntil: expect.any(String),
      terms: expect.any(Object),
    }),
  );
  expect(Number.isNaN(Date.parse(v.validFrom))).toBe(false);
  expect(Number.isNaN(Date.parse(v.validUntil))).toBe(false);
  if (v.price !== null) expect(v.price).toEqual({ amount: expect.any(Number), currency: expect.any(String) });
}

describe("the DEPLOY-PACKAGE portal (manifest-portal.html)", () => {
  it("verify with {token, sig, ts} read from the link: thinker_id, no session", async () => {
    const token = "mot-shared-token-v1";
    const ts = String(Date.now());
    const sig = toHex(await hmac(token, `${token}.${ts}`));
    const signed = await send("/api/presence/verify", { body: { token, sig, ts } });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body.thinker_id).toMatch(/^thinker-[0-9a-f]+$/);
    expect(signed.headers.get("set-cookie") ?? "").not.toContain("ts_session=");
    expect(signed.body.session).toBeUndefined();
    // A link without sig (the offline forum's): the page sends sig null.
    const unsigned = await send("/api/presence/verify", { body: { token, sig: null, ts: String(Date.now() + 1) } });
    expect(unsigned.status).toBe(200);
    expect(unsigned.body.thinker_id).toMatch(/^thinker-/);
  });

  it("heartbeat and match with an asserted thinker_id: last_seen, then a shared room_id", async () => {
    // One person opened a link (verified thinker id), the other has only a local uid.
    const ts = String(Date.now());
    const verified = await send("/api/presence/verify", { body: { token: "mot-shared-token-v1", sig: null, ts } });
    const a = verified.body.thinker_id as string;
    const b = localUid();
    const pair = `alpha-${localUid().slice(0, 6)}`;
    for (const thinker_id of [a, b]) {
      const first = await send("/api/presence/heartbeat", { body: { thinker_id, pair_code: "", status: "online" } });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const beat = await send("/api/presence/heartbeat", { body: { thinker_id, pair_code: pair, status: "online" } });
      expect(beat.status).toBe(200);
      expect(beat.body).toEqual({ ok: true, last_seen: expect.any(Number) });
    }
    const ma = await send("/api/presence/match", { body: { thinker_id: a, pair_code: pair } });
    const mb = await send("/api/presence/match", { body: { thinker_id: b, pair_code: pair } });
    expect([ma.status, mb.status]).toEqual([200, 200]);
    expect(ma.body.room_id).toMatch(/^room-/);
    expect(mb.body.room_id).toBe(ma.body.room_id);
    const off = await send("/api/presence/heartbeat", { body: { thinker_id: b, pair_code: pair, status: "offline" } });
    expect(off.status).toBe(200);
  });

  it("vouchers: health check, autopilot issue, lists, slots, book, my bookings, cancel without identity", async () => {
    const issuer = localUid();
    const holder = localUid();
    // Health check on localhost: 2xx or 400 means "the API is here".
    const health = await send("/api/voucher/list?holderUid=test");
    expect(health.status).toBe(200);
    expect(health.body.items).toEqual([]);

    // Autopilot, first visit: the issuer list is empty, then the templates are issued.
    expect((await send(`/api/voucher/list?issuerUid=${issuer}`)).body.items).toEqual([]);
    const now = Date.now();
    const templates = [
      ["consulting.session", "Beratung", 60],
      ["therapy.session", "Therapie", 50],
      ["realestate.viewing", "Besichtigung", 45],
      ["machine.timeslot", "Maschinenzeit", 60],
      ["membership.access", "Mitgliedschaft", 1440],
    ] as const;
    for (const [key, title, durationMinutes] of templates) {
      const issued = await send("/api/voucher/issue", {
        body: {
          issuerUid: issuer,
          serviceType: key,
          title,
          description: `${title} (Vorlage)`,
          durationMinutes,
          validFrom: new Date(now).toISOString(),
          validUntil: new Date(now + 7 * 86_400_000).toISOString(),
          transferable: true,
          terms: { template: key },
        },
      });
      expect(issued.status, JSON.stringify(issued.body)).toBe(200);
      expect(issued.body.ok).toBe(true);
    }
    // A priced voucher with a location, as the issuer consoles create them.
    const priced = await send("/api/voucher/issue", {
      body: {
        issuerUid: issuer,
        serviceType: "consulting.session",
        title: "Beratung vor Ort",
        durationMinutes: 60,
        validFrom: new Date(now).toISOString(),
        validUntil: new Date(now + 2 * 86_400_000).toISOString(),
        price: { amount: 5000, currency: "EUR" },
        terms: { location: "Berlin" },
      },
    });
    expect(priced.status).toBe(200);

    // Issuer mode list (business-admin makes the same call).
    const mine = await send(`/api/voucher/list?issuerUid=${issuer}`);
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(6);
    for (const v of mine.body.items) expectVoucherCard(v);
    const card = mine.body.items.find((v: { voucherId: string }) => v.voucherId === priced.body.voucher.voucherId);
    expect(card.price).toEqual({ amount: 5000, currency: "EUR" });
    expect(card.terms.location).toBe("Berlin");

    // Click the card: its slots.
    const voucherId = priced.body.voucher.voucherId as string;
    const slots = await send(`/api/slots/available?voucherId=${voucherId}`);
    expect(slots.status).toBe(200);
    expect(slots.body.items.length).toBeGreaterThan(0);
    for (const s of slots.body.items.slice(0, 3)) {
      expect(s).toEqual(
        expect.objectContaining({ slotId: expect.stringMatching(/^slot-/), start: expect.any(String), end: expect.any(String) }),
      );
    }

    // "Buchen": 2xx and data.ok.
    const slotId = slots.body.items[0].slotId as string;
    const booked = await send("/api/voucher/book", { body: { voucherId, slotId, holderUid: holder } });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    expect(booked.body.ok).toBe(true);

    // Customer mode list and the bookings panel (business-admin: the same bookings call).
    const held = await send(`/api/voucher/list?holderUid=${holder}`);
    expect(held.body.items.map((v: { voucherId: string }) => v.voucherId)).toEqual([voucherId]);
    for (const v of held.body.items) expectVoucherCard(v);
    const bookings = await send(`/api/voucher/bookings?holderUid=${holder}`);
    expect(bookings.status).toBe(200);
    expect(bookings.body.items).toEqual([
      expect.objectContaining({ voucherId, status: "booked", slotStart: expect.any(String), slotEnd: expect.any(String) }),
    ]);

    // Cancel as the original page sends it: {bookingId, reason}, no identity at all.
    const bookingId = booked.body.booking.bookingId as string;
    const cancelled = await send("/api/voucher/cancel", { body: { bookingId, reason: "Termin passt nicht" } });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ ok: true, alreadyCancelled: false, booking: { bookingId, status: "cancelled" } });
    expect(await row("SELECT status, cancel_reason FROM voucher_bookings WHERE id = ?", bookingId)).toEqual({
      status: "cancelled",
      cancel_reason: "Termin passt nicht",
    });
    // Recorded with no actor, and that nobody was named.
    const ev = await rows<{ actor_uid: string | null; meta: string }>(
      "SELECT actor_uid, meta FROM events WHERE type = 'voucher.cancel' AND subject_id = ?",
      bookingId,
    );
    expect(ev).toHaveLength(1);
    expect(ev[0]?.actor_uid).toBeNull();
    expect(JSON.parse(ev[0]?.meta ?? "{}")).toEqual({ voucherId, reason: "Termin passt nicht", asserted: "none" });
    // The booking's fee is reversed as for any cancel.
    const fees = await rows<{ kind: string }>("SELECT kind FROM fee_events WHERE subject_id = ? ORDER BY seq", bookingId);
    expect(fees.map((f) => f.kind)).toEqual(["charge", "reversal"]);
    // A repeat is the idempotent answer.
    const again = await send("/api/voucher/cancel", { body: { bookingId, reason: "Termin passt nicht" } });
    expect(again.body).toMatchObject({ ok: true, alreadyCancelled: true });
  });

  it("cancel without identity stays refused in strict mode (401), and an asserted stranger is still 403", async () => {
    const issuer = localUid();
    const holder = localUid();
    const issued = await send("/api/voucher/issue", {
      body: { issuerUid: issuer, validFrom: new Date(Date.now() + 7_200_000).toISOString() },
    });
    const v = issued.body.voucher;
    const slotId = `slot-${new Date(Date.parse(v.validFrom) + 3_600_000).toISOString()}`;
    const booked = await send("/api/voucher/book", { body: { voucherId: v.voucherId, slotId, holderUid: holder } });
    const bookingId = booked.body.booking.bookingId as string;
    const strict = await json("/api/voucher/cancel", { body: { bookingId, reason: "x" } });
    expect({ status: strict.status, code: strict.body.code }).toEqual({ status: 401, code: "unauthenticated" });
    const stranger = await send("/api/voucher/cancel", {
      body: { bookingId, reason: "x" },
      headers: { "x-mot-user": localUid() },
    });
    expect({ status: stranger.status, code: stranger.body.code }).toEqual({ status: 403, code: "not_allowed" });
    expect((await row("SELECT status FROM voucher_bookings WHERE id = ?", bookingId))?.status).toBe("booked");
  });

  it("the four mortgage calls with X-MOT-User", async () => {
    const borrower = localUid();
    const lender = localUid();
    await insertProperty(borrower, { id: "house-123" });
    const asBorrower = { "x-mot-user": borrower };
    const apps = await send("/api/mortgage/application-list?role=borrower", { headers: asBorrower });
    expect(apps.status, JSON.stringify(apps.body)).toBe(200);
    expect(apps.body).toMatchObject({ ok: true, applications: [] });
    const offers = await send("/api/mortgage/offer-list?role=borrower", { headers: asBorrower });
    expect(offers.status).toBe(200);
    expect(offers.body).toMatchObject({ ok: true, offers: [] });
    const applied = await send("/api/mortgage/application", {
      headers: asBorrower,
      body: {
        propertyId: "house-123",
        desiredLoan: { amount: 36_000_000, currency: "EUR" },
        desiredDurationYears: 20,
        desiredRateType: "fixed",
        maxInterestRate: 0.04,
        meta: { employmentStatus: "employed", netIncomeMonthly: 380_000, otherLoans: [] },
      },
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body).toMatchObject({
      ok: true,
      applicationId: expect.any(String),
      application: { borrowerUid: borrower, propertyId: "house-123", status: "open" },
    });
    expect((await send("/api/mortgage/application-list?role=borrower", { headers: asBorrower })).body.applications).toHaveLength(
      1,
    );

    // POST /api/mortgage/offer (original body) by a lender on a market application.
    await grantRole(lender, "lender");
    const market = (await insertApplication(localUid(), { visibility: "market" })).id;
    const offered = await send("/api/mortgage/offer", {
      headers: { "x-mot-user": lender },
      body: { applicationId: market, interestRate: 0.035, monthlyPayment: 210_000 },
    });
    expect(offered.status, JSON.stringify(offered.body)).toBe(200);
    expect(offered.body).toMatchObject({
      ok: true,
      offerId: expect.any(String),
      offer: { applicationId: market, lenderUid: lender },
    });
    const lenderList = await send("/api/mortgage/offer-list?role=lender", { headers: { "x-mot-user": lender } });
    expect(lenderList.body.offers.map((o: { offerId: string }) => o.offerId)).toEqual([offered.body.offerId]);
  });

  it("telemetry: an array of {type, path, actorUid, meta}", async () => {
    const uid = localUid();
    const r = await send("/api/telemetry", {
      body: [
        { type: "page.view", path: "/manifest-portal.html", actorUid: uid, meta: { ref: "" } },
        { type: "ui.click", path: "/manifest-portal.html", actorUid: uid, meta: { id: "bookBtn" } },
      ],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.ok).toBe(true);
  });
});

describe("TELBANK pages", () => {
  const telbankBody = {
    direction: "in",
    label: "Fiat→Crypto inflow",
    walletAddress: "",
    network: "Ethereum Mainnet",
    cryptoAmount: 0.05,
    cryptoSymbol: "ETH",
    fiatAmount: 15_000,
    fiatCurrency: "EUR",
    externalAccount: "",
    meta: { source: "telbank-console" },
  };

  it("POST /api/telbank/transfers with the console's body, X-MOT-User naming the owner; GET lists it", async () => {
    const uid = localUid();
    const r = await send("/api/telbank/transfers", { body: telbankBody, headers: { "x-mot-user": uid } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      ok: true,
      transfer: { id: expect.stringMatching(/^in-/), direction: "in", status: "logged" },
    });
    expect(r.body.transfer.cryptoAmount).toBe("0.05");
    const list = await send("/api/telbank/transfers?direction=in", { headers: { "x-mot-user": uid } });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([r.body.transfer.id]);
  });

  it("the unmodified console on the portal's origin: the browser sends the portal's session cookie", async () => {
    const me = await login();
    const sameOrigin = { cookie: `ts_session=${me.session}`, origin: "http://localhost" };
    const r = await send("/api/telbank/transfers", { body: telbankBody, headers: sameOrigin });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.transfer).toMatchObject({ direction: "in", status: "logged", cryptoAmount: "0.05" });
    expect((await row("SELECT actor_uid FROM transfers WHERE id = ?", r.body.transfer.id))?.actor_uid).toBe(me.uid);
    const list = await send("/api/telbank/transfers?direction=in", { headers: { cookie: `ts_session=${me.session}` } });
    expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([r.body.transfer.id]);
  });

  it("without any identity (what the unmodified console sends): 401 unauthenticated, nothing stored", async () => {
    const before = (await row<{ n: number }>("SELECT count(*) AS n FROM transfers"))?.n;
    const r = await send("/api/telbank/transfers", { body: telbankBody });
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 401, code: "unauthenticated" });
    expect((await row<{ n: number }>("SELECT count(*) AS n FROM transfers"))?.n).toBe(before);
  });
});

describe("legal-hub.html", () => {
  const BOUNDARY = "----WebKitFormBoundaryOriginal";
  const form = (fields: Record<string, string>, text: string) =>
    [
      ...Object.entries(fields).map(([k, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="vertrag.txt"\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`,
      `--${BOUNDARY}--\r\n`,
    ].join("");

  async function upload(fields: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await app.request(
      "http://localhost/api/contracts/upload",
      {
        method: "POST",
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
        body: form(fields, "Vertragstext"),
      },
      compatEnv,
    );
    await checkContract("POST", "/api/contracts/upload", res);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it("upload with actorId (and X-MOT-User naming the same uid), then the list", async () => {
    const uid = localUid();
    const up = await upload({ actorId: uid }, { "x-mot-user": uid });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({
      ok: true,
      contract: {
        id: expect.stringMatching(/^ct-/),
        name: "vertrag.txt",
        hashSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        createdBy: uid,
      },
      linkId: null,
    });
    const list = await send("/api/contracts/list", { headers: { "x-mot-user": uid } });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: up.body.contract.id, name: "vertrag.txt", hashSha256: up.body.contract.hashSha256 }),
    ]);
  });

  it("the unmodified page on the portal's origin: actorId and the portal's session cookie", async () => {
    const me = await login();
    const up = await upload({ actorId: me.uid }, { cookie: `ts_session=${me.session}`, origin: "http://localhost" });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body.contract.createdBy).toBe(me.uid);
    const list = await send("/api/contracts/list", { headers: { cookie: `ts_session=${me.session}` } });
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([up.body.contract.id]);
  });

  it("upload with actorId alone (what the unmodified page sends): 401 unauthenticated, nothing stored", async () => {
    const uid = localUid();
    const up = await upload({ actorId: uid });
    expect({ status: up.status, code: up.body.code }).toEqual({ status: 401, code: "unauthenticated" });
    expect(await rows("SELECT id FROM contracts WHERE created_by = ?", uid)).toEqual([]);
  });
});

describe("admin-monitoring.html", () => {
  it("GET /api/admin/events?limit=50 without credentials stays closed (401), also in compat", async () => {
    for (const e of [compatEnv, testEnv]) {
      const r = await json("/api/admin/events?limit=50", {}, e);
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 401, code: "admin_unauthorized" });
    }
  });
});
