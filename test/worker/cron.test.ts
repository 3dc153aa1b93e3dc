/**
 * The backend Worker's scheduled handler against real D1: the cron table matches
 * wrangler.toml, an unknown cron fails, periods come from `scheduledTime`, and the sweep applies
 * the retention policy exactly once.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/settlements/period";
import {
  DEFAULT_TELEMETRY_RETENTION_DAYS,
  NONCE_RETENTION_MS,
  REDEEM_GRACE_MS,
  ROOM_MEMBER_RETENTION_MS,
  telemetryRetentionMs,
} from "../../src/sweeps/sweep";
import { CRONS } from "../../src/worker/cron";
import worker from "../../src/worker/index";

const testEnv = env as unknown as WorkerEnv & { TEST_CRONS: string };
const db = testEnv.DB;
const H = 3_600_000;
let n = 0;
const uniq = (p: string) => `${p}-${Date.now().toString(36)}-${(n++).toString(36)}`;

/** Invokes the Worker's `scheduled` handler as the runtime would for this cron and time. */
async function fire(cron: string, scheduledTime: number): Promise<void> {
  await worker.scheduled(createScheduledController({ cron, scheduledTime }), testEnv);
}

const all = async <T = Record<string, any>>(q: string, ...b: unknown[]) =>
  (
    await db
      .prepare(q)
      .bind(...b)
      .all<T>()
  ).results;
const one = async <T = Record<string, any>>(q: string, ...b: unknown[]) =>
  (await db
    .prepare(q)
    .bind(...b)
    .first<T>()) ?? undefined;

async function feeEvent(amount: number, createdAt: number, payer: string) {
  const id = uniq("fe");
  await db
    .prepare(
      `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm, fixed_amount,
        rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
       VALUES (?, 'voucher.booking', 'charge', 'test', ?, ?, 'EUR', 0, 0, 0, 'half_up', 1, ?, 'platform:test', NULL, ?)`,
    )
    .bind(id, id, amount, payer, createdAt)
    .run();
  return id;
}

async function voucher(status: "issued" | "booked", validUntil: number) {
  const id = uniq("v");
  await db
    .prepare(
      `INSERT INTO vouchers (id, issuer_uid, holder_uid, template_id, service_type, title, description, duration_minutes,
        valid_from, valid_until, price_amount, price_currency, status, transferable, terms, created_at, updated_at)
       VALUES (?, 'issuer', ?, NULL, 'consulting.session', 't', '', 60, ?, ?, 1000, 'EUR', ?, 1, '{}', 0, 0)`,
    )
    .bind(id, status === "booked" ? "holder" : null, validUntil - DAY_MS, validUntil, status)
    .run();
  if (status === "booked") {
    await db
      .prepare(
        `INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason,
          origin_booking_id, rescheduled_from_id, rescheduled_to_id, created_at, cancelled_at, updated_at)
         VALUES (?, ?, 'issuer', 'holder', ?, ?, 'booked', NULL, ?, NULL, NULL, 0, NULL, 0)`,
      )
      .bind(`b-${id}`, id, validUntil - 2 * H, validUntil - H, `b-${id}`)
      .run();
  }
  return id;
}

describe("cron table", () => {
  it("has exactly the crons of wrangler.toml", () => {
    expect(JSON.parse(testEnv.TEST_CRONS).sort()).toEqual(Object.values(CRONS).sort());
  });

  it("fails loudly on an unknown cron", async () => {
    await expect(fire("0 3 * * *", Date.now())).rejects.toThrow(/unknown cron/);
  });
});

