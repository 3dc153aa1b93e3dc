/**
 * Monitoring: admin auth on every admin route, the stats against hand-computed
 * fixtures, the event log's filters and pagination (and the query plan of every filter
 * combination), the dashboard moving with the data, and health (200, 503 on a D1 failure or
 * pending migrations, no rate-limit write).
 *
 * Time-shifted rows are written straight into D1 in far-past windows (2001–2003), so the API's
 * own rows (created now) never fall into them and every expectation is exact.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createDb, rawStatement } from "../../src/db/client";
import { newId } from "../../src/db/ids";
import { type EventFilter, eventsPageSql } from "../../src/monitoring/events";
import { BUNDLED_MIGRATIONS } from "../../src/monitoring/health";
import { monitoringRoutes } from "../../src/monitoring/routes";
import { DAY_MS } from "../../src/monitoring/time";
import { privacyRoutes } from "../../src/privacy/routes";
import { issueVoucher, json, login, newUid, slotAt, testEnv } from "../support/client";
import { admin, feeEvent, settle } from "../support/settlement-kit";
import { post, row, rows } from "../support/voucher-kit";

const H = 3_600_000;
const db = createDb(testEnv.DB);

/** Inserts events with chosen times (ids as the API makes them: time-sortable). */
async function insertEvents(
  events: Array<{ type: string; at: number; subjectId?: string; subjectType?: string; actor?: string; meta?: unknown }>,
): Promise<string[]> {
  const ids = events.map((e) => newId("ev", e.at));
  await testEnv.DB.batch(
    events.map((e, i) =>
      testEnv.DB.prepare(
        "INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'test', ?)",
      ).bind(ids[i], e.type, e.actor ?? null, e.subjectType ?? null, e.subjectId ?? null, JSON.stringify(e.meta ?? {}), e.at),
    ),
  );
  return ids;
}

// ── admin auth ──────────────────────────────────────────────────────────────────────────────

describe("admin auth", () => {
  const adminRoutes = [...monitoringRoutes, ...privacyRoutes].filter((r) => r.auth === "admin");
  const pathOf = (p: string) => p.replace(":uid", "someone");

  it("covers every admin route of the two registries", () => {
    expect(adminRoutes.map((r) => r.id).sort()).toEqual(
      [
        "admin.dashboard",
        "admin.events",
        "admin.stats.fees",
        "admin.stats.presence",
        "admin.stats.vouchers",
        "admin.thinkers.erase",
      ].sort(),
    );
  });

  it.each(adminRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))("%s: 503 unset, 401 wrong or missing", async (_n, r) => {
    const path = pathOf(r.path);
    const unset = await json(
      path,
      { method: r.method, headers: { authorization: `Bearer ${testEnv.ADMIN_TOKEN}` } },
      {
        ...testEnv,
        ADMIN_TOKEN: "",
      },
    );
    expect([unset.status, unset.body.code]).toEqual([503, "admin_not_configured"]);
    const wrong = await json(path, { method: r.method, headers: { authorization: `Bearer ${testEnv.ADMIN_TOKEN}x` } });
    expect([wrong.status, wrong.body.code]).toEqual([401, "admin_unauthorized"]);
    const missing = await json(path, { method: r.method });
    expect([missing.status, missing.body.code]).toEqual([401, "admin_unauthorized"]);
    // A user session is not an admin token.
    const user = await login();
    const session = await json(path, { method: r.method, session: user.session });
    expect([session.status, session.body.code]).toEqual([401, "admin_unauthorized"]);
  });

  it("health is public", async () => {
    const r = await json("/api/health", {}, { ...testEnv, ADMIN_TOKEN: "" });
    expect(r.status).toBe(200);
  });
});

// ── health (first: no settlement run exists yet in this file's database) ──────────────────────

