/**
 * `Idempotency-Key`: replay, reuse with another body, in-flight and stale claims,
 * nothing stored for refused requests, business errors replayed, per-caller scope, TTL.
 * Every case checks the response and the rows in D1 (idempotency_keys, vouchers, bookings,
 * events, fee_events).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { IDEMPOTENCY_TTL_MS, STALE_CLAIM_MS, bodyHash } from "../../src/http/idempotency";
import { call, issueVoucher, json, login, newUid, signedLink, slotAt, testEnv } from "../support/client";
import { countOf, rows } from "../support/voucher-kit";

const ISSUE = "/api/voucher/issue";
const BOOK = "/api/voucher/book";

type Who = { uid: string; session: string };
type IdemRow = {
  caller_key: string;
  route: string;
  key: string;
  body_hash: string;
  state: string;
  claim: string;
  status: number | null;
  response: string | null;
  created_at: number;
  expires_at: number;
};

const keyRows = (key: string) => rows<IdemRow>("SELECT * FROM idempotency_keys WHERE key = ? ORDER BY caller_key", key);
const vouchersOf = (uid: string) => countOf("SELECT count(*) n FROM vouchers WHERE issuer_uid = ?", uid);
const eventsOf = (type: string, uid: string) =>
  countOf("SELECT count(*) n FROM events WHERE type = ? AND actor_uid = ?", type, uid);
const bookingsOf = (voucherId: string) => countOf("SELECT count(*) n FROM voucher_bookings WHERE voucher_id = ?", voucherId);
const feeEventsOf = (voucherId: string) =>
  countOf(
    "SELECT count(*) n FROM fee_events WHERE subject_id IN (SELECT id FROM voucher_bookings WHERE voucher_id = ?)",
    voucherId,
  );

let keyCounter = 0;
const newKey = () => `key-${Date.now().toString(36)}-${(keyCounter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** POST with a session and an Idempotency-Key; returns status, raw text and headers. */
async function post(path: string, who: Who | null, body: unknown, key?: string, e?: Env, raw?: string) {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers["idempotency-key"] = key;
  const res = await call(path, { session: who?.session, headers, ...(raw !== undefined ? { raw } : { body }) }, e);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Record<string, any>, headers: res.headers };
}

const issueBody = (who: Who, extra: Record<string, unknown> = {}) => ({
  issuerUid: who.uid,
  title: "Idempotent voucher",
  price: { amount: 4200, currency: "EUR" },
  ...extra,
});

/** An issuer's priced voucher and a holder ready to book it. */
async function bookingFixture() {
  const issuer = await login();
  const holder = await login();
  const { voucher, validFrom } = await issueVoucher(issuer);
  const bookBody = (n: number) => ({ voucherId: voucher.voucherId, slotId: slotAt(validFrom, n), holderUid: holder.uid });
  return { issuer, holder, voucherId: voucher.voucherId as string, validFrom, bookBody };
}

/** Inserts a claim row directly, as a concurrent (or dead) request would have left it. */
async function insertClaim(callerKey: string, route: string, key: string, body: unknown, createdAt: number, hash?: string) {
  await testEnv.DB.prepare(
    `INSERT INTO idempotency_keys (caller_key, route, key, body_hash, state, claim, status, response, created_at, expires_at)
     VALUES (?, ?, ?, ?, 'in_flight', 'req-someone-else-000', NULL, NULL, ?, ?)`,
  )
    .bind(callerKey, route, key, hash ?? (await bodyHash(body)), createdAt, createdAt + IDEMPOTENCY_TTL_MS)
    .run();
}

afterEach(() => {
  vi.useRealTimers();
});

