/**
 * Smoke test through the built Pages Functions bundle (dist-functions/index.js, built by
 * global-setup.ts from `functions/`): proves that every route file is wired to its URL, that the
 * catch-all answers unknown API paths with JSON, and that other paths fall through to the static
 * site (ASSETS), as on Cloudflare Pages.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hmac, toHex } from "../../src/core/crypto";

/** The built bundle's default export (its `fetch` is the Pages router over functions/). */
const pages = (exports as unknown as { default: Fetcher }).default;
const ORIGIN = "https://together.example";
const HOUR = 3_600_000;

async function send(path: string, init: { method?: string; body?: unknown; session?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.session) headers.authorization = `Bearer ${init.session}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await pages.fetch(`${ORIGIN}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { res, text, json: () => JSON.parse(text) as Record<string, any> };
}

let n = 0;
const newUid = (label: string) => `${label}-${Date.now().toString(36)}-${n++}`;

/** Logs in through the built /api/presence/verify with a link signed like the offline manifest does. */
/** The session's Set-Cookie (an answer also sets the D1 bookmark cookie `ts_bm`). */
const sessionCookieOf = (res: Response) =>
  (res.headers.get("set-cookie") ?? "").split(/,\s*(?=[a-z_]+=)/).find((c) => c.startsWith("ts_session=")) ?? "";

