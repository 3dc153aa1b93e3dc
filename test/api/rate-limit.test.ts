/**
 * Rate limits: fixed one-minute windows per (route, caller), writes and reads counted
 * separately, anonymous routes keyed by `cf-connecting-ip`, 429 with `Retry-After`.
 *
 * The clock is pinned with `vi.setSystemTime` so every burst falls into one known window and
 * `Retry-After` is exact; nothing here measures elapsed time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { issueVoucher, json, login, newUid, signedLink, slotAt, testEnv } from "../support/client";
import { countOf, rows } from "../support/voucher-kit";

const limited = { ...testEnv, RATE_LIMIT_WRITE_PER_MIN: "3", RATE_LIMIT_READ_PER_MIN: "4" } as Env;
const WINDOW = 60_000;

type Who = { uid: string; session: string };

const vouchersOf = (uid: string) => countOf("SELECT count(*) n FROM vouchers WHERE issuer_uid = ?", uid);
const counter = async (key: string) =>
  (await rows<{ count: number; window_start: number }>("SELECT count, window_start FROM rate_limits WHERE key = ?", key))[0];

let windowStart = 0;
/** Pins the clock `offsetMs` into a fresh window (a future one, so no earlier test shares it). */
function pinClock(offsetMs: number): number {
  const now = windowStart + offsetMs;
  vi.setSystemTime(now);
  return now;
}

beforeEach(() => {
  const real = Date.now();
  windowStart = real - (real % WINDOW) + WINDOW;
});

afterEach(() => {
  vi.useRealTimers();
});

const issue = (who: Who, e: Env = limited, headers?: Record<string, string>) =>
  json("/api/voucher/issue", { session: who.session, headers, body: { issuerUid: who.uid, title: "rate" } }, e);
const list = (who: Who, path = "/api/voucher/list") => json(path, { session: who.session }, limited);
const anon = (path: string, ip: string, extra: Record<string, string> = {}) =>
  json(path, { headers: { "cf-connecting-ip": ip, ...extra } }, limited);

function expect429(r: { status: number; body: Record<string, any>; headers: Headers }, limit: number, retryAfter: number) {
  expect(r.status).toBe(429);
  expect(r.body).toMatchObject({ ok: false, code: "rate_limited", error: expect.any(String) });
  expect(r.body.details).toEqual({ limit, retryAfter });
  const header = r.headers.get("retry-after");
  expect(header).toMatch(/^\d+$/);
  expect(Number(header)).toBe(retryAfter);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe("writes", () => {
  it("the 4th write by one caller in a window → 429 with Retry-After; nothing written", async () => {
    pinClock(15_000);
    const me = await login();
    for (let i = 0; i < 3; i++) expect((await issue(me)).status).toBe(200);
    const fourth = await issue(me);
    expect429(fourth, 3, 45);
    expect429(await issue(me), 3, 45);
    expect(await vouchersOf(me.uid)).toBe(3);
    expect(await countOf("SELECT count(*) n FROM events WHERE type = 'voucher.issue' AND actor_uid = ?", me.uid)).toBe(3);
    // A write refused by the limiter is rolled back with its batch, count included: the counter holds the 3 accepted.
    expect(await counter(`voucher.issue|uid:${me.uid}`)).toEqual({ count: 3, window_start: windowStart });
  });

  it("other callers, other write routes and reads are not affected", async () => {
    pinClock(20_000);
    const me = await login();
    const other = await login();
    for (let i = 0; i < 3; i++) expect((await issue(me)).status).toBe(200);
    expect((await issue(me)).status).toBe(429);

    // Another caller, even from the same IP.
    expect((await issue(other, limited, { "cf-connecting-ip": "203.0.113.7" })).status).toBe(200);
    expect((await issue(me, limited, { "cf-connecting-ip": "203.0.113.7" })).status).toBe(429);
    // Another write route of the same caller.
    const { voucher, validFrom } = await issueVoucher(other);
    const booked = await json(
      "/api/voucher/book",
      { session: me.session, body: { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 1), holderUid: me.uid } },
      limited,
    );
    expect(booked.status).toBe(200);
    expect(
      await countOf("SELECT count(*) n FROM voucher_bookings WHERE voucher_id = ? AND holder_uid = ?", voucher.voucherId, me.uid),
    ).toBe(1);
    // A read of the same caller.
    const mine = await list(me);
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBe(4); // three issued + the booked one it now holds
  });

  it("a new window lets the caller write again", async () => {
    pinClock(58_000);
    const me = await login();
    for (let i = 0; i < 3; i++) expect((await issue(me)).status).toBe(200);
    expect429(await issue(me), 3, 2);
    pinClock(WINDOW + 1_000);
    expect((await issue(me)).status).toBe(200);
    expect(await vouchersOf(me.uid)).toBe(4);
    expect(await counter(`voucher.issue|uid:${me.uid}`)).toEqual({ count: 1, window_start: windowStart + WINDOW });
  });

  it.each([
    [0, 60],
    [1, 60],
    [1_000, 59],
    [30_500, 30],
    [59_000, 1],
    [59_999, 1],
  ])("at %i ms into the window Retry-After is %i s", async (offset, retryAfter) => {
    pinClock(offset);
    const me = await login();
    for (let i = 0; i < 3; i++) expect((await issue(me)).status).toBe(200);
    expect429(await issue(me), 3, retryAfter);
  });

  it("invalid limit settings fall back to the defaults (60 writes / min)", async () => {
    pinClock(5_000);
    const me = await login();
    const broken = { ...testEnv, RATE_LIMIT_WRITE_PER_MIN: "0" } as Env;
    for (let i = 0; i < 5; i++) expect((await issue(me, broken)).status).toBe(200);
    const junk = { ...testEnv, RATE_LIMIT_WRITE_PER_MIN: "abc" } as Env;
    expect((await issue(me, junk)).status).toBe(200);
    expect(await vouchersOf(me.uid)).toBe(6);
  });
});