describe("replay: same key + same body", () => {
  it("POST /api/voucher/issue replays the stored response byte for byte, without a second row or event", async () => {
    const me = await login();
    const key = newKey();
    const body = issueBody(me);
    const first = await post(ISSUE, me, body, key);
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const second = await post(ISSUE, me, body, key);
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("content-type")).toMatch(/application\/json/);

    // Same JSON with another key order and formatting is the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const third = await post(ISSUE, me, undefined, key, undefined, JSON.stringify(reordered, null, 2));
    expect(third.status).toBe(200);
    expect(third.text).toBe(first.text);
    expect(third.headers.get("idempotent-replayed")).toBe("true");

    expect(await vouchersOf(me.uid)).toBe(1);
    expect(await eventsOf("voucher.issue", me.uid)).toBe(1);
    const [row, ...more] = await keyRows(key);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      caller_key: `uid:${me.uid}`,
      route: "voucher.issue",
      state: "done",
      status: 200,
      response: first.text,
      body_hash: await bodyHash(body),
    });
    expect(row?.claim).toBe(first.headers.get("x-request-id"));
  });

  it("POST /api/voucher/book replays without a second booking, event or fee event", async () => {
    const f = await bookingFixture();
    const key = newKey();
    const first = await post(BOOK, f.holder, f.bookBody(3), key);
    expect(first.status).toBe(200);
    expect(first.body.booking.status).toBe("booked");
    const second = await post(BOOK, f.holder, f.bookBody(3), key);
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("idempotent-replayed")).toBe("true");

    expect(await bookingsOf(f.voucherId)).toBe(1);
    expect(await eventsOf("voucher.book", f.holder.uid)).toBe(1);
    expect(await feeEventsOf(f.voucherId)).toBe(1);
    expect(await rows("SELECT status, holder_uid FROM vouchers WHERE id = ?", f.voucherId)).toEqual([
      { status: "booked", holder_uid: f.holder.uid },
    ]);
    expect(await keyRows(key)).toEqual([
      expect.objectContaining({ caller_key: `uid:${f.holder.uid}`, route: "voucher.book", state: "done", status: 200 }),
    ]);
  });

  it("concurrent requests with one key execute once", async () => {
    const f = await bookingFixture();
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 10 }, () => post(BOOK, f.holder, f.bookBody(2), key)));
    const fresh = results.filter((r) => r.status === 200 && r.headers.get("idempotent-replayed") === null);
    const replays = results.filter((r) => r.status === 200 && r.headers.get("idempotent-replayed") === "true");
    const inFlight = results.filter((r) => r.status === 409 && r.body.code === "idempotency_request_in_flight");
    expect(fresh).toHaveLength(1);
    expect(fresh.length + replays.length + inFlight.length).toBe(10);
    for (const r of replays) expect(r.text).toBe(fresh[0]?.text);
    expect(await bookingsOf(f.voucherId)).toBe(1);
    expect(await feeEventsOf(f.voucherId)).toBe(1);
    expect(await eventsOf("voucher.book", f.holder.uid)).toBe(1);
  });
});

describe("reuse: same key + other body → 422", () => {
  it("on POST /api/voucher/issue", async () => {
    const me = await login();
    const key = newKey();
    const first = await post(ISSUE, me, issueBody(me), key);
    expect(first.status).toBe(200);
    const other = await post(ISSUE, me, issueBody(me, { title: "Another title" }), key);
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ ok: false, code: "idempotency_key_reused", error: expect.any(String) });
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(await vouchersOf(me.uid)).toBe(1);
    const [row] = await keyRows(key);
    expect(row?.body_hash).toBe(await bodyHash(issueBody(me)));
    expect(row?.response).toBe(first.text);
  });

  it("on POST /api/voucher/book", async () => {
    const f = await bookingFixture();
    const key = newKey();
    expect((await post(BOOK, f.holder, f.bookBody(1), key)).status).toBe(200);
    const other = await post(BOOK, f.holder, f.bookBody(5), key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe("idempotency_key_reused");
    expect(await rows("SELECT slot_start FROM voucher_bookings WHERE voucher_id = ?", f.voucherId)).toEqual([
      { slot_start: f.validFrom + 3_600_000 },
    ]);
    expect(await feeEventsOf(f.voucherId)).toBe(1);
  });
});