describe("GET /api/health", () => {
  it("200 with every check; migrations match the bundled journal; no settlement run yet", async () => {
    const r = await json("/api/health");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.body.ok).toBe(true);
    const applied = await rows<{ name: string }>("SELECT name FROM d1_migrations ORDER BY id");
    expect(applied.map((m) => m.name)).toEqual([...BUNDLED_MIGRATIONS]);
    expect(r.body.checks.d1).toEqual({ ok: true });
    expect(r.body.checks.migrations).toEqual({
      ok: true,
      expected: BUNDLED_MIGRATIONS.length,
      applied: BUNDLED_MIGRATIONS.length,
      latest: BUNDLED_MIGRATIONS.at(-1),
      pending: [],
      unknown: [],
    });
    expect(r.body.checks.settlement).toEqual({ ok: false, status: "never", lastRun: null, ageSeconds: null });
    // Public: nothing secret in it.
    const text = JSON.stringify(r.body);
    for (const secret of [testEnv.ADMIN_TOKEN, testEnv.IDENTITY_HASH_KEY, testEnv.MOT_SHARED_SECRET])
      expect(text).not.toContain(secret);
  });

  it("reports the newest finished settlement run; a failed run does not make the API unhealthy", async () => {
    const now = Date.now();
    await testEnv.DB.prepare(
      `INSERT INTO settlement_runs (id, period_from, period_to, status, trigger, started_at, finished_at, updated_at)
       VALUES ('hc-1', ?, ?, 'done', 'cron', ?, ?, ?), ('hc-0', ?, ?, 'failed', 'cron', ?, ?, ?)`,
    )
      .bind(
        now - 2 * DAY_MS,
        now - DAY_MS,
        now - H,
        now - H,
        now - H,
        now - 3 * DAY_MS,
        now - 2 * DAY_MS,
        now - 2 * H,
        now - 2 * H,
        now,
      )
      .run();
    const ok = await json("/api/health");
    expect(ok.status).toBe(200);
    expect(ok.body.checks.settlement).toMatchObject({ ok: true, status: "ok", lastRun: { id: "hc-1", status: "done" } });
    expect(ok.body.checks.settlement.ageSeconds).toBeGreaterThanOrEqual(3600);

    await testEnv.DB.prepare(
      `INSERT INTO settlement_runs (id, period_from, period_to, status, trigger, started_at, finished_at, updated_at, error)
       VALUES ('hc-2', ?, ?, 'failed', 'cron', ?, ?, ?, 'reconciliation_failed')`,
    )
      .bind(now - DAY_MS, now, now - 60_000, now - 1000, now - 1000)
      .run();
    const failed = await json("/api/health");
    expect(failed.status).toBe(200);
    expect(failed.body.ok).toBe(true);
    expect(failed.body.checks.settlement).toMatchObject({ ok: false, status: "failed", lastRun: { id: "hc-2" } });
    await testEnv.DB.prepare("DELETE FROM settlement_runs WHERE id LIKE 'hc-%'").run();
  });

  it("503 with the same shape when a bundled migration is not applied", async () => {
    const last = await row<{ id: number; name: string; applied_at: string }>(
      "SELECT * FROM d1_migrations ORDER BY id DESC LIMIT 1",
    );
    expect(last).toBeDefined();
    await testEnv.DB.prepare("DELETE FROM d1_migrations WHERE id = ?").bind(last?.id).run();
    try {
      const r = await json("/api/health");
      expect(r.status).toBe(503);
      expect(r.body.ok).toBe(false);
      expect(r.body.checks.d1).toEqual({ ok: true });
      expect(r.body.checks.migrations).toMatchObject({ ok: false, pending: [last?.name] });
    } finally {
      await testEnv.DB.prepare("INSERT INTO d1_migrations (id, name, applied_at) VALUES (?, ?, ?)")
        .bind(last?.id, last?.name, last?.applied_at)
        .run();
    }
    expect((await json("/api/health")).status).toBe(200);
  });

  it("503 JSON (not 500) when every D1 call throws, and health never writes a rate-limit counter", async () => {
    const down: D1Database = new Proxy(testEnv.DB, {
      get(_t, prop) {
        // A request's D1 session is the same unreachable database.
        if (prop === "withSession") return () => down;
        if (prop === "getBookmark") return () => null;
        if (prop === "prepare" || prop === "batch" || prop === "exec" || prop === "dump") {
          return () => {
            throw new Error("D1_ERROR: network connection lost");
          };
        }
        return undefined;
      },
    });
    const counters = async () => (await row<{ n: number }>("SELECT count(*) AS n FROM rate_limits"))?.n;
    const before = await counters();
    const r = await json("/api/health", {}, { ...testEnv, DB: down as D1Database });
    expect(r.status).toBe(503);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.body).toMatchObject({
      ok: false,
      checks: {
        d1: { ok: false, error: expect.any(String) },
        migrations: { ok: false },
        settlement: { ok: false },
      },
    });
    expect(JSON.stringify(r.body)).not.toContain("network connection lost");
    expect((await json("/api/health")).status).toBe(200);
    expect(await counters()).toBe(before);
  });
});