describe("reads", () => {
  it("are limited separately: the 5th read → 429, writes still pass", async () => {
    pinClock(10_000);
    const me = await login();
    for (let i = 0; i < 4; i++) expect((await list(me)).status).toBe(200);
    expect429(await list(me), 4, 50);
    // Writes have their own budget…
    expect((await issue(me)).status).toBe(200);
    expect(await vouchersOf(me.uid)).toBe(1);
    // …and so does every other read route.
    expect((await list(me, "/api/voucher/bookings")).status).toBe(200);
    // Counted without D1: a read leaves no counter row.
    expect(await counter(`voucher.list|uid:${me.uid}`)).toBeUndefined();
  });

  it("reads do not use up the write budget", async () => {
    pinClock(12_000);
    const me = await login();
    for (let i = 0; i < 4; i++) expect((await list(me)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await issue(me)).status).toBe(200);
    expect((await issue(me)).status).toBe(429);
    expect(await vouchersOf(me.uid)).toBe(3);
  });
});

describe("anonymous routes are limited per client IP (cf-connecting-ip)", () => {
  it("GET /api/voucher/templates: the 5th read from one IP → 429, another IP passes", async () => {
    pinClock(25_000);
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}-${newUid()}`;
    for (let i = 0; i < 4; i++) expect((await anon("/api/voucher/templates", ip)).status).toBe(200);
    expect429(await anon("/api/voucher/templates", ip), 4, 35);
    // A spoofed X-Forwarded-For does not escape the limit: Cloudflare's header wins.
    expect((await anon("/api/voucher/templates", ip, { "x-forwarded-for": "192.0.2.1" })).status).toBe(429);
    const fresh = await anon("/api/voucher/templates", `${ip}-other`);
    expect(fresh.status).toBe(200);
    expect(fresh.body.items.length).toBeGreaterThanOrEqual(5);
    expect(await counter(`voucher.templates|ip:${ip}`)).toBeUndefined();
  });

  it("POST /api/presence/verify: the 4th link from one IP → 429, nothing stored, the link still works elsewhere", async () => {
    pinClock(30_000);
    const ip = `verify-${newUid()}`;
    for (let i = 0; i < 3; i++) {
      const r = await json(
        "/api/presence/verify",
        { headers: { "cf-connecting-ip": ip }, body: await signedLink(newUid()) },
        limited,
      );
      expect(r.status).toBe(200);
    }
    const uid = newUid();
    const link = await signedLink(uid);
    const refused = await json("/api/presence/verify", { headers: { "cf-connecting-ip": ip }, body: link }, limited);
    expect429(refused, 3, 30);
    expect(refused.headers.get("set-cookie") ?? "").not.toContain("ts_session");
    expect(await countOf("SELECT count(*) n FROM used_link_nonces WHERE uid = ?", uid)).toBe(0);
    expect(await countOf("SELECT count(*) n FROM events WHERE type = 'auth.verified' AND actor_uid = ?", uid)).toBe(0);
    const elsewhere = await json("/api/presence/verify", { headers: { "cf-connecting-ip": `${ip}-b` }, body: link }, limited);
    expect(elsewhere.status).toBe(200);
    expect(await countOf("SELECT count(*) n FROM used_link_nonces WHERE uid = ?", uid)).toBe(1);
  });

  it("failed verify attempts count too: signature guessing is stopped by 429", async () => {
    pinClock(40_000);
    const ip = `guess-${newUid()}`;
    const uid = newUid();
    const link = await signedLink(uid);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const guess = { ...link, sig: i.toString(16).padStart(64, "0") };
      statuses.push((await json("/api/presence/verify", { headers: { "cf-connecting-ip": ip }, body: guess }, limited)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Even the right signature is refused from that IP until the window ends.
    expect429(await json("/api/presence/verify", { headers: { "cf-connecting-ip": ip }, body: link }, limited), 3, 20);
    expect(await countOf("SELECT count(*) n FROM used_link_nonces WHERE uid = ?", uid)).toBe(0);
  });
});
