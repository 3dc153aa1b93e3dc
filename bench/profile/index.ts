/**
 * Profiling Worker (bench/profile.ts): the SQL of `POST /api/voucher/book` issued with raw D1 calls
 * on the app's schema, without the framework (no Hono, zod, drizzle, session HMAC, JSON logs), so
 * the bench can split the booking's cost into D1 round trips and everything else.
 *
 * - `POST /book?rt=3` `{voucherId, slotStart, holderUid}`: the app's three round trips:
 *   rate-limit upsert; batch [voucher by id, fee rule]; batch [insert booking, CAS update of the
 *   voucher, write guard, insert event, insert fee event].
 * - `POST /book?rt=2`: the same statements with the rate-limit upsert moved into the read batch.
 * - `POST /book?rt=1`: one batch: rate-limit upsert, booking as `INSERT … SELECT … FROM vouchers`
 *   with the checks (status, holder, grid, future) in SQL, write guards, CAS update, event, fee
 *   event computed in SQL from the voucher's price and the fee rule, and the voucher re-read for
 *   the response. (A failure would need a second read to explain itself; not exercised here.)
 * - `POST /insert-booking`: one INSERT into `voucher_bookings` (all its indexes), one round trip.
 * - `GET /rt?n=K`: K sequential `SELECT 1` round trips.
 */