// ── presence stats ──────────────────────────────────────────────────────────────────────────

describe("GET /api/admin/stats/presence", () => {
  it("active sessions of the last minute, statuses, popular pair codes", async () => {
    const alpha = `pc-alpha-${newUid("a").slice(-8)}`;
    const beta = `pc-beta-${newUid("b").slice(-8)}`;
    const beat = async (pair: string | null, status: "online" | "offline" = "online") => {
      const u = await login();
      const r = await post("/api/presence/heartbeat", u, { thinker_id: u.thinkerId, pair_code: pair, status });
      expect(r.status).toBe(200);
      return u;
    };
    await beat(alpha);
    await beat(alpha);
    await beat(alpha);
    const stale = await beat(beta);
    await beat(beta, "offline");
    await beat(null);
    // Online but silent for two minutes: counted as online, not as active.
    await testEnv.DB.prepare("UPDATE presence_sessions SET last_seen_at = last_seen_at - 120000 WHERE thinker_id = ?")
      .bind(stale.thinkerId)
      .run();

    const r = await admin("/api/admin/stats/presence");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      ok: true,
      windowSeconds: 60,
      activeSessions: 4,
      sessions: 6,
      statuses: { online: 5, offline: 1 },
      pairCodes: [
        { pairCode: alpha, sessions: 3, active: 3 },
        { pairCode: beta, sessions: 2, active: 0 },
      ],
    });
    const top1 = await admin("/api/admin/stats/presence?top=1");
    expect(top1.body.pairCodes).toEqual([{ pairCode: alpha, sessions: 3, active: 3 }]);
    expect((await admin("/api/admin/stats/presence?top=0")).status).toBe(400);
  });
});

// ── voucher stats ───────────────────────────────────────────────────────────────────────────