describe("settle cron", () => {
  it("settles the previous UTC day of scheduledTime (not of the wall clock)", async () => {
    const scheduled = Date.UTC(2025, 2, 10, 0, 10);
    const payer = uniq("payer");
    await feeEvent(100, Date.UTC(2025, 2, 9, 12), payer);
    await feeEvent(50, Date.UTC(2025, 2, 9, 23, 59), payer);
    const today = await feeEvent(7, Date.UTC(2025, 2, 10, 0, 5), payer);
    await fire(CRONS.settle, scheduled);
    const s = await all("SELECT * FROM settlements WHERE payer_uid = ?", payer);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({
      period_from: Date.UTC(2025, 2, 9),
      period_to: Date.UTC(2025, 2, 10),
      total_amount: 150,
      item_count: 2,
    });
    // Created after the period: in no settlement (the view lists settled events only).
    expect(await one("SELECT * FROM fee_event_settlements WHERE fee_event_id = ?", today)).toBeUndefined();
    // Retried invocation of the same schedule: the same period, nothing changes.
    const before = await all("SELECT * FROM settlements ORDER BY id");
    await fire(CRONS.settle, scheduled + 90_000);
    expect(await all("SELECT * FROM settlements ORDER BY id")).toEqual(before);
    expect(
      (await one("SELECT status FROM settlement_runs WHERE id = ?", `${Date.UTC(2025, 2, 9)}-${Date.UTC(2025, 2, 10)}`))?.status,
    ).toBe("done");
  });
});

describe("settle cron with periods shorter than a day", () => {
  it("settles each 6-hour period of the previous day, in order, from the one daily cron", async () => {
    const payer = uniq("payer6");
    for (const h of [1, 7, 13, 19]) await feeEvent(10 + h, Date.UTC(2025, 2, 20, h), payer);
    const sixHours = { ...testEnv, SETTLEMENT_PERIOD_HOURS: "6" };
    await worker.scheduled(
      createScheduledController({ cron: CRONS.settle, scheduledTime: Date.UTC(2025, 2, 21, 0, 10) }),
      sixHours,
    );
    const s = await all(
      "SELECT period_from, period_to, total_amount, item_count FROM settlements WHERE payer_uid = ? ORDER BY period_from",
      payer,
    );
    expect(s).toEqual(
      [0, 6, 12, 18].map((h) => ({
        period_from: Date.UTC(2025, 2, 20, h),
        period_to: Date.UTC(2025, 2, 20, h + 6),
        total_amount: 10 + h + 1,
        item_count: 1,
      })),
    );
  });

  it("stops at a period whose lease is held: the later periods never take its events", async () => {
    const payer = uniq("payer6held");
    for (const h of [1, 7]) await feeEvent(10 + h, Date.UTC(2025, 2, 22, h), payer);
    const sixHours = { ...testEnv, SETTLEMENT_PERIOD_HOURS: "6" };
    // Another run holds the lease for the first period's attempt and lets go right after it, so
    // the cron would be free to go on to the later periods.
    await db
      .prepare("UPDATE settlement_ledger SET lease_owner = 'other-run', lease_until = ? WHERE id = 1")
      .bind(Date.now() + H)
      .run();
    let batches = 0;
    const releasing = new Proxy(db, {
      get(target, prop) {
        if (prop !== "batch") {
          const v = Reflect.get(target, prop);
          return typeof v === "function" ? v.bind(target) : v;
        }
        return async (stmts: D1PreparedStatement[]) => {
          try {
            return await target.batch(stmts); // the first one is refused: the lease is held
          } finally {
            if (batches++ === 0)
              await target.prepare("UPDATE settlement_ledger SET lease_owner = NULL, lease_until = 0 WHERE id = 1").run();
          }
        };
      },
    });
    const at = Date.UTC(2025, 2, 23, 0, 10);
    await worker.scheduled(createScheduledController({ cron: CRONS.settle, scheduledTime: at }), { ...sixHours, DB: releasing });
    const settled = () =>
      all("SELECT period_from, total_amount, item_count FROM settlements WHERE payer_uid = ? ORDER BY period_from", payer);
    expect(await settled()).toEqual([]);
    // The next invocation settles each period on its own.
    await worker.scheduled(createScheduledController({ cron: CRONS.settle, scheduledTime: at }), sixHours);
    expect(await settled()).toEqual([
      { period_from: Date.UTC(2025, 2, 22, 0), total_amount: 11, item_count: 1 },
      { period_from: Date.UTC(2025, 2, 22, 6), total_amount: 17, item_count: 1 },
    ]);
  });
});

