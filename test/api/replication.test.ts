/**
 * D1 sessions on the real local D1 (miniflare): a write's bookmark goes back to the client, and the
 * client's next read runs in a session opened at exactly that bookmark and sees the write.
 *
 * Locally there is one database and no replica lag, so "the read sees the row" alone could not
 * fail; the spy on the binding (test/support/d1-spy.ts) therefore also checks where each session
 * started, which is what makes a replica serve a fresh enough copy in production.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rateLimits } from "../../src/db/schema";
import { BOOKMARK_COOKIE, BOOKMARK_HEADER, applyBookmark, isBookmark, openSession, replyBookmark } from "../../src/db/session";
import { call, issueVoucher, json, login, newUid, slotAt, testEnv } from "../support/client";
import { spyD1 } from "../support/d1-spy";

const API = new URL("http://localhost/api/x");

/** One "request": opens the session, runs `work` on its drizzle client, returns the answer's headers. */
async function request<T>(
  d1: D1Database,
  headers: Headers,
  access: "read" | "write",
  work: (rs: ReturnType<typeof openSession>) => Promise<T>,
) {
  const rs = openSession(d1, headers, access);
  const result = await work(rs);
  const answer = new Headers();
  applyBookmark(answer, rs, API);
  return { result, answer, rs };
}

describe("read your own writes through the bookmark", () => {
  it("a write's bookmark (header) opens the next read's session, which sees the row", async () => {
    const { d1, record } = spyD1(testEnv.DB);
    const key = `replication|${newUid()}`;

    const write = await request(d1, new Headers(), "write", (rs) =>
      rs.db.batch([
        rs.db.insert(rateLimits).values({ key, windowStart: 1, count: 7 }),
        rs.db.select().from(rateLimits).where(eq(rateLimits.key, key)),
      ]),
    );
    expect(write.result[1]).toEqual([{ key, windowStart: 1, count: 7 }]);
    const bookmark = write.answer.get(BOOKMARK_HEADER);
    expect(isBookmark(bookmark), `local D1 bookmark ${bookmark}`).toBe(true);
    expect(bookmark).toBe(write.rs.session.getBookmark());

    const read = await request(d1, new Headers({ [BOOKMARK_HEADER]: bookmark ?? "" }), "read", (rs) =>
      rs.db.select().from(rateLimits).where(eq(rateLimits.key, key)).all(),
    );
    expect(read.result).toEqual([{ key, windowStart: 1, count: 7 }]);
    expect(record.sessions).toEqual(["first-primary", bookmark]);
    // The read session's position is at least the write's: D1 hands back a bookmark for it too.
    expect(isBookmark(read.answer.get(BOOKMARK_HEADER))).toBe(true);
  });

  it("the same through the cookie a browser keeps", async () => {
    const { d1, record } = spyD1(testEnv.DB);
    const key = `replication|${newUid()}`;
    const write = await request(d1, new Headers(), "write", (rs) =>
      rs.db.insert(rateLimits).values({ key, windowStart: 2, count: 1 }).run(),
    );
    const setCookie = write.answer.get("set-cookie") ?? "";
    const pair = setCookie.split(";")[0] ?? "";
    expect(pair).toBe(`${BOOKMARK_COOKIE}=${write.rs.session.getBookmark()}`);
    expect(setCookie).toMatch(/; Path=\/api; Max-Age=\d+; HttpOnly; SameSite=Lax/);

    const read = await request(d1, new Headers({ cookie: `ts_session=x; ${pair}` }), "read", (rs) =>
      rs.db.select({ count: rateLimits.count }).from(rateLimits).where(eq(rateLimits.key, key)).all(),
    );
    expect(read.result).toEqual([{ count: 1 }]);
    expect(record.sessions).toEqual(["first-primary", pair.slice(BOOKMARK_COOKIE.length + 1)]);
  });

  it("a read without a bookmark starts unconstrained; garbage is never handed to D1", async () => {
    const { d1, record } = spyD1(testEnv.DB);
    for (const headers of [
      new Headers(),
      new Headers({ [BOOKMARK_HEADER]: "first-primary" }),
      new Headers({ cookie: `${BOOKMARK_COOKIE}=x` }),
    ]) {
      await request(d1, headers, "read", (rs) => rs.db.select().from(rateLimits).limit(1).all());
    }
    expect(record.sessions).toEqual(["first-unconstrained", "first-unconstrained", "first-unconstrained"]);
  });

  it("drizzle runs on a session: single statements, batches and raw SQL (prepare/bind/batch only)", async () => {
    const { d1, record } = spyD1(testEnv.DB);
    const key = `replication|${newUid()}`;
    const rs = openSession(d1, new Headers(), "write");
    expect(rs.session.getBookmark()).toBeNull();
    await rs.db.insert(rateLimits).values({ key, windowStart: 3, count: 1 }).run();
    const first = replyBookmark(rs);
    await rs.db.update(rateLimits).set({ count: 2 }).where(eq(rateLimits.key, key)).run();
    const row = await rs.db.select().from(rateLimits).where(eq(rateLimits.key, key)).get();
    expect(row?.count).toBe(2);
    expect(isBookmark(replyBookmark(rs))).toBe(true);
    expect(first).not.toBeNull();
    expect(record.writes).toHaveLength(2);
  });
});