describe("in flight", () => {
  it("a fresh claim by another request → 409 idempotency_request_in_flight, nothing written", async () => {
    const f = await bookingFixture();
    const key = newKey();
    const body = f.bookBody(4);
    await insertClaim(`uid:${f.holder.uid}`, "voucher.book", key, body, Date.now());
    const r = await post(BOOK, f.holder, body, key);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ ok: false, code: "idempotency_request_in_flight" });
    expect(await bookingsOf(f.voucherId)).toBe(0);
    expect(await feeEventsOf(f.voucherId)).toBe(0);
    expect(await keyRows(key)).toEqual([
      expect.objectContaining({ state: "in_flight", claim: "req-someone-else-000", status: null, response: null }),
    ]);
  });

  it("on POST /api/voucher/issue too", async () => {
    const me = await login();
    const key = newKey();
    const body = issueBody(me);
    await insertClaim(`uid:${me.uid}`, "voucher.issue", key, body, Date.now());
    const r = await post(ISSUE, me, body, key);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("idempotency_request_in_flight");
    expect(await vouchersOf(me.uid)).toBe(0);
  });

  it("a claim exactly 60 s old is still in flight; older than 60 s it is taken over", async () => {
    const now = Date.now();
    vi.setSystemTime(now);
    const f = await bookingFixture();
    const body = f.bookBody(6);

    const young = newKey();
    await insertClaim(`uid:${f.holder.uid}`, "voucher.book", young, body, now - STALE_CLAIM_MS);
    expect((await post(BOOK, f.holder, body, young)).status).toBe(409);

    const stale = newKey();
    await insertClaim(`uid:${f.holder.uid}`, "voucher.book", stale, body, now - STALE_CLAIM_MS - 1);
    const r = await post(BOOK, f.holder, body, stale);
    expect(r.status).toBe(200);
    expect(r.headers.get("idempotent-replayed")).toBeNull();
    expect(await bookingsOf(f.voucherId)).toBe(1);
    expect(await feeEventsOf(f.voucherId)).toBe(1);
    expect(await keyRows(stale)).toEqual([
      expect.objectContaining({
        state: "done",
        status: 200,
        response: r.text,
        claim: r.headers.get("x-request-id"),
        created_at: now,
        expires_at: now + IDEMPOTENCY_TTL_MS,
      }),
    ]);
    // The young claim was not touched.
    expect(await keyRows(young)).toEqual([expect.objectContaining({ state: "in_flight", claim: "req-someone-else-000" })]);
  });

  it("a stale claim made with another body is taken over by the retry", async () => {
    const me = await login();
    const key = newKey();
    await insertClaim(`uid:${me.uid}`, "voucher.issue", key, {}, Date.now() - 10 * 60_000, "0".repeat(64));
    const r = await post(ISSUE, me, issueBody(me), key);
    expect(r.status).toBe(200);
    expect(await vouchersOf(me.uid)).toBe(1);
    expect((await keyRows(key))[0]).toMatchObject({ state: "done", body_hash: await bodyHash(issueBody(me)) });
  });
});