describe("GET /api/admin/stats/vouchers", () => {
  const day1 = Date.UTC(2001, 2, 1);
  const day = (n: number) => day1 + n * DAY_MS;

  beforeAll(async () => {
    await insertEvents([
      { type: "voucher.book", at: day(0) },
      { type: "voucher.book", at: day(0) + 5 * H },
      { type: "voucher.cancel", at: day(0) + 6 * H },
      { type: "voucher.reschedule", at: day(1) + 1 },
      { type: "voucher.book", at: day(2) + DAY_MS - 1 },
      { type: "voucher.issue", at: day(1) },
      // Outside [day 0, day 3): before and exactly at `to`.
      { type: "voucher.book", at: day(0) - 1 },
      { type: "voucher.cancel", at: day(3) },
    ]);
    let n = 0;
    const voucher = async (template: string | null, at: number, bookings: string[]) => {
      const id = `v-stat-${n++}-${newUid("v").slice(-6)}`;
      const stmts = [
        testEnv.DB.prepare(
          `INSERT INTO vouchers (id, issuer_uid, holder_uid, template_id, service_type, title, duration_minutes, valid_from,
             valid_until, price_amount, price_currency, status, transferable, created_at, updated_at)
           VALUES (?, 'issuer-stat', NULL, ?, 'generic', 't', 60, ?, ?, NULL, NULL, 'issued', 1, ?, ?)`,
        ).bind(id, template, at, at + 30 * DAY_MS, at, at),
        ...bookings.map((status, i) =>
          testEnv.DB.prepare(
            `INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, origin_booking_id, created_at, updated_at)
             VALUES (?, ?, 'issuer-stat', 'holder-stat', ?, ?, ?, ?, ?, ?)`,
          ).bind(`b-${id}-${i}`, id, at + (i + 1) * H, at + (i + 2) * H, status, `b-${id}-${i}`, at, at),
        ),
      ];
      await testEnv.DB.batch(stmts);
    };
    // consulting.session: 4 issued, 2 hold/held a slot (booked; cancelled then booked again → completed).
    await voucher("consulting.session", day(0), ["booked"]);
    await voucher("consulting.session", day(1), ["cancelled", "completed"]);
    await voucher("consulting.session", day(1), ["cancelled"]);
    await voucher("consulting.session", day(2), []);
    // therapy.session: 3 issued, 1 (rescheduled → booked).
    await voucher("therapy.session", day(0), ["rescheduled", "booked"]);
    await voucher("therapy.session", day(0), []);
    await voucher("therapy.session", day(2) + DAY_MS - 1, []);
    // No template: 1 issued, not booked.
    await voucher(null, day(1), []);
    // Outside the window.
    await voucher("consulting.session", day(3), ["booked"]);
    await voucher("machine.timeslot", day(0) - 1, ["booked"]);
  });

  it("per UTC day and per template, exactly", async () => {
    const r = await admin(`/api/admin/stats/vouchers?from=2001-03-01&to=${day(3)}`);
    expect(r.status).toBe(200);
    expect(r.body.from).toBe("2001-03-01T00:00:00.000Z");
    expect(r.body.to).toBe("2001-03-04T00:00:00.000Z");
    expect(r.body.bookingsPerDay).toEqual([
      { day: "2001-03-01", booked: 2, cancelled: 1, rescheduled: 0 },
      { day: "2001-03-02", booked: 0, cancelled: 0, rescheduled: 1 },
      { day: "2001-03-03", booked: 1, cancelled: 0, rescheduled: 0 },
    ]);
    expect(r.body.templates).toEqual([
      { templateId: "consulting.session", title: "Beratungssitzung", vouchersIssued: 4, slotsBooked: 2, utilizationBp: 5000 },
      { templateId: "therapy.session", title: "Therapiesitzung", vouchersIssued: 3, slotsBooked: 1, utilizationBp: 3333 },
      { templateId: null, title: null, vouchersIssued: 1, slotsBooked: 0, utilizationBp: 0 },
      { templateId: "machine.timeslot", title: "Maschinenzeit", vouchersIssued: 0, slotsBooked: 0, utilizationBp: null },
      {
        templateId: "membership.access",
        title: "Mitgliedschaft / Tageszugang",
        vouchersIssued: 0,
        slotsBooked: 0,
        utilizationBp: null,
      },
      {
        templateId: "realestate.viewing",
        title: "Immobilienbesichtigung",
        vouchersIssued: 0,
        slotsBooked: 0,
        utilizationBp: null,
      },
    ]);
  });

  it("the default window (last 30 days) counts a booking made through the API", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const before = await admin("/api/admin/stats/vouchers");
    expect(before.status).toBe(200);
    expect(before.body.bookingsPerDay).toHaveLength(30);
    const todayOf = (b: typeof before) => b.body.bookingsPerDay.find((d: { day: string }) => d.day === today);
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer, { templateId: "realestate.viewing" });
    const booked = await post("/api/voucher/book", holder, {
      voucherId: voucher.voucherId,
      slotId: slotAt(validFrom, 1),
      holderUid: holder.uid,
    });
    expect(booked.status).toBe(200);
    const after = await admin("/api/admin/stats/vouchers");
    expect(todayOf(after).booked).toBe(todayOf(before).booked + 1);
    const tpl = (b: typeof before) => b.body.templates.find((t: { templateId: string }) => t.templateId === "realestate.viewing");
    expect(tpl(after).vouchersIssued).toBe(tpl(before).vouchersIssued + 1);
    expect(tpl(after).slotsBooked).toBe(tpl(before).slotsBooked + 1);
  });

  it("refuses reversed, empty and over-long windows", async () => {
    for (const q of ["from=2001-03-02&to=2001-03-01", "from=2001-03-01&to=2001-03-01", "from=2001-01-01&to=2002-01-03"]) {
      const r = await admin(`/api/admin/stats/vouchers?${q}`);
      expect([q, r.status, r.body.code]).toEqual([q, 400, "invalid_range"]);
    }
    const bad = await admin("/api/admin/stats/vouchers?from=yesterday");
    expect([bad.status, bad.body.code]).toEqual([400, "validation_failed"]);
  });
});

