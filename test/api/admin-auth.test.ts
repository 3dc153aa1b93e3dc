/**
 * Admin authentication on EVERY admin route (src/http/admin.ts, step 2 of `runRoute`):
 * - `ADMIN_TOKEN` unset (empty or absent) → 503 `admin_not_configured`, whatever the request carries;
 * - token missing or wrong (or a user session, or AUTH_MODE=compat asserting "admin") → 401
 *   `admin_unauthorized` with `WWW-Authenticate: Bearer`;
 * - identity is decided before validation: hostile queries and bodies get the same 401;
 * - a refusal writes nothing: the whole D1 database (rate-limit counters included) is unchanged,
 *   while the same request with the right token does change it (so the check can see a write);
 * - the same refusals through each route's Pages Function file (functions/api/admin/).
 *
 * The route list below is checked against the registry (`allRoutes`), against every route
 * declared in src/ (a declared but unregistered admin route fails) and against functions/, so a
 * new admin route fails here until it is added to the list with a request that exercises it.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { allRoutes } from "../../src/app";
import type { AnyRoute } from "../../src/http/route";
import { DAY_MS } from "../../src/settlements/period";
import { call, login, testEnv, compatEnv as compat } from "../support/client";
import { dbSnapshot } from "../support/db-snapshot";

/** A snapshot without the failed-admin-authentication counters (the only write a refused admin request makes). */
const withoutLockout = (s: Record<string, string[]>) => ({
  ...s,
  rate_limits: (s.rate_limits ?? []).filter((r) => !r.includes('"admin-auth|')),
});
import { grantRole } from "../support/mortgage-kit";
import { ADMIN, admin, feeEvent, settle } from "../support/settlement-kit";
import { row } from "../support/voucher-kit";

const ADMIN_ROUTES = [
  "POST /api/admin/settlements/run",
  "GET /api/admin/settlements",
  "GET /api/admin/settlements/:id",
  "POST /api/admin/settlements/:id/invoice",
  "POST /api/admin/settlements/:id/pay",
  "GET /api/admin/settlements/export.csv",
  "GET /api/admin/fees",
  "PUT /api/admin/fees/:id",
  "GET /api/admin/stats/presence",
  "GET /api/admin/stats/vouchers",
  "GET /api/admin/stats/fees",
  "GET /api/admin/events",
  "GET /api/admin/dashboard",
  "DELETE /api/admin/thinkers/:uid",
  "PUT /api/admin/parties/:uid",
  "DELETE /api/admin/parties/:uid",
  "GET /api/admin/parties",
  "GET /api/admin/stats/mortgage",
  "POST /api/admin/telbank/transfers/:id/status",
  "GET /api/admin/stats/telbank",
] as const;
type RouteKey = (typeof ADMIN_ROUTES)[number];

const keyOf = (r: Pick<AnyRoute, "method" | "path">) => `${r.method} ${r.path}`;
const methodOf = (key: RouteKey) => key.split(" ")[0] as string;

/** A test calendar far in the past (UTC midnights), so no API-created row falls into it. */
const day = (n: number) => Date.UTC(2024, 2, 1) + n * DAY_MS;
const iso = (t: number) => new Date(t).toISOString();
const H = 3_600_000;

/** State the admin routes would act on if a refusal let them through (filled in `beforeAll`). */
const seeded = {
  openSettlement: "",
  invoicedSettlement: "",
  feeId: "",
  feeVersion: 0,
  feeRatePpm: 0,
  victimUid: "",
  partyUid: "",
  transferId: "",
};

/**
 * A concrete request per route that, with the right token, succeeds and writes (at least the
 * rate-limit counter; for most, domain rows too). Query and body are valid, ids exist.
 */