describe("nothing is stored for refused requests", () => {
  it("validation (400), bad JSON (400), body too large (413)", async () => {
    const me = await login();
    const key = newKey();
    const cases = [
      await post(ISSUE, me, issueBody(me, { durationMinutes: "sixty" }), key),
      await post(ISSUE, me, issueBody(me, { status: "consumed" }), key),
      await post(ISSUE, me, issueBody(me, { unknownField: 1 }), key),
      await post(ISSUE, me, undefined, key, undefined, "{not json"),
      await post(ISSUE, me, issueBody(me, { description: "x".repeat(100_000) }), key),
    ];
    expect(cases.map((c) => [c.status, c.body.code])).toEqual([
      [400, "validation_failed"],
      [400, "validation_failed"],
      [400, "validation_failed"],
      [400, "invalid_json"],
      [413, "body_too_large"],
    ]);
    expect(await keyRows(key)).toEqual([]);
    expect(await vouchersOf(me.uid)).toBe(0);
    // The key is still free for a valid request.
    expect((await post(ISSUE, me, issueBody(me), key)).status).toBe(200);
    expect(await keyRows(key)).toHaveLength(1);
  });

  it("auth: no session (401), invalid session (401), uid mismatch (403)", async () => {
    const me = await login();
    const f = await bookingFixture();
    const key = newKey();
    const cases = [
      await post(ISSUE, null, issueBody(me), key),
      await post(ISSUE, { uid: me.uid, session: `${me.session}x` }, issueBody(me), key),
      await post(ISSUE, me, issueBody({ uid: newUid(), session: "" }), key),
      await post(BOOK, me, f.bookBody(1), key),
      await post(BOOK, null, f.bookBody(1), key),
    ];
    expect(cases.map((c) => [c.status, c.body.code])).toEqual([
      [401, "unauthenticated"],
      [401, "invalid_session"],
      [403, "uid_mismatch"],
      [403, "uid_mismatch"],
      [401, "unauthenticated"],
    ]);
    expect(await keyRows(key)).toEqual([]);
    expect(await vouchersOf(me.uid)).toBe(0);
    expect(await bookingsOf(f.voucherId)).toBe(0);
  });

  it("rate limit (429)", async () => {
    const limited = { ...testEnv, RATE_LIMIT_WRITE_PER_MIN: "1" } as Env;
    const now = Date.now();
    vi.setSystemTime(now - (now % 60_000) + 1_000); // early in a window: the two requests share it
    const me = await login();
    expect((await post(ISSUE, me, issueBody(me), undefined, limited)).status).toBe(200);
    const key = newKey();
    const r = await post(ISSUE, me, issueBody(me, { title: "over the limit" }), key, limited);
    expect(r.status).toBe(429);
    expect(r.body.code).toBe("rate_limited");
    expect(await keyRows(key)).toEqual([]);
    expect(await vouchersOf(me.uid)).toBe(1);
  });

  it("an invalid key → 400 invalid_idempotency_key, nothing written", async () => {
    const me = await login();
    for (const key of ["k".repeat(300), "k".repeat(256), "has space", "tab\there", "quote\u007fdel"]) {
      const r = await post(ISSUE, me, issueBody(me), key);
      expect({ key: key.slice(0, 12), status: r.status, code: r.body.code }).toEqual({
        key: key.slice(0, 12),
        status: 400,
        code: "invalid_idempotency_key",
      });
      expect(await keyRows(key)).toEqual([]);
    }
    expect(await vouchersOf(me.uid)).toBe(0);
    const longest = "k".repeat(255);
    expect((await post(ISSUE, me, issueBody(me), longest)).status).toBe(200);
    expect(
      await countOf("SELECT count(*) n FROM idempotency_keys WHERE key = ? AND caller_key = ?", longest, `uid:${me.uid}`),
    ).toBe(1);
  });

  it("routes that are not idempotent ignore the header (GET routes, presence/verify)", async () => {
    const me = await login();
    const list = await json("/api/voucher/list", { session: me.session, headers: { "idempotency-key": "has space" } });
    expect(list.status).toBe(200);
    const uid = newUid();
    const key = newKey();
    const v = await post("/api/presence/verify", null, await signedLink(uid), key);
    expect(v.status).toBe(200);
    expect(await keyRows(key)).toEqual([]); // a session token is never kept in D1
  });
});