describe("sweep cron", () => {
  it("applies the retention policy once; a second sweep changes nothing", async () => {
    const now = Date.UTC(2026, 5, 1, 12);
    const expiredIssued = await voucher("issued", now - H);
    const liveIssued = await voucher("issued", now + H);
    const bookedInGrace = await voucher("booked", now - REDEEM_GRACE_MS + H);
    const bookedPastGrace = await voucher("booked", now - REDEEM_GRACE_MS - H);

    const stale = uniq("ps");
    const fresh = uniq("ps");
    for (const [id, seen] of [
      [stale, now - 61_000],
      [fresh, now - 10_000],
    ] as const) {
      await db
        .prepare(
          "INSERT INTO presence_sessions (id, thinker_id, pair_code, status, room_id, last_seen_at, created_at) VALUES (?, ?, NULL, 'online', NULL, ?, 0)",
        )
        .bind(id, `t-${id}`, seen)
        .run();
    }
    const idemOld = uniq("k");
    const idemNew = uniq("k");
    for (const [k, exp] of [
      [idemOld, now - 1],
      [idemNew, now + DAY_MS],
    ] as const) {
      await db
        .prepare(
          "INSERT INTO idempotency_keys (caller_key, route, key, body_hash, state, claim, status, response, created_at, expires_at) VALUES ('c', 'r', ?, 'h', 'done', 'x', 200, '{}', 0, ?)",
        )
        .bind(k, exp)
        .run();
    }
    const nonceOld = uniq("n");
    await db
      .prepare("INSERT INTO used_link_nonces (sig_hash, uid, ts, used_at) VALUES (?, 'u', 0, ?)")
      .bind(nonceOld, now - NONCE_RETENTION_MS - 1)
      .run();
    const [challengeOld, challengeNew] = [uniq("dc"), uniq("dc")];
    for (const [hash, at] of [
      [challengeOld, now - NONCE_RETENTION_MS - 1],
      [challengeNew, now - 60_000],
    ] as const) {
      await db
        .prepare("INSERT INTO used_device_challenges (challenge_hash, key_id, used_at) VALUES (?, 'k', ?)")
        .bind(hash, at)
        .run();
    }
    const memberRoom = uniq("honeycomb:sweep");
    for (const [uid, last] of [
      ["gone", now - ROOM_MEMBER_RETENTION_MS - 1],
      ["recent", now - ROOM_MEMBER_RETENTION_MS + H],
    ] as const) {
      await db
        .prepare("INSERT INTO room_members (room_id, uid, first_at, last_at) VALUES (?, ?, 0, ?)")
        .bind(memberRoom, uid, last)
        .run();
    }
    const retention = Number(testEnv.EVENT_RETENTION_DAYS ?? "400") * DAY_MS;
    const oldAuth = uniq("ev");
    const oldBook = uniq("ev");
    const recentAuth = uniq("ev");
    for (const [id, type, at] of [
      [oldAuth, "auth.verified", now - retention - 1],
      [oldBook, "voucher.book", now - retention - 1],
      [recentAuth, "auth.verified", now - retention + DAY_MS],
    ] as const) {
      await db.prepare("INSERT INTO events (id, type, created_at) VALUES (?, ?, ?)").bind(id, type, at).run();
    }

    await fire(CRONS.sweep, now);

    const status = async (id: string) => (await one("SELECT status FROM vouchers WHERE id = ?", id))?.status;
    expect(await status(expiredIssued)).toBe("expired");
    expect(await status(liveIssued)).toBe("issued");
    expect(await status(bookedInGrace)).toBe("booked");
    expect(await status(bookedPastGrace)).toBe("expired");
    expect((await one("SELECT status FROM voucher_bookings WHERE voucher_id = ?", bookedPastGrace))?.status).toBe("completed");
    expect((await one("SELECT status FROM voucher_bookings WHERE voucher_id = ?", bookedInGrace))?.status).toBe("booked");
    const expires = await all(
      "SELECT subject_id, meta, created_at FROM events WHERE type = 'voucher.expire' AND subject_id IN (?, ?)",
      expiredIssued,
      bookedPastGrace,
    );
    expect(expires.map((e) => e.subject_id).sort()).toEqual([expiredIssued, bookedPastGrace].sort());
    expect(expires.every((e) => e.created_at === now)).toBe(true);
    expect(JSON.parse(expires.find((e) => e.subject_id === bookedPastGrace)?.meta).bookingId).toBe(`b-${bookedPastGrace}`);

    expect((await one("SELECT status FROM presence_sessions WHERE id = ?", stale))?.status).toBe("offline");
    expect((await one("SELECT status FROM presence_sessions WHERE id = ?", fresh))?.status).toBe("online");
    expect(await one("SELECT 1 FROM idempotency_keys WHERE key = ?", idemOld)).toBeUndefined();
    expect(await one("SELECT 1 FROM idempotency_keys WHERE key = ?", idemNew)).toBeDefined();
    expect(await one("SELECT 1 FROM used_link_nonces WHERE sig_hash = ?", nonceOld)).toBeUndefined();
    expect(await one("SELECT 1 FROM used_device_challenges WHERE challenge_hash = ?", challengeOld)).toBeUndefined();
    expect(await one("SELECT 1 FROM used_device_challenges WHERE challenge_hash = ?", challengeNew)).toBeDefined();
    expect(await all("SELECT uid FROM room_members WHERE room_id = ?", memberRoom)).toEqual([{ uid: "recent" }]);
    expect(await one("SELECT 1 FROM events WHERE id = ?", oldAuth)).toBeUndefined();
    expect(await one("SELECT 1 FROM events WHERE id = ?", oldBook)).toBeDefined();
    expect(await one("SELECT 1 FROM events WHERE id = ?", recentAuth)).toBeDefined();

    // Idempotent: the same schedule again writes no second expire event and changes no row.
    const snapshot = async () => ({
      v: await all("SELECT id, status, updated_at FROM vouchers ORDER BY id"),
      e: await all("SELECT id FROM events ORDER BY id"),
    });
    const before = await snapshot();
    await fire(CRONS.sweep, now);
    expect(await snapshot()).toEqual(before);
  });
  it("expires mortgage offers and tranches past validUntil; an expired tranche's nominal leaves the contract's sum", async () => {
    const now = Date.UTC(2026, 6, 1, 12);
    const run = (q: string, ...b: unknown[]) =>
      db
        .prepare(q)
        .bind(...b)
        .run();
    const prop = uniq("house");
    const app = uniq("app");
    await run(
      "INSERT INTO properties (id, owner_uid, type, address, purchase_price_amount, own_capital_amount, currency, created_at, updated_at) VALUES (?, 'b', 'apartment', '{}', 100, 0, 'EUR', 0, 0)",
      prop,
    );
    await run(
      "INSERT INTO mortgage_applications (id, property_id, borrower_uid, loan_amount, currency, duration_years, rate_type, status, visibility, submitted_at, created_at, updated_at) VALUES (?, ?, 'b', 100, 'EUR', 10, 'fixed', 'offered', 'market', 0, 0, 0)",
      app,
      prop,
    );
    const offer = async (status: string, validUntil: number) => {
      const id = uniq("mort-offer");
      await run(
        "INSERT INTO mortgage_offers (id, application_id, lender_uid, borrower_uid, loan_amount, currency, nominal_rate_ppm, fixed_years, monthly_payment, upfront_fees, effective_rate_ppm, valid_from, valid_until, status, created_at, updated_at) VALUES (?, ?, 'l', 'b', 100, 'EUR', 30000, 10, 10, 0, 30416, 0, ?, ?, 0, 0)",
        id,
        app,
        validUntil,
        status,
      );
      return id;
    };
    const due = await offer("offered", now - 1);
    const live = await offer("offered", now + H);
    const accepted = await offer("accepted", now - H);
    const contract = uniq("mort-contract");
    await run(
      "INSERT INTO mortgage_contracts (id, offer_id, application_id, lender_uid, borrower_uid, notary_uid, loan_amount, currency, status, signed_by_borrower_at, signed_by_lender_at, signed_by_notary_at, tranched_amount, created_at, updated_at) VALUES (?, ?, ?, 'l', 'b', 'n', 100, 'EUR', 'signed', 1, 1, 1, 70, 0, 0)",
      contract,
      accepted,
      app,
    );
    const tranche = async (status: string, nominal: number, validUntil: number) => {
      const id = uniq("mort-tranche");
      await run(
        "INSERT INTO mortgage_tranches (id, contract_id, underlying_offer_id, lender_uid, holder_uid, nominal_amount, currency, expected_yield_ppm, risk_class, duration_years, valid_from, valid_until, status, created_at, updated_at) VALUES (?, ?, ?, 'l', ?, ?, 'EUR', 20000, 'A', 5, 0, ?, ?, 0, 0)",
        id,
        contract,
        accepted,
        status === "subscribed" ? "inv" : null,
        nominal,
        validUntil,
        status,
      );
      return id;
    };
    const trDue = await tranche("offered", 30, now - 1);
    const trLive = await tranche("offered", 25, now + H);
    const trTaken = await tranche("subscribed", 15, now - H);

    await fire(CRONS.sweep, now);

    const status = async (table: string, id: string) => (await one(`SELECT status FROM ${table} WHERE id = ?`, id))?.status;
    expect(await status("mortgage_offers", due)).toBe("expired");
    expect(await status("mortgage_offers", live)).toBe("offered");
    expect(await status("mortgage_offers", accepted)).toBe("accepted");
    expect(await status("mortgage_tranches", trDue)).toBe("expired");
    expect(await status("mortgage_tranches", trLive)).toBe("offered");
    expect(await status("mortgage_tranches", trTaken)).toBe("subscribed");
    expect((await one("SELECT tranched_amount FROM mortgage_contracts WHERE id = ?", contract))?.tranched_amount).toBe(40);
    const events = await all(
      "SELECT type, subject_id FROM events WHERE subject_id IN (?, ?, ?, ?) ORDER BY type",
      due,
      live,
      trDue,
      trLive,
    );
    expect(events).toEqual([
      { type: "mortgage.offer.expire", subject_id: due },
      { type: "mortgage.tranche.expire", subject_id: trDue },
    ]);

    // A second sweep at the same schedule subtracts nothing twice.
    await fire(CRONS.sweep, now);
    expect((await one("SELECT tranched_amount FROM mortgage_contracts WHERE id = ?", contract))?.tranched_amount).toBe(40);
    expect(await all("SELECT id FROM events WHERE subject_id = ?", trDue)).toHaveLength(1);
  });
});