describe("through the API", () => {
  it("a booking's bookmark (cookie) opens the holder's next read, which sees the booking", async () => {
    const me = await login();
    const { voucher, validFrom } = await issueVoucher(me);
    const spy = spyD1(testEnv.DB);
    const env = { ...testEnv, DB: spy.d1 } as Env;

    const booked = await json(
      "/api/voucher/book",
      { session: me.session, body: { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 2), holderUid: me.uid } },
      env,
    );
    expect(booked.status).toBe(200);
    const bookmark = booked.headers.get(BOOKMARK_HEADER);
    expect(isBookmark(bookmark)).toBe(true);
    const pair = (booked.headers.get("set-cookie") ?? "").split(", ").find((c) => c.startsWith(`${BOOKMARK_COOKIE}=`));
    expect(pair?.split(";")[0]).toBe(`${BOOKMARK_COOKIE}=${bookmark}`);

    const read = await json(
      "/api/voucher/bookings",
      { session: me.session, headers: { cookie: pair?.split(";")[0] ?? "" } },
      env,
    );
    expect(read.status).toBe(200);
    expect(read.body.items.map((b: { bookingId: string }) => b.bookingId)).toContain(booked.body.booking.bookingId);
    expect(spy.record.sessions).toEqual(["first-primary", bookmark]);
    // The read's answer carries a bookmark too (at least as new), so the client keeps its place.
    expect(isBookmark(read.headers.get(BOOKMARK_HEADER))).toBe(true);
  });

  it("a write starts at the primary even when the client sends a bookmark; a read without one starts anywhere", async () => {
    const me = await login();
    const spy = spyD1(testEnv.DB);
    const env = { ...testEnv, DB: spy.d1 } as Env;
    const old = "00000000-00000001-00000000-00000000000000000000000000000000";
    const issued = await json(
      "/api/voucher/issue",
      { session: me.session, headers: { [BOOKMARK_HEADER]: old }, body: { issuerUid: me.uid, title: "bm" } },
      env,
    );
    expect(issued.status).toBe(200);
    const list = await call("/api/voucher/list", { session: me.session }, env);
    expect(list.status).toBe(200);
    await list.arrayBuffer();
    expect(spy.record.sessions).toEqual(["first-primary", "first-unconstrained"]);
  });

  it("refusals carry the bookmark too (a 404 after a read)", async () => {
    const me = await login();
    const res = await json("/api/slots/available?voucherId=v-does-not-exist", { session: me.session });
    expect(res.status).toBe(404);
    expect(isBookmark(res.headers.get(BOOKMARK_HEADER))).toBe(true);
  });
});