// ── fee stats ───────────────────────────────────────────────────────────────────────────────

describe("GET /api/admin/stats/fees", () => {
  const day1 = Date.UTC(2002, 5, 10);
  const day = (n: number) => day1 + n * DAY_MS;

  it("ledger per day and currency, totals, settlements by status", async () => {
    const p1 = `payer-fees-${newUid("p").slice(-8)}`;
    const p2 = `payer-fees-${newUid("q").slice(-8)}`;
    await feeEvent({ amount: 1000, createdAt: day(0) + H, payer: p1 });
    const charge = await feeEvent({ amount: 250, createdAt: day(0) + 2 * H, payer: p1 });
    await feeEvent({ amount: 0, createdAt: day(0) + 3 * H, payer: p1, reverses: { id: charge, amount: 250 } });
    await feeEvent({ amount: 700, createdAt: day(0) + 4 * H, payer: p2, currency: "USD" });
    // Settle [day 0, day 1): p1 EUR 1000 (3 items), p2 USD 700.
    const run = await settle(day(0), day(1));
    expect(run.status).toBe("done");
    await feeEvent({ amount: 99, createdAt: day(1) + DAY_MS - 1, payer: p1 });
    // Outside [day 0, day 2).
    await feeEvent({ amount: 5, createdAt: day(2), payer: p1 });
    const s = await rows<{ id: string; currency: string }>("SELECT id, currency FROM settlements WHERE period_from = ?", day(0));
    expect(s).toHaveLength(2);
    const eur = s.find((x) => x.currency === "EUR")?.id;
    const usd = s.find((x) => x.currency === "USD")?.id;
    expect((await admin(`/api/admin/settlements/${eur}/invoice`, { method: "POST" })).status).toBe(200);
    expect((await admin(`/api/admin/settlements/${usd}/invoice`, { method: "POST" })).status).toBe(200);
    expect((await admin(`/api/admin/settlements/${usd}/pay`, { method: "POST" })).status).toBe(200);

    const r = await admin(`/api/admin/stats/fees?from=${new Date(day(0)).toISOString()}&to=${day(2)}`);
    expect(r.status).toBe(200);
    // Money totals are decimal strings (exact past 2^53); counts are numbers.
    const none = { count: 0, amount: "0" };
    expect(r.body.days).toEqual([
      {
        day: "2002-06-10",
        currency: "EUR",
        charges: { count: 2, amount: "1250" },
        reversals: { count: 1, amount: "-250" },
        net: "1000",
      },
      { day: "2002-06-10", currency: "USD", charges: { count: 1, amount: "700" }, reversals: none, net: "700" },
      { day: "2002-06-11", currency: "EUR", charges: { count: 1, amount: "99" }, reversals: none, net: "99" },
    ]);
    expect(r.body.totals).toEqual([
      { currency: "EUR", charges: { count: 3, amount: "1349" }, reversals: { count: 1, amount: "-250" }, net: "1099" },
      { currency: "USD", charges: { count: 1, amount: "700" }, reversals: none, net: "700" },
    ]);
    expect(r.body.settlements).toEqual([
      { currency: "EUR", open: none, invoiced: { count: 1, amount: "1000" }, paid: none },
      { currency: "USD", open: none, invoiced: none, paid: { count: 1, amount: "700" } },
    ]);
    // A window after the settled period sees the late event only, and no settlement.
    const later = await admin(`/api/admin/stats/fees?from=${day(1)}&to=${day(2)}`);
    expect(later.body.totals).toEqual([{ currency: "EUR", charges: { count: 1, amount: "99" }, reversals: none, net: "99" }]);
    expect(later.body.settlements).toEqual([]);
  });
});