describe("telemetry retention", () => {
  it("deletes telemetry older than the retention (default 30 days) and keeps the rest; a second sweep changes nothing", async () => {
    const now = Date.UTC(2026, 7, 1, 12);
    const caller = `ip:${uniq("tm")}`;
    const at = [now - (DEFAULT_TELEMETRY_RETENTION_DAYS * DAY_MS + 1), now - DEFAULT_TELEMETRY_RETENTION_DAYS * DAY_MS, now - H];
    for (const createdAt of at) {
      await db
        .prepare(
          `INSERT INTO telemetry_batches (caller_key, items, item_count, created_at) VALUES (?, '[{"type":"page.view"}]', 1, ?)`,
        )
        .bind(caller, createdAt)
        .run();
    }
    await fire(CRONS.sweep, now);
    const left = async () =>
      (
        await all<{ created_at: number }>(
          "SELECT created_at FROM telemetry_batches WHERE caller_key = ? ORDER BY created_at",
          caller,
        )
      ).map((r) => r.created_at);
    expect(await left()).toEqual([at[1], at[2]]);
    await fire(CRONS.sweep, now);
    expect(await left()).toEqual([at[1], at[2]]);
  });

  it("TELEMETRY_RETENTION_DAYS sets the retention; junk falls back to the default", () => {
    expect(telemetryRetentionMs("7")).toBe(7 * DAY_MS);
    expect(telemetryRetentionMs(undefined)).toBe(DEFAULT_TELEMETRY_RETENTION_DAYS * DAY_MS);
    expect(telemetryRetentionMs("-3")).toBe(DEFAULT_TELEMETRY_RETENTION_DAYS * DAY_MS);
    expect(telemetryRetentionMs("1.5")).toBe(DEFAULT_TELEMETRY_RETENTION_DAYS * DAY_MS);
  });
});
