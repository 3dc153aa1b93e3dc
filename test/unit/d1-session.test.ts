/**
 * Where a request's D1 session starts and which bookmark goes back to the client. D1 is faked
 * here (a recorder of `withSession` arguments) so each test can tell exactly which bookmark a
 * session was opened with; test/api/replication.test.ts runs the same path on the real local D1.
 */
import { describe, expect, it } from "vitest";
import {
  BOOKMARK_COOKIE,
  BOOKMARK_COOKIE_MAX_AGE,
  BOOKMARK_HEADER,
  applyBookmark,
  bookmarkCookie,
  isBookmark,
  openSession,
  requestBookmark,
  sessionStart,
} from "../../src/db/session";

const BM1 = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";
const BM2 = "00000085-0000024d-00004c6e-0123456789abcdef0123456789abcdef";
const API = new URL("https://together.example/api/voucher/book");

/**
 * A fake D1: `withSession(start)` is recorded; the session's bookmark is null until a query
 * "runs", then `afterQuery` (as D1 reports the position a query saw).
 */
function fakeD1(afterQuery: string | null) {
  const opened: string[] = [];
  const d1 = {
    withSession(start: string) {
      opened.push(start);
      let bookmark: string | null = null;
      return {
        prepare: () => ({}),
        batch: async () => {
          bookmark = afterQuery;
          return [];
        },
        getBookmark: () => bookmark,
      };
    },
  };
  return { d1: d1 as unknown as D1Database, opened };
}

/** What a browser sends back from a response's `Set-Cookie` (name=value of our cookie). */
function cookieFrom(res: Headers): string | null {
  const set = res.get("set-cookie");
  const m = set ? new RegExp(`(?:^|, )(${BOOKMARK_COOKIE}=[^;]*)`).exec(set) : null;
  return m?.[1] ?? null;
}

describe("bookmark validation", () => {
  it("accepts D1's shape only", () => {
    expect(isBookmark(BM1)).toBe(true);
    expect(isBookmark(BM1.toUpperCase())).toBe(true);
    for (const bad of [
      "",
      "first-primary",
      "first-unconstrained",
      "garbage",
      `${BM1}x`,
      ` ${BM1}`,
      BM1.slice(0, -1),
      "0000008g-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683",
      `${BM1}\r\nset-cookie: x=1`,
      null,
      undefined,
    ]) {
      expect(isBookmark(bad), String(bad)).toBe(false);
    }
  });

  it("header first, then the cookie; garbage in either is ignored", () => {
    expect(requestBookmark(new Headers({ [BOOKMARK_HEADER]: BM1, cookie: `${BOOKMARK_COOKIE}=${BM2}` }))).toBe(BM1);
    expect(requestBookmark(new Headers({ [BOOKMARK_HEADER]: ` ${BM1} ` }))).toBe(BM1);
    expect(requestBookmark(new Headers({ [BOOKMARK_HEADER]: "junk", cookie: `a=1; ${BOOKMARK_COOKIE}=${BM2}; b=2` }))).toBe(BM2);
    expect(requestBookmark(new Headers({ cookie: `${BOOKMARK_COOKIE}=first-primary` }))).toBeNull();
    expect(requestBookmark(new Headers({ cookie: `x${BOOKMARK_COOKIE}=${BM2}` }))).toBeNull();
    expect(requestBookmark(new Headers({ cookie: "ts_session=abc" }))).toBeNull();
    expect(requestBookmark(new Headers())).toBeNull();
  });
});

describe("where a session starts", () => {
  it("reads: at the client's bookmark, else anywhere; writes: always at the primary", () => {
    expect(sessionStart("read", BM1)).toBe(BM1);
    expect(sessionStart("read", null)).toBe("first-unconstrained");
    expect(sessionStart("write", BM1)).toBe("first-primary");
    expect(sessionStart("write", null)).toBe("first-primary");
  });

  it("openSession never hands D1 a value from the client that is not a bookmark", () => {
    const { d1, opened } = fakeD1(null);
    openSession(d1, new Headers({ [BOOKMARK_HEADER]: "first-primary" }), "read");
    openSession(d1, new Headers({ cookie: `${BOOKMARK_COOKIE}=garbage` }), "read");
    openSession(d1, new Headers({ [BOOKMARK_HEADER]: BM1 }), "read");
    expect(opened).toEqual(["first-unconstrained", "first-unconstrained", BM1]);
  });
});

describe("read your own writes", () => {
  it("the bookmark a write returns is exactly where the next read's session starts (header and cookie)", async () => {
    const { d1, opened } = fakeD1(BM2);
    // The write: a session at the primary, one batch, then the answer's headers.
    const write = openSession(d1, new Headers({ cookie: `${BOOKMARK_COOKIE}=${BM1}` }), "write");
    await write.session.batch([]);
    const answer = new Headers({ "content-type": "application/json" });
    applyBookmark(answer, write, API);
    expect(answer.get(BOOKMARK_HEADER)).toBe(BM2);
    const cookie = cookieFrom(answer);
    expect(cookie).toBe(`${BOOKMARK_COOKIE}=${BM2}`);

    // A browser sends the cookie back; an API client sends the header.
    openSession(d1, new Headers({ cookie: `ts_session=s; ${cookie}` }), "read");
    openSession(d1, new Headers({ [BOOKMARK_HEADER]: answer.get(BOOKMARK_HEADER) ?? "" }), "read");
    expect(opened).toEqual(["first-primary", BM2, BM2]);
  });

  it("a request that ran no query hands the client's bookmark back, without a new cookie", () => {
    const { d1 } = fakeD1(BM2);
    const rs = openSession(d1, new Headers({ [BOOKMARK_HEADER]: BM1 }), "read");
    const answer = new Headers();
    applyBookmark(answer, rs, API);
    expect(answer.get(BOOKMARK_HEADER)).toBe(BM1);
    expect(answer.get("set-cookie")).toBeNull();
  });

  it("nothing to send when neither the client nor the session has a bookmark", () => {
    const { d1 } = fakeD1(null);
    const answer = new Headers();
    applyBookmark(answer, openSession(d1, new Headers(), "read"), API);
    expect(answer.has(BOOKMARK_HEADER)).toBe(false);
    expect(answer.has("set-cookie")).toBe(false);
  });

  it("keeps the other cookies of the answer (a login sets the session cookie too)", async () => {
    const { d1 } = fakeD1(BM2);
    const rs = openSession(d1, new Headers(), "write");
    await rs.session.batch([]);
    const answer = new Headers({ "set-cookie": "ts_session=abc; Path=/" });
    applyBookmark(answer, rs, API);
    // getSetCookie exists in workerd; the workers-types in use do not declare it yet.
    expect((answer as Headers & { getSetCookie(): string[] }).getSetCookie()).toEqual([
      "ts_session=abc; Path=/",
      bookmarkCookie(BM2, API),
    ]);
  });
});

describe("the cookie", () => {
  it("HttpOnly, SameSite=Lax, Path=/api, short-lived, Secure except on localhost", () => {
    expect(bookmarkCookie(BM1, API)).toBe(
      `${BOOKMARK_COOKIE}=${BM1}; Path=/api; Max-Age=${BOOKMARK_COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(bookmarkCookie(BM1, new URL("http://localhost:8788/api/x"))).not.toMatch(/Secure/);
    expect(BOOKMARK_COOKIE_MAX_AGE).toBeLessThanOrEqual(3600);
  });
});