describe("business errors are results", () => {
  it("409 slot_taken is stored and replayed identically, even after the slot is freed", async () => {
    const f = await bookingFixture();
    const first = await post(BOOK, f.holder, f.bookBody(2));
    expect(first.status).toBe(200);
    const key = newKey();
    const taken = await post(BOOK, f.holder, f.bookBody(2), key);
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe("slot_taken");
    expect(await keyRows(key)).toEqual([
      expect.objectContaining({ state: "done", status: 409, response: taken.text, route: "voucher.book" }),
    ]);

    // Free the slot; the key still answers what it answered the first time.
    const cancel = await post("/api/voucher/cancel", f.holder, { bookingId: first.body.booking.bookingId });
    expect(cancel.status).toBe(200);
    const replay = await post(BOOK, f.holder, f.bookBody(2), key);
    expect(replay.status).toBe(409);
    expect(replay.text).toBe(taken.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await countOf("SELECT count(*) n FROM voucher_bookings WHERE voucher_id = ? AND status = 'booked'", f.voucherId)).toBe(
      0,
    );
    expect(await eventsOf("voucher.book", f.holder.uid)).toBe(1);

    // A new key runs the request again.
    const again = await post(BOOK, f.holder, f.bookBody(2), newKey());
    expect(again.status).toBe(200);
    expect(await countOf("SELECT count(*) n FROM voucher_bookings WHERE voucher_id = ? AND status = 'booked'", f.voucherId)).toBe(
      1,
    );
  });

  it("404 voucher_not_found is stored and replayed", async () => {
    const me = await login();
    const key = newKey();
    const body = { voucherId: `v-missing-${newUid()}`, slotId: "slot-2030-01-01T10:00:00.000Z", holderUid: me.uid };
    const a = await post(BOOK, me, body, key);
    const b = await post(BOOK, me, body, key);
    expect([a.status, a.body.code, b.status]).toEqual([404, "voucher_not_found", 404]);
    expect(b.text).toBe(a.text);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect((await keyRows(key))[0]).toMatchObject({ state: "done", status: 404 });
  });
});

describe("scope and lifetime", () => {
  it("keys are scoped per caller: the same key from two users runs twice", async () => {
    const a = await login();
    const b = await login();
    const key = newKey();
    const ra = await post(ISSUE, a, issueBody(a), key);
    const rb = await post(ISSUE, b, issueBody(b), key);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect(ra.body.voucher.voucherId).not.toBe(rb.body.voucher.voucherId);
    expect(await vouchersOf(a.uid)).toBe(1);
    expect(await vouchersOf(b.uid)).toBe(1);
    expect((await keyRows(key)).map((r) => r.caller_key).sort()).toEqual([`uid:${a.uid}`, `uid:${b.uid}`].sort());
  });

  it("keys are scoped per route: the same key on issue and book runs both", async () => {
    const f = await bookingFixture();
    const key = newKey();
    expect((await post(ISSUE, f.holder, issueBody(f.holder), key)).status).toBe(200);
    const booked = await post(BOOK, f.holder, f.bookBody(1), key);
    expect(booked.status).toBe(200);
    expect(booked.headers.get("idempotent-replayed")).toBeNull();
    expect((await keyRows(key)).map((r) => r.route).sort()).toEqual(["voucher.book", "voucher.issue"]);
  });

  it("a stored result expires 7 days after it was created", async () => {
    const me = await login();
    const key = newKey();
    expect((await post(ISSUE, me, issueBody(me), key)).status).toBe(200);
    const [row] = await keyRows(key);
    expect(row).toBeDefined();
    expect((row?.expires_at ?? 0) - (row?.created_at ?? 0)).toBe(7 * 24 * 3600 * 1000);
    expect(Math.abs((row?.created_at ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it("after expiry the key is free again", async () => {
    const me = await login();
    const key = newKey();
    const body = issueBody(me);
    const first = await post(ISSUE, me, body, key);
    expect(first.status).toBe(200);
    vi.setSystemTime(Date.now() + IDEMPOTENCY_TTL_MS + 60_000);
    const later = await login(me.uid);
    const second = await post(ISSUE, later, body, key);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect(second.body.voucher.voucherId).not.toBe(first.body.voucher.voucherId);
    expect(await vouchersOf(me.uid)).toBe(2);
  });
});