const REQUESTS: Record<RouteKey, () => { path: string; body?: unknown; junk: { path: string; body?: unknown } }> = {
  "POST /api/admin/settlements/run": () => ({
    path: "/api/admin/settlements/run",
    body: { from: iso(day(10)), to: iso(day(11)) },
    junk: { path: "/api/admin/settlements/run", body: { from: "yesterday", to: 42, extra: true } },
  }),
  "GET /api/admin/settlements": () => ({
    path: "/api/admin/settlements?status=open&limit=10",
    junk: { path: "/api/admin/settlements?status=bogus&limit=-1&nope=1" },
  }),
  "GET /api/admin/settlements/:id": () => ({
    path: `/api/admin/settlements/${seeded.openSettlement}`,
    junk: { path: "/api/admin/settlements/bad%20id!?limit=99999" },
  }),
  "POST /api/admin/settlements/:id/invoice": () => ({
    path: `/api/admin/settlements/${seeded.openSettlement}/invoice`,
    junk: { path: "/api/admin/settlements/bad%20id!/invoice" },
  }),
  "POST /api/admin/settlements/:id/pay": () => ({
    path: `/api/admin/settlements/${seeded.invoicedSettlement}/pay`,
    junk: { path: "/api/admin/settlements/bad%20id!/pay" },
  }),
  "GET /api/admin/settlements/export.csv": () => ({
    path: "/api/admin/settlements/export.csv?status=open",
    junk: { path: "/api/admin/settlements/export.csv?limit=5&currency=EURO" },
  }),
  "GET /api/admin/fees": () => ({ path: "/api/admin/fees", junk: { path: "/api/admin/fees?x=1" } }),
  "PUT /api/admin/fees/:id": () => ({
    path: `/api/admin/fees/${encodeURIComponent(seeded.feeId)}`,
    body: { ratePpm: seeded.feeRatePpm + 1, expectedVersion: seeded.feeVersion },
    junk: { path: "/api/admin/fees/nope", body: { ratePpm: -5, unknown: "field" } },
  }),
  "GET /api/admin/stats/presence": () => ({
    path: "/api/admin/stats/presence?top=5",
    junk: { path: "/api/admin/stats/presence?top=0&extra=1" },
  }),
  "GET /api/admin/stats/vouchers": () => ({
    path: `/api/admin/stats/vouchers?from=${iso(day(0))}&to=${iso(day(30))}`,
    junk: { path: "/api/admin/stats/vouchers?from=2030-01-01&to=2020-01-01" },
  }),
  "GET /api/admin/stats/fees": () => ({
    path: `/api/admin/stats/fees?from=${iso(day(0))}&to=${iso(day(30))}`,
    junk: { path: "/api/admin/stats/fees?from=never" },
  }),
  "GET /api/admin/events": () => ({
    path: "/api/admin/events?limit=5&type=settlement.*",
    junk: { path: "/api/admin/events?limit=100000&type=%27%3B%20DROP%20TABLE%20events" },
  }),
  "GET /api/admin/dashboard": () => ({ path: "/api/admin/dashboard", junk: { path: "/api/admin/dashboard?debug=1" } }),
  "DELETE /api/admin/thinkers/:uid": () => ({
    path: `/api/admin/thinkers/${encodeURIComponent(seeded.victimUid)}`,
    junk: { path: "/api/admin/thinkers/%20not%20a%20uid%20" },
  }),
  "PUT /api/admin/parties/:uid": () => ({
    path: `/api/admin/parties/${seeded.partyUid}`,
    body: { roles: ["lender"], displayName: "Auth Bank" },
    junk: { path: "/api/admin/parties/bad.uid!", body: { roles: ["borrower"], extra: 1 } },
  }),
  "DELETE /api/admin/parties/:uid": () => ({
    path: `/api/admin/parties/${seeded.partyUid}`,
    junk: { path: "/api/admin/parties/%20" },
  }),
  "GET /api/admin/parties": () => ({
    path: "/api/admin/parties?role=lender&limit=5",
    junk: { path: "/api/admin/parties?role=x&limit=0" },
  }),
  "GET /api/admin/stats/mortgage": () => ({
    path: "/api/admin/stats/mortgage?from=2024-03-01&to=2024-03-05",
    junk: { path: "/api/admin/stats/mortgage?from=never" },
  }),
  "POST /api/admin/telbank/transfers/:id/status": () => ({
    path: `/api/admin/telbank/transfers/${seeded.transferId}/status`,
    body: { status: "settled" },
    junk: { path: "/api/admin/telbank/transfers/bad%20id!/status", body: { status: "gone", extra: 1 } },
  }),
  "GET /api/admin/stats/telbank": () => ({
    path: "/api/admin/stats/telbank?from=2024-03-01&to=2024-03-05",
    junk: { path: "/api/admin/stats/telbank?from=never" },
  }),
};

