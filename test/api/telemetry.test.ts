/**
 * Telemetry (one object or an array; anonymous allowed; one INSERT per request, no audit event,
 * 300 requests per minute and caller counted without D1) and the API catalog (built from route
 * declarations that are all registered).
 */
import { describe, expect, it, vi } from "vitest";
import { apiRoutes } from "../../src/routes";
import { CATALOG } from "../../src/manifest/routes";
import { MAX_TELEMETRY_ITEMS, TELEMETRY_PER_MIN } from "../../src/telemetry/ingest";
import { compatEnv, json, login, newUid } from "../support/client";
import { count, post, rows } from "../support/voucher-kit";

const URL_ = "/api/telemetry";
let ipCounter = 0;
/** A fresh client address per test: the limiter counts per caller. */
const freshIp = () => `198.51.${Math.floor(Math.random() * 200)}.${(ipCounter++ % 250) + 1}`;
const byType = (type: string) =>
  rows<{ type: string; path: string | null; caller_key: string; meta: string; created_at: number }>(
    "SELECT * FROM telemetry_events WHERE type = ? ORDER BY seq",
    type,
  );

describe("POST /api/telemetry", () => {
  it("stores an array from an anonymous caller under a keyed hash of its address, and writes no audit event", async () => {
    const type = `page.view.${newUid("t")}`;
    const ip = freshIp();
    const eventsBefore = await count("events");
    const res = await post(
      URL_,
      null,
      [{ type, path: "/", meta: { w: 1280 } }, { type, path: "/honeycomb.html", actorUid: "someone-else" }, { type }],
      { headers: { "cf-connecting-ip": ip } },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, stored: 3 });
    const stored = await byType(type);
    expect(stored.map((r) => [r.path, JSON.parse(r.meta)])).toEqual([
      ["/", { w: 1280 }],
      ["/honeycomb.html", {}],
      [null, {}],
    ]);
    const keys = new Set(stored.map((r) => r.caller_key));
    expect(keys.size).toBe(1);
    const [key] = [...keys];
    expect(key).toMatch(/^ip:[0-9a-f]{32}$/);
    expect(key).not.toContain(ip);
    expect(await count("events")).toBe(eventsBefore);
  });

  it("takes one object, and records a verified caller by uid; actorUid must be the caller", async () => {
    const me = await login();
    const type = `ui.click.${newUid("t")}`;
    const one = await post(URL_, me, { type, path: "/x", actorUid: me.uid });
    expect(one.body).toEqual({ ok: true, stored: 1 });
    expect((await byType(type)).map((r) => r.caller_key)).toEqual([`uid:${me.uid}`]);
    const other = await post(URL_, me, [{ type, actorUid: newUid() }]);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe("uid_mismatch");
    expect(await byType(type)).toHaveLength(1);
  });

  it("an asserted uid (AUTH_MODE=compat, no session) is not trusted: the row is keyed by address", async () => {
    const type = `ui.rage_click.${newUid("t")}`;
    const res = await post(URL_, null, [{ type, actorUid: "alice" }], {
      env: compatEnv,
      headers: { "cf-connecting-ip": freshIp(), "x-mot-user": "alice" },
    });
    expect(res.status).toBe(200);
    expect((await byType(type))[0]?.caller_key).toMatch(/^ip:/);
  });

  it("refuses malformed items, too many items and oversized meta, storing nothing", async () => {
    const type = `bad.${newUid("t")}`;
    const cases: unknown[] = [
      [{ path: "/" }],
      [{ type, extra: 1 }],
      [],
      Array.from({ length: MAX_TELEMETRY_ITEMS + 1 }, () => ({ type })),
      [{ type, meta: { blob: "x".repeat(1_100) } }],
      [{ type: "has spaces" }],
      "page.view",
    ];
    for (const body of cases) {
      const res = await post(URL_, null, body, { headers: { "cf-connecting-ip": freshIp() } });
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body.code).toBe("validation_failed");
    }
    expect(await byType(type)).toHaveLength(0);
    const max = await post(
      URL_,
      null,
      Array.from({ length: MAX_TELEMETRY_ITEMS }, () => ({ type })),
      { headers: { "cf-connecting-ip": freshIp() } },
    );
    expect(max.body).toEqual({ ok: true, stored: MAX_TELEMETRY_ITEMS });
  });

  it(`allows ${TELEMETRY_PER_MIN} requests a minute per caller, then 429 without a D1 write; other callers go on`, async () => {
    const ip = freshIp();
    const type = `burst.${newUid("t")}`;
    const rateRowsBefore = await count("rate_limits");
    // The window is the clock's minute: pin the clock mid-minute so the burst stays in one window.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.floor(Date.now() / 60_000) * 60_000 + 1_000);
    try {
      for (let i = 0; i < TELEMETRY_PER_MIN; i++) {
        const res = await post(URL_, null, { type }, { headers: { "cf-connecting-ip": ip } });
        expect(res.status).toBe(200);
      }
      const refused = await post(URL_, null, { type }, { headers: { "cf-connecting-ip": ip } });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe("rate_limited");
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await byType(type)).toHaveLength(TELEMETRY_PER_MIN);
      expect(await count("rate_limits")).toBe(rateRowsBefore);
      const other = await post(URL_, null, { type }, { headers: { "cf-connecting-ip": freshIp() } });
      expect(other.status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("GET /api/presence/catalog/apis", () => {
  it("lists the original ids that still have a route, each pointing at a registered route", async () => {
    const res = await json("/api/presence/catalog/apis");
    expect(res.status).toBe(200);
    const items = res.body.items as Array<Record<string, unknown>>;
    const ids = items.map((i) => i.id);
    expect(ids).toContain("doc-verify-example");
    expect(ids).toContain("webhook-generic");
    expect(ids).not.toContain("ai-summary-example");
    expect(new Set(ids).size).toBe(ids.length);
    const hook = items.find((i) => i.id === "webhook-generic");
    expect(hook).toMatchObject({
      base_url: "http://localhost/api/manifest/submit",
      method: "POST",
      auth_type: "session",
      doc_url: "http://localhost/api/docs#manifest.submit",
      example_payload: { source: "manifest-of-thinkers-offline", version: 1, posts: [] },
    });
    for (const item of items) {
      for (const key of ["id", "name", "category", "base_url", "auth_type", "doc_url"]) expect(typeof item[key]).toBe("string");
    }
    for (const entry of CATALOG) expect(apiRoutes).toContain(entry.route);
  });

  it("each entry answers at its URL with its method (no entry points at a 404)", async () => {
    const res = await json("/api/presence/catalog/apis");
    for (const item of res.body.items as Array<{ base_url: string; method: string }>) {
      const path = new URL(item.base_url).pathname;
      const probe = await json(path, { method: item.method, ...(item.method === "GET" ? {} : { body: {} }) });
      expect([404, 405], `${item.method} ${path}`).not.toContain(probe.status);
    }
  });

  it("refuses other methods", async () => {
    const res = await json("/api/presence/catalog/apis", { method: "POST", body: {} });
    expect(res.status).toBe(405);
  });
});
