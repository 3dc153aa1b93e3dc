/**
 * Telemetry (one object or an array; anonymous allowed; no audit event, 300 requests per minute
 * and caller counted without D1; with an execution context the rows of many requests are written
 * by one deferred statement, without one each request writes its own) and the API catalog (built
 * from route declarations that are all registered).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { apiRoutes } from "../../src/routes";
import { CATALOG } from "../../src/manifest/routes";
import { DEFAULT_CAPS } from "../../src/telemetry/buffer";
import { FLUSH_MS, MAX_TELEMETRY_ITEMS, TELEMETRY_PER_MIN } from "../../src/telemetry/ingest";
import { checkContract, compatEnv, json, login, newUid, testEnv } from "../support/client";
import { spyD1 } from "../support/d1-spy";
import { type Who, count, post, rows } from "../support/voucher-kit";

const URL_ = "/api/telemetry";
let ipCounter = 0;
/** A fresh client address per test: the limiter counts per caller. */
const freshIp = () => `198.51.${Math.floor(Math.random() * 200)}.${(ipCounter++ % 250) + 1}`;
/** The stored items of `type`, flattened out of their rows, in row and item order. */
const byType = (type: string) =>
  rows<{ seq: number; type: string; path: string | null; caller_key: string; meta: string; at: number }>(
    `SELECT b.seq, b.caller_key, i.value ->> '$.type' AS type, i.value ->> '$.path' AS path,
       i.value ->> '$.meta' AS meta, i.value ->> '$.at' AS at
     FROM telemetry_batches b, json_each(b.items) i WHERE i.value ->> '$.type' = ? ORDER BY b.seq, i.key`,
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

/** An execution context whose `waitUntil` collects the promises, as the Workers runtime would run them. */
function executionContext() {
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext;
  return { ctx, pending };
}

/** POSTs telemetry as `who` (or anonymously from `ip`) with an execution context; checked against the OpenAPI document. */
async function postWithContext(body: unknown, who: Who | null, ctx: ExecutionContext, opts: { ip?: string; env?: Env } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", "cf-connecting-ip": opts.ip ?? freshIp() };
  if (who) headers.authorization = `Bearer ${who.session}`;
  const res = await app.request(
    `http://localhost${URL_}`,
    { method: "POST", headers, body: JSON.stringify(body) },
    opts.env ?? testEnv,
    ctx,
  );
  await checkContract("POST", URL_, res);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const isTelemetryInsert = (statement: string) => /^insert into "telemetry_batches"/i.test(statement.trim());

describe("POST /api/telemetry with an execution context: rows batched per isolate", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("rows of several requests and callers land only at the flush, in order, written by ONE statement", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const spy = spyD1(testEnv.DB);
    const env = { ...testEnv, DB: spy.d1 };
    const { ctx, pending } = executionContext();
    const me = await login();
    const type = `batched.${newUid("t")}`;
    const first = await postWithContext(
      [
        { type, path: "/a" },
        { type, path: "/b" },
      ],
      null,
      ctx,
      { env },
    );
    const second = await postWithContext({ type, path: "/c", meta: { w: 1 } }, me, ctx, { env });
    const third = await postWithContext([{ type, path: "/d" }], null, ctx, { env });
    expect([first.body, second.body, third.body]).toEqual([
      { ok: true, stored: 2 },
      { ok: true, stored: 1 },
      { ok: true, stored: 1 },
    ]);
    // Accepted, not yet written: no row, no write statement; only the first request scheduled a flush.
    expect(await byType(type)).toHaveLength(0);
    expect(spy.record.writes).toEqual([]);
    expect(pending).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    await Promise.all(pending);
    const stored = await byType(type);
    expect(stored.map((r) => r.path)).toEqual(["/a", "/b", "/c", "/d"]);
    expect(stored[2]).toMatchObject({ caller_key: `uid:${me.uid}`, meta: '{"w":1}' });
    expect(stored[0]?.caller_key).toMatch(/^ip:[0-9a-f]{32}$/);
    expect(stored[3]?.caller_key).toMatch(/^ip:[0-9a-f]{32}$/);
    expect(stored[0]?.caller_key).not.toBe(stored[3]?.caller_key);
    expect(spy.record.writes).toHaveLength(1);
    expect(isTelemetryInsert(spy.record.writes[0] ?? "")).toBe(true);
  });

  it("one caller's items of a flush share ONE row (items in arrival order, created_at the first item's); each caller has its own", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    vi.setSystemTime(Date.UTC(2030, 0, 3, 12));
    const { ctx, pending } = executionContext();
    const me = await login();
    const ip = freshIp();
    const type = `grouped.${newUid("t")}`;
    const t0 = Date.now();
    expect(
      (
        await postWithContext(
          [
            { type, path: "/1", meta: { n: 1 } },
            { type, path: "/2" },
          ],
          null,
          ctx,
          { ip },
        )
      ).status,
    ).toBe(200);
    vi.setSystemTime(t0 + 300);
    expect((await postWithContext([{ type, path: "/me" }], me, ctx)).status).toBe(200);
    vi.setSystemTime(t0 + 600);
    expect((await postWithContext({ type, path: "/3" }, null, ctx, { ip })).status).toBe(200);

    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    await Promise.all(pending);
    const keys = [...new Set((await byType(type)).map((r) => r.caller_key))];
    expect(keys).toHaveLength(2);
    const stored = await rows<{ caller_key: string; items: string; item_count: number; created_at: number }>(
      `SELECT caller_key, items, item_count, created_at FROM telemetry_batches WHERE caller_key IN (?, ?) ORDER BY seq`,
      keys[0],
      keys[1],
    );
    expect(stored.map((r) => [r.caller_key, r.item_count, r.created_at])).toEqual([
      [keys[0], 3, t0],
      [`uid:${me.uid}`, 1, t0 + 300],
    ]);
    expect(JSON.parse(stored[0]?.items ?? "")).toEqual([
      { type, path: "/1", meta: { n: 1 }, at: t0 },
      { type, path: "/2", meta: {}, at: t0 },
      { type, path: "/3", meta: {}, at: t0 + 600 },
    ]);
  });

  it("a full buffer is flushed at once, without waiting for the interval", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const { ctx, pending } = executionContext();
    const type = `capped.${newUid("t")}`;
    const batch = Array.from({ length: MAX_TELEMETRY_ITEMS }, (_, i) => ({ type, path: `/${i}` }));
    const requests = Math.ceil(DEFAULT_CAPS.maxRows / MAX_TELEMETRY_ITEMS);
    for (let i = 0; i < requests; i++) expect((await postWithContext(batch, null, ctx)).status).toBe(200);
    // The first request scheduled the interval's flush; the one reaching the cap flushed at once.
    expect(pending).toHaveLength(2);
    await pending[1];
    expect(await byType(type)).toHaveLength(requests * MAX_TELEMETRY_ITEMS);
    // The interval's flush then finds nothing left.
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    await Promise.all(pending);
    expect(await byType(type)).toHaveLength(requests * MAX_TELEMETRY_ITEMS);
  });

  it("a person erased while their rows wait: the flush drops them and writes the anonymous rows beside them", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    vi.setSystemTime(Date.UTC(2030, 0, 1, 12));
    const { ctx, pending } = executionContext();
    const gone = await login();
    const stays = await login();
    const type = `erased.${newUid("t")}`;
    expect((await postWithContext([{ type, path: "/gone" }], gone, ctx)).status).toBe(200);
    expect((await postWithContext([{ type, path: "/anon" }], null, ctx)).status).toBe(200);
    expect((await postWithContext([{ type, path: "/stays" }], stays, ctx)).status).toBe(200);
    vi.setSystemTime(Date.now() + 10);
    const erased = await json("/api/me", { method: "DELETE", session: gone.session, body: { confirm: gone.uid } });
    expect(erased.status).toBe(200);

    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    await Promise.all(pending);
    const stored = await byType(type);
    expect(stored.map((r) => r.path)).toEqual(["/anon", "/stays"]);
    expect(stored[1]?.caller_key).toBe(`uid:${stays.uid}`);
    expect(await rows("SELECT seq FROM telemetry_batches WHERE caller_key = ?", `uid:${gone.uid}`)).toEqual([]);
  });

  it("erased and verified again before the flush: the old rows still do not land (the new thinker row is younger)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    vi.setSystemTime(Date.UTC(2030, 0, 2, 12));
    const { ctx, pending } = executionContext();
    const p = await login();
    const type = `reborn.${newUid("t")}`;
    vi.setSystemTime(Date.now() + 10);
    expect((await postWithContext([{ type, path: "/before" }], p, ctx)).status).toBe(200);
    vi.setSystemTime(Date.now() + 10);
    expect((await json("/api/me", { method: "DELETE", session: p.session, body: { confirm: p.uid } })).status).toBe(200);
    vi.setSystemTime(Date.now() + 10);
    const again = await login(p.uid);
    expect(again.thinkerId).toBe(p.thinkerId);
    vi.setSystemTime(Date.now() + 10);
    expect((await postWithContext([{ type, path: "/after" }], again, ctx)).status).toBe(200);

    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    await Promise.all(pending);
    expect((await byType(type)).map((r) => [r.path, r.caller_key])).toEqual([["/after", `uid:${p.uid}`]]);
  });

  it("a revoked session's telemetry is refused before it joins the batch", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const { ctx, pending } = executionContext();
    const p = await login();
    expect((await json("/api/me", { method: "DELETE", session: p.session, body: { confirm: p.uid } })).status).toBe(200);
    const type = `revoked.${newUid("t")}`;
    const res = await postWithContext([{ type }], p, ctx);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("session_revoked");
    // Nothing was buffered, so nothing was scheduled.
    expect(pending).toEqual([]);
  });

  it("a failed flush is logged and its rows dropped; the next batch is written", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const failing = new Proxy(testEnv.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (statement: string) => {
            if (isTelemetryInsert(statement)) throw new Error("D1 is unavailable");
            return target.prepare(statement);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const type = `failed.${newUid("t")}`;
      const lost = executionContext();
      expect(
        (await postWithContext([{ type, path: "/lost" }], null, lost.ctx, { env: { ...testEnv, DB: failing } })).status,
      ).toBe(200);
      await vi.advanceTimersByTimeAsync(FLUSH_MS);
      await Promise.all(lost.pending);
      const line = errors.mock.calls.map((c) => JSON.parse(String(c[0]))).find((l) => l.msg === "telemetry flush failed");
      expect(line).toMatchObject({ level: "error", items: 1, rows: 1, error: expect.stringContaining("D1 is unavailable") });

      const next = executionContext();
      expect((await postWithContext([{ type, path: "/next" }], null, next.ctx)).status).toBe(200);
      await vi.advanceTimersByTimeAsync(FLUSH_MS);
      await Promise.all(next.pending);
      expect((await byType(type)).map((r) => r.path)).toEqual(["/next"]);
    } finally {
      errors.mockRestore();
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