// ── events ──────────────────────────────────────────────────────────────────────────────────

describe("GET /api/admin/events", () => {
  const t0 = Date.UTC(2003, 0, 1);
  type Fx = { id: string; type: string; subjectId: string; at: number };
  const fx: Fx[] = [];
  const TYPES = ["voucher.book", "voucher.cancel", "voucher.issue", "voucherx.y", "presence.match", "settlement.run"];

  beforeAll(async () => {
    // 60 events, 1 minute apart, cycling through types and two subjects; ties at one ms too.
    const specs = Array.from({ length: 60 }, (_, i) => ({
      type: TYPES[i % TYPES.length] as string,
      at: t0 + Math.floor(i / 2) * 60_000,
      subjectId: i % 3 === 0 ? "subj-A" : "subj-B",
      subjectType: "test",
      actor: "actor-x",
      meta: { i },
    }));
    const ids = await insertEvents(specs);
    fx.push(...specs.map((s, i) => ({ id: ids[i] as string, type: s.type, subjectId: s.subjectId, at: s.at })));
    fx.sort((a, b) => (a.id < b.id ? 1 : -1));
  });

  const inWindow = `created[gte]=${t0}&created[lt]=${t0 + DAY_MS}`;

  /** Follows `starting_after` to the end; returns the ids in order and the page count. */
  async function allPages(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const after: string = cursor ? `&starting_after=${cursor}` : "";
      const r = await admin(`/api/admin/events?${query}&limit=${limit}${after}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      pages++;
      ids.push(...r.body.items.map((e: { id: string }) => e.id));
      expect(r.body.has_more).toBe(r.body.nextCursor !== null);
      if (!r.body.has_more) break;
      expect(r.body.nextCursor).toBe(r.body.items.at(-1).id);
      cursor = r.body.nextCursor;
      expect(pages).toBeLessThan(100);
    }
    return { ids, pages };
  }

  it("keeps the original shape: ?limit=50 → {ok, items: [{id, type, actorId, subjectType, subjectId, meta, createdAt}]} newest first", async () => {
    const r = await admin("/api/admin/events?limit=50");
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.items.length).toBeGreaterThan(0);
    expect(r.body.items.length).toBeLessThanOrEqual(50);
    for (const e of r.body.items) {
      expect(Object.keys(e).sort()).toEqual(["actorId", "createdAt", "id", "meta", "subjectId", "subjectType", "type"]);
      expect(typeof e.meta).toBe("object");
      expect(new Date(e.createdAt).toISOString()).toBe(e.createdAt);
    }
    const ids = r.body.items.map((e: { id: string }) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());
    // Default limit is the original's 50.
    const all = await admin(`/api/admin/events?${inWindow}`);
    expect(all.body.items).toHaveLength(50);
    expect(all.body.has_more).toBe(true);
    const one = all.body.items[0];
    expect(one).toEqual({
      id: fx[0]?.id,
      type: fx[0]?.type,
      actorId: "actor-x",
      subjectType: "test",
      subjectId: fx[0]?.subjectId,
      meta: { i: expect.any(Number) },
      createdAt: new Date(fx[0]?.at ?? 0).toISOString(),
    });
  });

  const cases: Array<[string, string, (e: Fx) => boolean]> = [
    ["everything in the window", "", () => true],
    ["type exact", "&type=voucher.cancel", (e) => e.type === "voucher.cancel"],
    ["type prefix voucher.* (not voucherx.)", "&type=voucher.*", (e) => e.type.startsWith("voucher.")],
    ["subject", "&subject_id=subj-A", (e) => e.subjectId === "subj-A"],
    ["subject + type", "&subject_id=subj-B&type=voucher.issue", (e) => e.subjectId === "subj-B" && e.type === "voucher.issue"],
    ["subject + prefix", "&subject_id=subj-A&type=voucher.*", (e) => e.subjectId === "subj-A" && e.type.startsWith("voucher.")],
  ];

  it.each(cases)("%s: every page size walks all matches once, in order", async (_label, filter, keep) => {
    const expected = fx.filter(keep).map((e) => e.id);
    expect(expected.length).toBeGreaterThan(0);
    for (const limit of [1, 7, 100]) {
      const { ids, pages } = await allPages(`${inWindow}${filter}`, limit);
      expect(ids).toEqual(expected);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)));
    }
  });

  it("created[gte]/created[lt] accept epoch ms and ISO-8601 and are half-open", async () => {
    const from = t0 + 10 * 60_000;
    const to = t0 + 20 * 60_000;
    const expected = fx.filter((e) => e.at >= from && e.at < to).map((e) => e.id);
    expect(expected).toHaveLength(20);
    for (const q of [
      `created[gte]=${from}&created[lt]=${to}`,
      `created[gte]=${new Date(from).toISOString()}&created[lt]=${new Date(to).toISOString()}`,
    ]) {
      expect((await allPages(q, 100)).ids).toEqual(expected);
    }
    const day = await admin("/api/admin/events?created[gte]=2003-01-01&created[lt]=2003-01-02&limit=100");
    expect(day.body.items.map((e: { id: string }) => e.id)).toEqual(fx.map((e) => e.id));
  });

  it("pages stay stable while newer events arrive (no duplicates, no gaps)", async () => {
    const first = await admin(`/api/admin/events?${inWindow}&type=voucher.*&limit=5`);
    // One event newer than the whole walk, one older than the cursor.
    const [newer, older] = await insertEvents([
      { type: "voucher.book", at: t0 + 59 * 60_000 },
      { type: "voucher.issue", at: t0 + 10_000 },
    ]);
    const rest = await allPages(`${inWindow}&type=voucher.*&starting_after=${first.body.nextCursor}`, 5);
    const ids = [...first.body.items.map((e: { id: string }) => e.id), ...rest.ids];
    expect(new Set(ids).size).toBe(ids.length);
    // The older one is met in its place; the newer one is not repeated into later pages.
    const now = await allPages(`${inWindow}&type=voucher.*`, 100);
    expect(now.ids[0]).toBe(newer);
    expect(ids).toContain(older);
    expect(ids).toEqual(now.ids.slice(1));
  });

  it("validates its parameters", async () => {
    for (const q of [
      "limit=0",
      "limit=101",
      "limit=abc",
      "type=voucher.**",
      "type=*",
      "type=voucher.*.book",
      "type=a b",
      "created[gte]=soon",
      "created[lt]=2003-02-30",
      "starting_after=ev%20x",
      "created=1",
    ]) {
      const r = await admin(`/api/admin/events?${q}`);
      expect([q, r.status, r.body.code]).toEqual([q, 400, "validation_failed"]);
    }
  });

  it("every filter combination is an index range scan (EXPLAIN QUERY PLAN)", async () => {
    const types = [undefined, { exact: "voucher.book" }, { prefix: "voucher." }] as const;
    let checked = 0;
    for (const type of types) {
      for (const subjectId of [undefined, "subj-A"]) {
        for (const createdGte of [undefined, t0]) {
          for (const createdLt of [undefined, t0 + DAY_MS]) {
            for (const startingAfter of [undefined, fx[10]?.id]) {
              const f: EventFilter = { limit: 10, type, subjectId, createdGte, createdLt, startingAfter };
              const plan = (
                await rawStatement(db, sql`EXPLAIN QUERY PLAN ${eventsPageSql(f)}`).all<{ detail: string }>()
              ).results.map((p) => p.detail);
              const label = JSON.stringify({ f, plan });
              // No full scan of the table or of an index; only the tiny recursive CTE is scanned.
              expect(
                plan.filter((d) => /^SCAN /.test(d) && !/^SCAN (types|CONSTANT ROW)/.test(d)),
                label,
              ).toEqual([]);
              const index = subjectId ? "ix_events_subject" : type ? "ix_events_type" : "sqlite_autoindex_events_1";
              expect(
                plan.some((d) => d.startsWith("SEARCH") && d.includes(index)),
                label,
              ).toBe(true);
              // Order comes from the index; only the prefix merge sorts its ≤ types × (limit + 1) rows.
              const sorts = plan.some((d) => d.includes("TEMP B-TREE"));
              expect(sorts, label).toBe(!subjectId && type !== undefined && "prefix" in type);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(48);
  });
});

// ── dashboard ───────────────────────────────────────────────────────────────────────────────

describe("GET /api/admin/dashboard", () => {
  const KEYS = [
    "activityCount",
    "backupHealth",
    "errorStats",
    "featureMaturity",
    "fixStats",
    "ok",
    "productionReadiness",
    "productionTimeline",
    "qualityScore",
    "recentEvents",
    "systemStability",
  ];

  it("keeps the original shape, and every number moves with the data", async () => {
    const d0 = await admin("/api/admin/dashboard");
    expect(d0.status).toBe(200);
    expect(Object.keys(d0.body).sort()).toEqual(KEYS);
    expect(d0.body.productionTimeline).toHaveLength(7);
    expect(d0.body.productionTimeline.at(-1).date).toBe(new Date().toISOString().slice(0, 10));
    expect(d0.body.recentEvents.length).toBeLessThanOrEqual(20);
    expect(d0.body.backupHealth).toEqual({ status: "not_tracked", lastBackup: null, backupFrequency: null });

    const now = Date.now();
    const feature = `probe${newUid("f").slice(-6)}`;
    await insertEvents([
      { type: `${feature}.error`, at: now - 1000 },
      { type: `${feature}.error`, at: now - 900 },
      { type: "system.critical_failure", at: now - 800 },
      { type: "ops.fix", at: now - 700 },
      {
        type: "voucher.cancel",
        at: now - 600,
        subjectType: "voucher_booking",
        meta: { voucherId: "v-x", reason: "Payment ERROR" },
      },
      {
        type: "voucher.cancel",
        at: now - 500,
        subjectType: "voucher_booking",
        meta: { voucherId: "v-x", reason: "changed plans" },
      },
      // Older than 30 days: not counted.
      { type: `${feature}.error`, at: now - 31 * DAY_MS },
    ]);
    const d1 = await admin("/api/admin/dashboard");
    const a = d0.body;
    const b = d1.body;
    expect(b.errorStats.total).toBe(a.errorStats.total + 6);
    expect(b.activityCount).toBe(a.activityCount + 6);
    expect(b.errorStats.count).toBe(a.errorStats.count + 4);
    expect(b.errorStats.topErrors).toContainEqual({ type: `${feature}.error`, count: 2 });
    expect(b.fixStats.fixesPerWeek).toBe(a.fixStats.fixesPerWeek + 1);
    expect(b.fixStats.openErrors).toBe(Math.max(0, b.errorStats.count - (a.fixStats.fixesPerWeek + 1)));
    expect(b.productionTimeline.at(-1).count).toBe(a.productionTimeline.at(-1).count + 6);
    expect(b.featureMaturity).toContainEqual({ name: feature, events: 2, errorRate: 100 });
    expect(b.recentEvents[0]).toMatchObject({ type: "voucher.cancel", meta: { reason: "changed plans" } });
    // The scores follow from the counts with the original's formulas.
    const rate = (b.errorStats.count * 100) / b.errorStats.total;
    expect(b.errorStats.rate).toBe(Math.round(rate * 100) / 100);
    expect(b.qualityScore).toBe(Math.round(Math.max(0, 100 - rate) * 10) / 10);
    const readiness = 0.3 * Math.min(100, b.activityCount) + 0.4 * Math.max(0, 100 - rate) + 0.3 * Math.max(0, 100 - 2 * rate);
    expect(b.productionReadiness).toBe(Math.round(readiness * 10) / 10);
    expect(b.systemStability).toBeLessThan(100);
    expect(b.qualityScore).toBeLessThan(a.qualityScore);
  });
});