interface ProfileEnv {
  DB: D1Database;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const HOUR = 3_600_000;
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
const id = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;

interface VoucherRow {
  id: string;
  issuer_uid: string;
  holder_uid: string | null;
  status: string;
  duration_minutes: number;
  price_amount: number | null;
  price_currency: string | null;
}

interface FeeRow {
  id: string;
  rate_ppm: number;
  fixed_amount: number;
  rounding: string;
  version: number;
}

async function book(req: Request, env: ProfileEnv, roundTrips: number): Promise<Response> {
  const b = (await req.json()) as { voucherId: string; slotStart: number; holderUid: string };
  const db = env.DB;
  const now = Date.now();
  const windowStart = now - (now % 60_000);
  const rateLimit = db
    .prepare(
      `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END,
         window_start = excluded.window_start
       RETURNING count`,
    )
    .bind(`voucher.book|uid:${b.holderUid}`, windowStart);
  const readVoucher = db.prepare("SELECT * FROM vouchers WHERE id = ?1").bind(b.voucherId);
  const readFee = db.prepare("SELECT * FROM fees WHERE id = ?1").bind("voucher.booking");
  let reads: D1Result[];
  if (roundTrips >= 3) {
    await rateLimit.first();
    reads = await db.batch([readVoucher, readFee]);
  } else {
    reads = (await db.batch([rateLimit, readVoucher, readFee])).slice(1);
  }
  const v = reads[0]?.results[0] as VoucherRow | undefined;
  const rule = reads[1]?.results[0] as FeeRow | undefined;
  if (v?.status !== "issued") return json({ ok: false, code: "invalid_transition" }, 409);
  const bookingId = id("b");
  const end = b.slotStart + v.duration_minutes * 60_000;
  const statements = [
    db
      .prepare(
        `INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason, origin_booking_id, rescheduled_from_id, rescheduled_to_id, created_at, cancelled_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'booked', NULL, ?1, NULL, NULL, ?7, NULL, ?7)`,
      )
      .bind(bookingId, v.id, v.issuer_uid, b.holderUid, b.slotStart, end, now),
    db
      .prepare(
        "UPDATE vouchers SET status = 'booked', holder_uid = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'issued' AND (holder_uid IS NULL OR holder_uid = ?1)",
      )
      .bind(b.holderUid, now, v.id),
    db.prepare("INSERT INTO write_guards (guard) SELECT NULL WHERE changes() = 0"),
    db
      .prepare(
        "INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at) VALUES (?1, 'voucher.book', ?2, 'voucher_booking', ?3, ?4, ?5, ?6)",
      )
      .bind(
        id("ev"),
        b.holderUid,
        bookingId,
        JSON.stringify({ voucherId: v.id, slotStart: new Date(b.slotStart).toISOString() }),
        id("req"),
        now,
      ),
  ];
  if (rule && v.price_amount !== null && v.price_currency !== null) {
    const amount = Math.floor((v.price_amount * rule.rate_ppm + 500_000) / 1_000_000) + rule.fixed_amount;
    statements.push(
      db
        .prepare(
          `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm, fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
           VALUES (?1, ?2, 'charge', 'voucher_booking', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'platform:together-systems', NULL, ?12)`,
        )
        .bind(
          id("fe"),
          rule.id,
          bookingId,
          amount,
          v.price_currency,
          v.price_amount,
          rule.rate_ppm,
          rule.fixed_amount,
          rule.rounding,
          rule.version,
          v.issuer_uid,
          now,
        ),
    );
  }
  await db.batch(statements);
  return json({ ok: true, bookingId, slotEnd: new Date(end).toISOString() });
}

async function bookOneTrip(req: Request, env: ProfileEnv): Promise<Response> {
  const b = (await req.json()) as { voucherId: string; slotStart: number; holderUid: string };
  const db = env.DB;
  const now = Date.now();
  const windowStart = now - (now % 60_000);
  const bookingId = id("b");
  const guard = db.prepare("INSERT INTO write_guards (guard) SELECT NULL WHERE changes() = 0");
  const results = await db.batch([
    db
      .prepare(
        `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END,
           window_start = excluded.window_start
         RETURNING count`,
      )
      .bind(`voucher.book|uid:${b.holderUid}`, windowStart),
    db
      .prepare(
        `INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason, origin_booking_id, rescheduled_from_id, rescheduled_to_id, created_at, cancelled_at, updated_at)
         SELECT ?1, v.id, v.issuer_uid, ?2, ?3, ?3 + v.duration_minutes * 60000, 'booked', NULL, ?1, NULL, NULL, ?4, NULL, ?4
         FROM vouchers v
         WHERE v.id = ?5 AND v.status = 'issued' AND (v.holder_uid IS NULL OR v.holder_uid = ?2)
           AND ?3 >= v.valid_from AND (?3 - v.valid_from) % 3600000 = 0
           AND ?3 + v.duration_minutes * 60000 <= v.valid_until AND ?3 > ?4`,
      )
      .bind(bookingId, b.holderUid, b.slotStart, now, b.voucherId),
    guard,
    db
      .prepare("UPDATE vouchers SET status = 'booked', holder_uid = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'issued'")
      .bind(b.holderUid, now, b.voucherId),
    guard,
    db
      .prepare(
        "INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at) VALUES (?1, 'voucher.book', ?2, 'voucher_booking', ?3, ?4, ?5, ?6)",
      )
      .bind(
        id("ev"),
        b.holderUid,
        bookingId,
        JSON.stringify({ voucherId: b.voucherId, slotStart: new Date(b.slotStart).toISOString() }),
        id("req"),
        now,
      ),
    db
      .prepare(
        `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm, fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
         SELECT ?1, f.id, 'charge', 'voucher_booking', ?2, (v.price_amount * f.rate_ppm + 500000) / 1000000 + f.fixed_amount,
                v.price_currency, v.price_amount, f.rate_ppm, f.fixed_amount, f.rounding, f.version, v.issuer_uid,
                'platform:together-systems', NULL, ?3
         FROM vouchers v JOIN fees f ON f.id = 'voucher.booking'
         WHERE v.id = ?4 AND f.active = 1 AND f.rounding = 'half_up' AND v.price_amount IS NOT NULL
           AND (f.currency IS NULL OR f.currency = v.price_currency)`,
      )
      .bind(id("fe"), bookingId, now, b.voucherId),
    db.prepare("SELECT * FROM vouchers WHERE id = ?1").bind(b.voucherId),
  ]);
  const v = results.at(-1)?.results[0] as VoucherRow | undefined;
  return json({ ok: true, bookingId, voucher: v });
}

async function insertBooking(req: Request, env: ProfileEnv): Promise<Response> {
  const b = (await req.json()) as { voucherId: string; slot: number };
  const now = Date.now();
  const bookingId = id("b");
  const start = now + HOUR + b.slot * HOUR;
  await env.DB.prepare(
    `INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason, origin_booking_id, rescheduled_from_id, rescheduled_to_id, created_at, cancelled_at, updated_at)
     VALUES (?1, ?2, 'profileIssuer', 'profileHolder', ?3, ?4, 'cancelled', NULL, ?1, NULL, NULL, ?5, NULL, ?5)`,
  )
    .bind(bookingId, b.voucherId, start, start + HOUR, now)
    .run();
  return json({ ok: true, bookingId });
}

async function roundTrips(url: URL, env: ProfileEnv): Promise<Response> {
  const n = Math.min(20, Math.max(1, Number(url.searchParams.get("n")) || 1));
  for (let i = 0; i < n; i++) await env.DB.prepare("SELECT 1 AS one").first();
  return json({ ok: true, n });
}

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/book") {
      const rt = Number(url.searchParams.get("rt") ?? 3);
      return rt === 1 ? bookOneTrip(req, env) : book(req, env, rt);
    }
    if (req.method === "POST" && url.pathname === "/insert-booking") return insertBooking(req, env);
    if (req.method === "GET" && url.pathname === "/rt") return roundTrips(url, env);
    return json({ ok: false, error: "not found" }, 404);
  },
} satisfies ExportedHandler<ProfileEnv>;