const TOKEN = testEnv.ADMIN_TOKEN;
const emptyToken = { ...testEnv, ADMIN_TOKEN: "" } as Env;
const absentToken = (() => {
  const { ADMIN_TOKEN: _unset, ...rest } = testEnv;
  return rest as Env;
})();

/** Authorization headers that must never pass. */
const WRONG: Record<string, Record<string, string>> = {
  "no header": {},
  "empty bearer": { authorization: "Bearer " },
  "token + 1 char": { authorization: `Bearer ${TOKEN}x` },
  "token prefix": { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
  "token upper-cased": { authorization: `Bearer ${TOKEN.toUpperCase()}` },
  "other token": { authorization: "Bearer not-the-admin-token" },
  "Basic scheme": { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` },
  "no scheme": { authorization: TOKEN },
  "two tokens": { authorization: `Bearer ${TOKEN} ${TOKEN}` },
  "token in another header": { "x-admin-token": TOKEN, "x-mot-user": "admin" },
};

/** A JSON refusal with a machine code and a human message. */
async function expectRefusal(res: Response, status: number, code: string, what: string) {
  const text = await res.text();
  expect({ what, status: res.status }).toEqual({ what, status });
  expect(res.headers.get("content-type"), what).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body, what).toMatchObject({ ok: false, code });
  expect(typeof body.error, what).toBe("string");
  expect((body.error as string).length, what).toBeGreaterThan(0);
  expect(text, what).not.toContain(TOKEN);
  if (status === 401) expect(res.headers.get("www-authenticate"), what).toBe('Bearer realm="admin"');
}

beforeAll(async () => {
  const victim = await login();
  seeded.victimUid = victim.uid;
  const party = await login();
  seeded.partyUid = party.uid;
  await grantRole(party.uid, "notary");

  // Two settled periods: one stays open (invoice target), one is invoiced (pay target); and
  // unsettled fee events in a later period (run target).
  const payer = `payer-admin-auth-${crypto.randomUUID().slice(0, 8)}`;
  await feeEvent({ amount: 120, createdAt: day(1) + H, payer });
  await feeEvent({ amount: 80, createdAt: day(2) + H, payer });
  await feeEvent({ amount: 45, createdAt: day(10) + H, payer });
  expect((await settle(day(1), day(2))).status).toBe("done");
  expect((await settle(day(2), day(3))).status).toBe("done");
  const s1 = await row<{ id: string }>("SELECT id FROM settlements WHERE payer_uid = ? AND period_from = ?", payer, day(1));
  const s2 = await row<{ id: string }>("SELECT id FROM settlements WHERE payer_uid = ? AND period_from = ?", payer, day(2));
  seeded.openSettlement = s1?.id ?? "";
  seeded.invoicedSettlement = s2?.id ?? "";
  expect(seeded.openSettlement).not.toBe("");
  const invoiced = await admin(`/api/admin/settlements/${seeded.invoicedSettlement}/invoice`, { method: "POST" });
  expect(invoiced.status, JSON.stringify(invoiced.body)).toBe(200);

  const fees = await admin("/api/admin/fees");
  expect(fees.status).toBe(200);
  const fee = fees.body.items[0];
  expect(fee).toBeDefined();
  seeded.feeId = fee.id;
  seeded.feeVersion = fee.version;
  seeded.feeRatePpm = fee.ratePpm;

  seeded.transferId = `in-${Date.now().toString(36).padStart(9, "0")}-adminauth`;
  await testEnv.DB.prepare(
    `INSERT INTO transfers (id, actor_uid, direction, crypto_amount, crypto_decimals, crypto_symbol, fiat_amount, fiat_currency,
       status, created_at, updated_at) VALUES (?, ?, 'in', '1', 18, 'ETH', 100, 'EUR', 'logged', ?, ?)`,
  )
    .bind(seeded.transferId, victim.uid, day(3), day(3))
    .run();
});

// ── the list is complete ────────────────────────────────────────────────────────────────────

/** Every module that may declare routes (imported as the app imports them). */
const routeModules = import.meta.glob<Record<string, unknown>>(["../../src/**/routes.ts", "../../src/mortgage/*.ts"], {
  eager: true,
});
/** The text of every source file, to find `auth: "admin"` declarations outside those modules. */
const sources = import.meta.glob<string>("../../src/**/*.ts", { query: "?raw", import: "default", eager: true });
/** The Pages Function files of the admin API. */
const adminFunctions = import.meta.glob<Record<string, PagesFunction<Env>>>("../../functions/api/admin/**/*.ts", {
  eager: true,
});

const isRoute = (v: unknown): v is AnyRoute =>
  typeof v === "object" && v !== null && "path" in v && "method" in v && "auth" in v && "handler" in v;

/** functions/api/admin/settlements/[id]/pay.ts → /api/admin/settlements/:id/pay */
const routePathOfFile = (file: string) =>
  file
    .replace(/^\.\.\/\.\.\/functions/, "")
    .replace(/\.ts$/, "")
    .replace(/\/index$/, "")
    .replace(/\[([A-Za-z]+)\]/g, ":$1");

describe("the admin route list", () => {
  it("equals the registry's admin routes", () => {
    const registered = allRoutes.filter((r) => r.auth === "admin").map(keyOf);
    expect(new Set(registered).size).toBe(registered.length);
    expect([...registered].sort()).toEqual([...ADMIN_ROUTES].sort());
    expect(Object.keys(REQUESTS).sort()).toEqual([...ADMIN_ROUTES].sort());
  });

  it("covers every admin route declared anywhere in src/ (a declared but unregistered one fails)", () => {
    const declaring = Object.entries(sources)
      .filter(([, text]) => /\bauth:\s*["']admin["']/.test(text))
      .map(([file]) => file);
    expect(declaring.length).toBeGreaterThan(0);
    // Each file that declares an admin route is a routes module scanned below.
    expect(declaring.filter((f) => !(f in routeModules))).toEqual([]);

    const declared = new Set<AnyRoute>();
    for (const mod of Object.values(routeModules)) {
      for (const value of Object.values(mod)) {
        for (const v of Array.isArray(value) ? value : [value]) if (isRoute(v) && v.auth === "admin") declared.add(v);
      }
    }
    const unregistered = [...declared].filter((r) => !allRoutes.includes(r)).map(keyOf);
    expect(unregistered).toEqual([]);
    expect([...new Set([...declared].map(keyOf))].sort()).toEqual([...ADMIN_ROUTES].sort());
  });

  it("admin routes are exactly the /api/admin/ routes", () => {
    for (const r of allRoutes)
      expect({ route: keyOf(r), admin: r.auth === "admin" }).toEqual({
        route: keyOf(r),
        admin: r.path.startsWith("/api/admin/"),
      });
  });

  it("each has its Pages Function file under functions/api/admin/, and no other file is there", () => {
    const files = Object.keys(adminFunctions).map(routePathOfFile).sort();
    expect(files).toEqual([...new Set(ADMIN_ROUTES.map((k) => k.split(" ")[1] as string))].sort());
  });
});

// ── every route refuses, and writes nothing ─────────────────────────────────────────────────

describe.each(ADMIN_ROUTES.map((k) => [k] as const))("%s", (key) => {
  const method = methodOf(key);
  const routeId = allRoutes.find((r) => keyOf(r) === key)?.id;
  /** Warning and error lines the pipeline logs (a disabled admin API's 503 is a warning); kept out of the test output. */
  let logged: Array<Record<string, unknown>> = [];
  beforeEach(() => {
    logged = [];
    const keep = (line: unknown) => {
      const text = String(line);
      // The one-time AUTH_MODE=compat warning of the compat case is not JSON.
      if (text.startsWith("{")) logged.push(JSON.parse(text) as Record<string, unknown>);
    };
    vi.spyOn(console, "error").mockImplementation(keep);
    vi.spyOn(console, "warn").mockImplementation(keep);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const send = (req: { path: string; body?: unknown }, headers: Record<string, string>, env: Env = testEnv) =>
    call(req.path, { method, headers, ...(req.body === undefined ? {} : { body: req.body }) }, env);

  it("ADMIN_TOKEN unset → 503 admin_not_configured; missing or wrong token → 401 admin_unauthorized; nothing written", async () => {
    const req = REQUESTS[key]();
    const user = await login();
    const before = await dbSnapshot();
    // Each 503 below should be logged once, as a warning.
    let unset = 0;
    const notConfigured = async (res: Response, label: string) => {
      unset++;
      await expectRefusal(res, 503, "admin_not_configured", label);
    };

    for (const [label, env] of [
      ["empty", emptyToken],
      ["absent", absentToken],
    ] as const) {
      // Whatever the request carries, even the token that would be right once configured.
      for (const headers of [{}, ADMIN, { authorization: "Bearer " }]) {
        await notConfigured(await send(req, headers, env), `${label} ${JSON.stringify(headers)}`);
      }
    }

    for (const [label, headers] of Object.entries(WRONG)) {
      await expectRefusal(await send(req, headers), 401, "admin_unauthorized", label);
    }
    await expectRefusal(await send(req, { authorization: `Bearer ${user.session}` }), 401, "admin_unauthorized", "user session");
    await expectRefusal(await send(req, { "x-mot-user": "admin" }, compat), 401, "admin_unauthorized", "compat x-mot-user");

    // Identity before validation: a hostile query or body is refused for the token, not for its content.
    await expectRefusal(await send(req.junk, {}), 401, "admin_unauthorized", "junk, no token");
    await notConfigured(await send(req.junk, {}, emptyToken), "junk, token unset");
    // Not even whether a body parses: malformed JSON is refused for the token too.
    if (method !== "GET" && method !== "DELETE") {
      const malformed = { method, headers: { "content-type": "application/json" }, raw: '{"from": ' };
      await expectRefusal(await call(req.path, malformed), 401, "admin_unauthorized", "malformed JSON, no token");
      await notConfigured(await call(req.path, malformed, emptyToken), "malformed JSON, token unset");
    }

    // Nothing but the failed-authentication counter of the client's address (the guessing limit).
    expect(withoutLockout(await dbSnapshot())).toEqual(withoutLockout(before));
    // The operator sees each misconfigured call (each 503 above, as a warning), by route, never with a token in it.
    expect(routeId).toBeDefined();
    expect(unset).toBeGreaterThanOrEqual(7);
    const unsetLines = logged.filter((l) => l.route === routeId && String(l.error).includes("ADMIN_TOKEN is not set"));
    expect(unsetLines.map((l) => l.level)).toEqual(Array(unset).fill("warn"));
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
  });

  it("the same request with the right token is served; a write route writes (so the check above could see a write), a read writes nothing", async () => {
    const req = REQUESTS[key]();
    const before = await dbSnapshot();
    const res = await send(req, ADMIN);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    if (method === "GET") expect(await dbSnapshot()).toEqual(before);
    else expect(await dbSnapshot()).not.toEqual(before);
  });

  it("its Pages Function file refuses the same way (503 unset, 401 wrong), writing nothing", async () => {
    const req = REQUESTS[key]();
    const routePath = key.split(" ")[1] as string;
    const file = Object.keys(adminFunctions).find((f) => routePathOfFile(f) === routePath);
    expect(file, `functions file of ${routePath}`).toBeDefined();
    // A route file exports its route under its method (`onRequestGet`…), and nothing else.
    const exported = adminFunctions[file ?? ""] ?? {};
    const exportName = `onRequest${method.slice(0, 1)}${method.slice(1).toLowerCase()}`;
    expect(Object.keys(exported)).toContain(exportName);
    const onRequest = exported[exportName];
    expect(typeof onRequest).toBe("function");
    const invoke = (headers: Record<string, string>, env: Env) => {
      const init: RequestInit = { method, headers: { ...headers } };
      if (req.body !== undefined) {
        init.body = JSON.stringify(req.body);
        (init.headers as Record<string, string>)["content-type"] = "application/json";
      }
      const context = {
        request: new Request(`https://together.example${req.path}`, init),
        env,
        params: {},
        data: {},
        functionPath: routePath,
        waitUntil: () => {},
        passThroughOnException: () => {},
        next: () => Promise.reject(new Error("no next function in this test")),
      };
      return (onRequest as unknown as (c: typeof context) => Promise<Response>)(context);
    };
    const before = await dbSnapshot();
    await expectRefusal(await invoke(ADMIN, emptyToken), 503, "admin_not_configured", "pages, unset");
    await expectRefusal(await invoke({ authorization: `Bearer ${TOKEN}x` }, testEnv), 401, "admin_unauthorized", "pages, wrong");
    await expectRefusal(await invoke({}, testEnv), 401, "admin_unauthorized", "pages, missing");
    expect(withoutLockout(await dbSnapshot())).toEqual(withoutLockout(before));
  });
});