async function login(uid: string) {
  const mot = "mot-shared-token-v1";
  const ts = Date.now();
  const sig = toHex(await hmac((env as unknown as Env).MOT_SHARED_SECRET, `${mot}.${uid}.${ts}`));
  const r = await send("/api/presence/verify", { body: { mot, uid, ts, sig } });
  expect(r.res.status, r.text).toBe(200);
  const body = r.json();
  expect(body).toMatchObject({ ok: true, uid, session: expect.any(String) });
  expect(sessionCookieOf(r.res)).toMatch(/^ts_session=s1\.[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/);
  return { uid, session: body.session as string, thinkerId: body.thinker_id as string };
}

describe("Pages Functions bundle", () => {
  it("GET /api/voucher/templates lists the five seeded templates", async () => {
    const r = await send("/api/voucher/templates");
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = r.json();
    expect(body.ok).toBe(true);
    expect(body.items).toHaveLength(5);
    expect(
      Object.fromEntries(
        (body.items as Array<{ serviceType: string; durationMinutes: number }>).map((t) => [t.serviceType, t.durationMinutes]),
      ),
    ).toEqual({
      "consulting.session": 60,
      "therapy.session": 50,
      "realestate.viewing": 45,
      "machine.timeslot": 60,
      "membership.access": 1440,
    });
  });

  it("POST /api/presence/verify turns a signed link into a session; a replay is refused", async () => {
    const uid = newUid("verify");
    const mot = "mot-shared-token-v1";
    const ts = Date.now();
    const sig = toHex(await hmac((env as unknown as Env).MOT_SHARED_SECRET, `${mot}.${uid}.${ts}`));
    const first = await send("/api/presence/verify", { body: { mot, uid, ts, sig } });
    expect(first.res.status, first.text).toBe(200);
    expect(first.json()).toMatchObject({ ok: true, uid, session: expect.stringMatching(/^s1\.k2\./) });
    const cookie = sessionCookieOf(first.res);
    expect(cookie.startsWith(`ts_session=${first.json().session}; Path=/; Max-Age=`)).toBe(true);
    expect(cookie).toMatch(/; Max-Age=60479[0-9]; HttpOnly; SameSite=Lax; Secure$/); // 7 days, less the current second
    const replay = await send("/api/presence/verify", { body: { mot, uid, ts, sig } });
    expect(replay.res.status).toBe(409);
    expect(replay.json()).toMatchObject({ ok: false });
  });

  it("issue → available slots → book, all through the bundle", async () => {
    const issuer = await login(newUid("issuer"));
    const holder = await login(newUid("holder"));
    const validFrom = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;

    const issued = await send("/api/voucher/issue", {
      session: issuer.session,
      body: {
        issuerUid: issuer.uid,
        title: "Smoke session",
        validFrom: new Date(validFrom).toISOString(),
        validUntil: new Date(validFrom + 6 * HOUR).toISOString(),
        price: { amount: 5000, currency: "EUR" },
      },
    });
    expect(issued.res.status, issued.text).toBe(200);
    const voucher = issued.json().voucher as { voucherId: string; status: string };
    expect(voucher.status).toBe("issued");

    const slots = await send(`/api/slots/available?voucherId=${encodeURIComponent(voucher.voucherId)}`);
    expect(slots.res.status, slots.text).toBe(200);
    const items = slots.json().items as Array<{ slotId: string; start: string; end: string }>;
    expect(items.map((s) => s.start)).toEqual([0, 1, 2, 3, 4, 5].map((k) => new Date(validFrom + k * HOUR).toISOString()));
    const slot = items[1];
    expect(slot).toBeDefined();
    if (!slot) return;

    const booked = await send("/api/voucher/book", {
      session: holder.session,
      body: { voucherId: voucher.voucherId, slotId: slot.slotId, holderUid: holder.uid },
    });
    expect(booked.res.status, booked.text).toBe(200);
    expect(booked.json()).toMatchObject({
      ok: true,
      booking: { voucherId: voucher.voucherId, slotId: slot.slotId, holderUid: holder.uid, status: "booked" },
      voucher: { voucherId: voucher.voucherId, status: "booked", holderUid: holder.uid },
    });

    const after = await send(`/api/slots/available?voucherId=${encodeURIComponent(voucher.voucherId)}`);
    expect((after.json().items as Array<{ slotId: string }>).map((s) => s.slotId)).not.toContain(slot.slotId);

    // The booking's fee event was written by the bundle too: 2 % of 5000.
    const fee = await (env as unknown as Env).DB.prepare(
      "SELECT amount, currency, kind FROM fee_events WHERE subject_id = ? OR subject_id = ?",
    )
      .bind(voucher.voucherId, booked.json().booking.bookingId)
      .all<{ amount: number; currency: string; kind: string }>();
    expect(fee.results).toEqual([{ amount: 100, currency: "EUR", kind: "charge" }]);
  });

  it("presence heartbeat → match through the bundle: two thinkers share one room", async () => {
    const pairCode = newUid("pair");
    const answers: unknown[] = [];
    const thinkers = [await login(newUid("alice")), await login(newUid("bob"))];
    for (const t of thinkers) {
      const beat = await send("/api/presence/heartbeat", {
        session: t.session,
        body: { thinker_id: t.thinkerId, pair_code: pairCode, status: "online" },
      });
      expect(beat.res.status, beat.text).toBe(200);
      expect(beat.json()).toEqual({ ok: true, last_seen: expect.any(Number) });
    }
    for (const t of thinkers) {
      const match = await send("/api/presence/match", {
        session: t.session,
        body: { thinker_id: t.thinkerId, pair_code: pairCode },
      });
      expect(match.res.status, match.text).toBe(200);
      answers.push(match.json().room_id);
    }
    expect(answers[0]).toMatch(new RegExp(`^room-${pairCode}-[0-9a-z]{6}$`));
    expect(answers[1]).toBe(answers[0]);
  });

  it("an unknown /api path is a JSON 404, not the static site", async () => {
    // Empty path segments too: a route file's [param] never matches an empty one.
    const paths = [
      "/api/x",
      "/api/voucher/nope",
      "/api/slots",
      "/api/presence/debug",
      "/api/rooms//ws",
      "/api/rooms//ticket",
      "/api//",
    ];
    for (const path of paths) {
      const r = await send(path);
      expect(r.res.status, path).toBe(404);
      expect(r.res.headers.get("content-type"), path).toMatch(/^application\/json/);
      expect(r.json()).toMatchObject({ ok: false, code: "not_found", requestId: r.res.headers.get("x-request-id") });
      expect(r.res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
    }
  });

  it("a wrong method on a known route is a JSON 405 with Allow", async () => {
    const get = await send("/api/voucher/book");
    expect(get.res.status).toBe(405);
    expect(get.res.headers.get("allow")).toBe("POST");
    expect(get.json()).toMatchObject({ ok: false, code: "method_not_allowed" });
    const post = await send("/api/voucher/templates", { body: {} });
    expect(post.res.status).toBe(405);
    expect(post.res.headers.get("allow")).toBe("GET");
  });

  it("serves the static portal from ASSETS for paths no function matches", async () => {
    const page = await send("/");
    expect(page.res.status).toBe(200);
    expect(page.res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).toContain("<title>Together Systems – Identität</title>");
    const area = await send("/vouchers.html");
    expect(area.res.status).toBe(200);
    expect(area.text).toContain('<script type="module" src="/js/vouchers.js"></script>');
    const css = await send("/portal.css");
    expect(css.res.status).toBe(200);
    expect(css.res.headers.get("content-type")).toMatch(/^text\/css/);
  });

  it("wires the admin settlement and fee routes (index, [id], [id]/action, export.csv) and /ws", async () => {
    const admin = { authorization: `Bearer ${(env as unknown as Env).ADMIN_TOKEN}` };
    const get = (path: string) => pages.fetch(`${ORIGIN}${path}`, { headers: admin });
    const list = await get("/api/admin/settlements");
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ ok: true, items: expect.any(Array) });
    const csv = await get("/api/admin/settlements/export.csv");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect((await csv.text()).split("\r\n")[0]).toMatch(/^id,beneficiary_id,payer_uid,/);
    const one = await get("/api/admin/settlements/st-missing");
    expect(one.status).toBe(404);
    expect(await one.json()).toMatchObject({ code: "settlement_not_found" });
    const inv = await pages.fetch(`${ORIGIN}/api/admin/settlements/st-missing/invoice`, { method: "POST", headers: admin });
    expect(inv.status).toBe(404);
    const fees = await get("/api/admin/fees");
    expect(((await fees.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(4);
    const put = await pages.fetch(`${ORIGIN}/api/admin/fees/nope`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ active: false }),
    });
    expect(put.status).toBe(404);
    expect((await pages.fetch(`${ORIGIN}/api/admin/settlements`)).status).toBe(401);
    const ws = await send("/ws");
    expect(ws.res.status).toBe(426);
  });

  it("serves the OpenAPI document through its function", async () => {
    const r = await send("/api/openapi.json");
    expect(r.res.status).toBe(200);
    const doc = r.json();
    expect(Object.keys(doc.paths as object)).toEqual(
      expect.arrayContaining(["/api/voucher/book", "/api/slots/available", "/api/presence/verify"]),
    );
  });
});
