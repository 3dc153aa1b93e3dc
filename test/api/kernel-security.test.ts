/**
 * The kernel's defences, each tried the way an attacker or a stale client would: sessions that
 * outlive a logout or an erasure, cross-site writes riding on the cookie (and login CSRF), missing
 * security headers, admin token guessing, and answers outside the JSON envelope.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { call, json, login, newUid, signedLink, testEnv } from "../support/client";
import { ADMIN } from "../support/settlement-kit";
import { count } from "../support/voucher-kit";

const ISSUE = "/api/voucher/issue";
const LOGOUT = "/api/presence/logout";
const VERIFY = "/api/presence/verify";
const SITE = "http://localhost";
const issueBody = (uid: string) => ({ issuerUid: uid, title: "kernel test" });
const vouchersOf = (uid: string) => count("vouchers", "issuer_uid = ?", uid);

afterEach(() => vi.restoreAllMocks());

describe("session revocation", () => {
  it("an erased person's old session cannot write or read (401 session_revoked), nothing is re-created", async () => {
    const me = await login();
    expect((await json(ISSUE, { session: me.session, body: issueBody(me.uid) })).status).toBe(200);
    const erased = await call(`/api/admin/thinkers/${me.uid}`, { method: "DELETE", headers: ADMIN });
    expect(erased.status).toBe(200);
    const before = await vouchersOf(me.uid);

    const write = await json(ISSUE, { session: me.session, body: issueBody(me.uid) });
    expect([write.status, write.body.code]).toEqual([401, "session_revoked"]);
    const read = await json("/api/voucher/list", { session: me.session });
    expect([read.status, read.body.code]).toEqual([401, "session_revoked"]);
    expect(await vouchersOf(me.uid)).toBe(before);
    expect(await count("thinkers", "id = ?", me.thinkerId)).toBe(0);

    // The same uid verifies afresh: the new session works, the old one stays dead.
    const again = await login(me.uid);
    expect((await json(ISSUE, { session: again.session, body: issueBody(me.uid) })).status).toBe(200);
    expect((await json(ISSUE, { session: me.session, body: issueBody(me.uid) })).body.code).toBe("session_revoked");
  });

  it("logout ends every device's session, clears the cookie and logs an event; a new login works", async () => {
    const phone = await login();
    const laptop = await login(phone.uid);
    const out = await call(LOGOUT, { method: "POST", session: phone.session });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/^ts_session=;.*Max-Age=0/);
    expect(out.headers.get("cache-control")).toBe("no-store");
    expect(await count("events", "type = 'auth.logout' AND subject_id = ?", phone.thinkerId)).toBe(1);

    for (const who of [phone, laptop]) {
      const w = await json(ISSUE, { session: who.session, body: issueBody(who.uid) });
      expect([w.status, w.body.code]).toEqual([401, "session_revoked"]);
      const r = await json("/api/voucher/bookings", { session: who.session });
      expect([r.status, r.body.code]).toEqual([401, "session_revoked"]);
    }
    expect(await vouchersOf(phone.uid)).toBe(0);
    // Logging out twice: the session is already over.
    expect((await json(LOGOUT, { method: "POST", session: phone.session })).body.code).toBe("session_revoked");
    const fresh = await login(phone.uid);
    expect((await json(ISSUE, { session: fresh.session, body: issueBody(phone.uid) })).status).toBe(200);
  });

  it("a revoked session cannot mint a room ticket or open a room socket", async () => {
    const me = await login();
    await call(LOGOUT, { method: "POST", session: me.session });
    const ticket = await json("/api/rooms/wabe:lobby/ticket", { method: "POST", session: me.session });
    expect([ticket.status, ticket.body.code]).toEqual([401, "session_revoked"]);
    const ws = await call("/api/rooms/wabe:lobby/ws", { session: me.session, headers: { upgrade: "websocket" } });
    expect(ws.status).toBe(401);
    expect(((await ws.json()) as { code: string }).code).toBe("session_revoked");
  });

  it("logout needs a session (401 unauthenticated without one)", async () => {
    const r = await json(LOGOUT, { method: "POST" });
    expect([r.status, r.body.code]).toEqual([401, "unauthenticated"]);
  });
});

describe("CSRF: cookie-authenticated writes", () => {
  const cookieWrite = (me: { uid: string; session: string }, headers: Record<string, string>, e?: Env) =>
    json(ISSUE, { headers: { cookie: `ts_session=${me.session}`, ...headers }, body: issueBody(me.uid) }, e);

  it.each([
    ["no Origin and no Sec-Fetch-Site", {}],
    ["a foreign Origin", { origin: "https://evil.example" }],
    ["Origin null (sandboxed frame)", { origin: "null" }],
    ["a look-alike Origin", { origin: "http://localhost.evil.example" }],
    ["another port of the host", { origin: "http://localhost:9999" }],
    ["Sec-Fetch-Site cross-site", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site same-site (a sibling subdomain)", { "sec-fetch-site": "same-site" }],
  ])("%s → 403 bad_origin, nothing written", async (_label, headers) => {
    const me = await login();
    const r = await cookieWrite(me, headers);
    expect([r.status, r.body.code]).toEqual([403, "bad_origin"]);
    expect(await vouchersOf(me.uid)).toBe(0);
  });

  it("the site's own Origin, or Sec-Fetch-Site same-origin, is served", async () => {
    const me = await login();
    expect((await cookieWrite(me, { origin: SITE })).status).toBe(200);
    expect((await cookieWrite(me, { "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect(await vouchersOf(me.uid)).toBe(2);
  });

  it("an origin listed in ALLOWED_ORIGINS is served; others stay refused", async () => {
    const me = await login();
    const e = { ...testEnv, ALLOWED_ORIGINS: "https://portal.example.org, not a url" } as Env;
    expect((await cookieWrite(me, { origin: "https://portal.example.org" }, e)).status).toBe(200);
    expect((await cookieWrite(me, { origin: "https://other.example.org" }, e)).body.code).toBe("bad_origin");
  });

  it("CORS only for ALLOWED_ORIGINS: preflight, credentials and exposed headers; nothing for other origins", async () => {
    const me = await login();
    const e = { ...testEnv, ALLOWED_ORIGINS: "https://portal.example.org" } as Env;
    // A preflight is no API operation (the CORS step answers it): sent past the contract check.
    const preflight = await app.request(
      `http://localhost${ISSUE}`,
      {
        method: "OPTIONS",
        headers: {
          origin: "https://portal.example.org",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, idempotency-key",
        },
      },
      e,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://portal.example.org");
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("idempotency-key");
    const read = await call("/api/voucher/list", { session: me.session, headers: { origin: "https://portal.example.org" } }, e);
    expect(read.headers.get("access-control-allow-origin")).toBe("https://portal.example.org");
    expect(read.headers.get("access-control-expose-headers")).toContain("x-d1-bookmark");
    const foreign = await call("/api/voucher/list", { session: me.session, headers: { origin: "https://evil.example" } }, e);
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const foreignPreflight = await app.request(
      `http://localhost${ISSUE}`,
      { method: "OPTIONS", headers: { origin: "https://evil.example" } },
      e,
    );
    expect(foreignPreflight.status).toBe(405);
    expect(foreignPreflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a Bearer request is exempt (no ambient authority), whatever its Origin", async () => {
    const me = await login();
    const r = await json(ISSUE, { session: me.session, headers: { origin: "https://evil.example" }, body: issueBody(me.uid) });
    expect(r.status).toBe(200);
  });

  it("a cookie logout from a foreign page is refused (the session survives)", async () => {
    const me = await login();
    const r = await json(LOGOUT, {
      method: "POST",
      headers: { cookie: `ts_session=${me.session}`, origin: "https://evil.example" },
    });
    expect([r.status, r.body.code]).toEqual([403, "bad_origin"]);
    expect((await json(ISSUE, { session: me.session, body: issueBody(me.uid) })).status).toBe(200);
  });
});

describe("login CSRF: POST /api/presence/verify", () => {
  const burned = (uid: string) => count("used_link_nonces", "uid = ?", uid);

  it("refuses a cross-site page (403 bad_origin) and does not burn the link", async () => {
    const uid = newUid();
    const link = await signedLink(uid);
    const foreign: Record<string, string>[] = [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }];
    for (const headers of foreign) {
      const r = await json(VERIFY, { body: link, headers });
      expect([r.status, r.body.code]).toEqual([403, "bad_origin"]);
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    expect(await burned(uid)).toBe(0);
    expect((await json(VERIFY, { body: link, headers: { origin: SITE } })).status).toBe(200);
  });

  it.each([
    ["text/plain", "text/plain"],
    ["a form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
  ])("refuses %s (415 unsupported_media_type), unread", async (_label, type) => {
    const uid = newUid();
    const link = await signedLink(uid);
    const r = await call(VERIFY, { method: "POST", raw: JSON.stringify(link), headers: { "content-type": type } });
    expect(r.status).toBe(415);
    expect(((await r.json()) as { code: string }).code).toBe("unsupported_media_type");
    expect(await burned(uid)).toBe(0);
  });

  it("refuses a body without a content type (415)", async () => {
    const link = await signedLink(newUid());
    const r = await call(VERIFY, { method: "POST", raw: JSON.stringify(link) });
    expect(r.status).toBe(415);
  });

  it("serves a client that is not a browser (no Origin) and JSON with a charset", async () => {
    const r = await call(VERIFY, {
      method: "POST",
      raw: JSON.stringify(await signedLink(newUid())),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(r.status).toBe(200);
  });
});

describe("security headers and caching", () => {
  const expectSecure = (res: Response, label: string) => {
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp, label).toContain("frame-ancestors 'none'");
    expect(csp, label).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options"), label).toBe("nosniff");
    expect(res.headers.get("referrer-policy"), label).toBeTruthy();
    expect(res.headers.get("cross-origin-opener-policy"), label).toBe("same-origin");
    expect(res.headers.get("x-request-id"), label).toBeTruthy();
  };

  it("every kind of API answer carries them", async () => {
    const me = await login();
    const answers: Record<string, Response> = {
      "200 list": await call("/api/voucher/list", { session: me.session }),
      "200 verify": await call(VERIFY, { body: await signedLink(newUid()) }),
      "400 validation": await call(ISSUE, { session: me.session, body: { nope: 1 } }),
      "401 no session": await call(ISSUE, { body: issueBody(me.uid) }),
      "404 fallback": await call("/api/no/such/route"),
      "405 wrong method": await call("/api/voucher/book", { method: "PUT" }),
      "admin 200": await call("/api/admin/stats/vouchers", { headers: ADMIN }),
      "admin 401": await call("/api/admin/stats/vouchers", { headers: { authorization: "Bearer wrong-token-xxxx" } }),
      docs: await call("/api/docs"),
      openapi: await call("/api/openapi.json"),
    };
    for (const [label, res] of Object.entries(answers)) expectSecure(res, label);
  });

  it("the docs page allows exactly its own style block (by hash), no script", async () => {
    const res = await call("/api/docs");
    const csp = res.headers.get("content-security-policy") ?? "";
    const style = /<style>([\s\S]*?)<\/style>/.exec(await res.text())?.[1] ?? "";
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
    expect(csp).toContain(`style-src 'sha256-${btoa(String.fromCharCode(...digest))}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src|unsafe/);
  });

  it("answers with tokens or personal data are no-store", async () => {
    const me = await login();
    const paths: Array<[string, Parameters<typeof call>[1]]> = [
      [VERIFY, { body: await signedLink(newUid()) }],
      ["/api/voucher/list", { session: me.session }],
      ["/api/voucher/bookings", { session: me.session }],
      ["/api/admin/stats/vouchers", { headers: ADMIN }],
      ["/api/admin/events", { headers: ADMIN }],
    ];
    for (const [path, init] of paths) {
      const res = await call(path, init);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });
});

describe("admin token guessing", () => {
  const limited = { ...testEnv, ADMIN_AUTH_FAILURES_PER_MIN: "3" } as Env;
  const from = (ip: string, token: string) => ({ headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": ip } });

  it("locks a client out after the allowed failures (429 + Retry-After), the right token included; others unaffected", async () => {
    const warn = vi.spyOn(console, "warn");
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    for (let i = 0; i < 3; i++) {
      const r = await json("/api/admin/stats/vouchers", from(ip, `guess-${i}-xxxxxxxx`), limited);
      expect(r.status).toBe(401);
    }
    const blocked = await json("/api/admin/stats/vouchers", from(ip, "guess-4-xxxxxxxx"), limited);
    expect([blocked.status, blocked.body.code]).toEqual([429, "rate_limited"]);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    const right = await json("/api/admin/stats/vouchers", from(ip, testEnv.ADMIN_TOKEN), limited);
    expect(right.status).toBe(429);
    const other = await json("/api/admin/stats/vouchers", from("203.0.113.7", testEnv.ADMIN_TOKEN), limited);
    expect(other.status).toBe(200);
    const warnings = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("admin authentication failed"));
    expect(warnings.length).toBe(3);
    expect(JSON.parse(warnings[0] ?? "{}")).toMatchObject({ level: "warn", ip, requestId: expect.any(String) });
  });
});

describe("every /api answer is the JSON envelope", () => {
  it.each([
    ["an unknown path", "/api/nope", "GET", 404, "not_found"],
    ["an empty segment", "/api/rooms//ws", "GET", 404, "not_found"],
    ["an empty segment in a POST", "/api/rooms//ticket", "POST", 404, "not_found"],
    ["a wrong method", "/api/voucher/book", "GET", 405, "method_not_allowed"],
    ["a wrong method (DELETE)", "/api/voucher/list", "DELETE", 405, "method_not_allowed"],
  ])("%s → %i with code, error and x-request-id", async (_label, path, method, status, code) => {
    const res = await call(path, { method });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: false, code, error: expect.any(String), requestId: res.headers.get("x-request-id") });
  });

  it("x-request-id: a safe client id is kept (and logged), anything else replaced", async () => {
    const kept = await call("/api/nope", { headers: { "x-request-id": "client-trace_42=" } });
    expect(kept.headers.get("x-request-id")).toBe("client-trace_42=");
    for (const bad of ["a b", "x".repeat(65), "<script>", "id\u00e9"]) {
      const res = await call("/api/nope", { headers: { "x-request-id": bad } });
      const id = res.headers.get("x-request-id") ?? "";
      expect(id, bad).not.toBe(bad);
      expect(id, bad).toMatch(/^req-[0-9a-z-]+$/);
      expect(((await res.json()) as { requestId: string }).requestId).toBe(id);
    }
  });

  it("a 405 names the allowed method", async () => {
    const res = await call("/api/voucher/book", { method: "GET" });
    expect(res.headers.get("allow")).toBe("POST");
  });
});
