/**
 * Right to deletion: `DELETE /api/admin/thinkers/:uid`. A person (P) leaves traces in every
 * corner the API writes — identity, presence and a match, vouchers as issuer and holder, bookings,
 * fee charges and reversals in two currencies, an invoiced and an open settlement, transfers both
 * ways, idempotent responses of their own and of others that name them, a room ticket, rate-limit
 * counters — plus rows of the later verticals written straight into D1. After the erasure:
 * no column of any table contains P's uid, thinker id or public id; money sums are identical;
 * P's rows group under one tombstone; the other person (Q) is untouched; a repeat is 404.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { thinkerIdentity } from "../../src/identity/thinker";
import { call, issueVoucher, json, login, newUid, slotAt, testEnv } from "../support/client";
import { admin, checkInvariants, feeEvent, settle } from "../support/settlement-kit";
import { post, row, rows } from "../support/voucher-kit";

type Who = { uid: string; session: string; thinkerId: string };

const DAY = 86_400_000;
let P: Who;
let Q: Who;
let pIds: { thinkerId: string; publicId: string };
let tombstone = "";
let erasedResponse: { status: number; body: Record<string, any> };
let qIdemKey = "";
let qTransferBody: Record<string, unknown> = {};
let before: Record<string, unknown> = {};

/** Every (table, column) of the database, for the scans. */
async function columns(): Promise<Array<{ table: string; column: string }>> {
  const tables = await rows<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
  );
  const out: Array<{ table: string; column: string }> = [];
  for (const t of tables) {
    for (const c of await rows<{ name: string }>(`SELECT name FROM pragma_table_info('${t.name}')`)) {
      out.push({ table: t.name, column: c.name });
    }
  }
  return out;
}

/** `table.column` of every value that contains `needle`. */
async function whereFound(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const { table, column } of await columns()) {
    const hit = await row<{ n: number }>(
      `SELECT count(*) AS n FROM "${table}" WHERE instr(CAST("${column}" AS TEXT), ?) > 0`,
      needle,
    );
    if ((hit?.n ?? 0) > 0) found.push(`${table}.${column}`);
  }
  return found;
}

/** Money as the ledger and the settlements see it. */
const money = async () => ({
  feesByCurrency: await rows(
    "SELECT currency, kind, count(*) AS n, sum(amount) AS total FROM fee_events GROUP BY currency, kind ORDER BY 1, 2",
  ),
  settlementsByCurrency: await rows(
    "SELECT currency, status, count(*) AS n, sum(total_amount) AS total, sum(item_count) AS items FROM settlements GROUP BY currency, status ORDER BY 1, 2",
  ),
  // Every fee event and settlement except the payer column.
  feeRows: await rows(
    "SELECT id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm, fixed_amount, rounding, rule_version, beneficiary_id, reverses_id, seq, created_at, (SELECT settlement_id FROM fee_event_settlements AS v WHERE v.seq = fee_events.seq) AS settlement_id FROM fee_events ORDER BY id",
  ),
  settlementRows: await rows(
    "SELECT id, beneficiary_id, period_from, period_to, currency, total_amount, item_count, status, created_at, invoiced_at, paid_at FROM settlements ORDER BY id",
  ),
});

/** Per payer and currency: how the person's money groups. */
const perPayer = (payer: string) =>
  rows(
    "SELECT currency, count(*) AS n, sum(amount) AS total FROM fee_events WHERE payer_uid = ? GROUP BY currency ORDER BY currency",
    payer,
  );

beforeAll(async () => {
  P = await login(newUid("person"));
  Q = await login(newUid("other"));
  pIds = await thinkerIdentity(P.uid, testEnv.IDENTITY_HASH_KEY);
  expect(pIds.thinkerId).toBe(P.thinkerId);

  // Presence and a match (the event's meta names P's thinker id).
  const pair = `erase-${newUid("pc").slice(-8)}`;
  for (const w of [P, Q]) {
    expect((await post("/api/presence/heartbeat", w, { thinker_id: w.thinkerId, pair_code: pair })).status).toBe(200);
  }
  const matched = await post("/api/presence/match", P, { thinker_id: P.thinkerId, pair_code: pair });
  expect(matched.body.room_id).toMatch(/^room-/);

  // P issues (with an Idempotency-Key: P's own stored response), Q books, cancels, books again.
  const idem = await post(
    "/api/voucher/issue",
    P,
    {
      issuerUid: P.uid,
      title: "P's session",
      validFrom: new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000).toISOString(),
      price: { amount: 12_345, currency: "EUR" },
    },
    { headers: { "idempotency-key": `p-${newUid("k")}` } },
  );
  expect(idem.status).toBe(200);
  const eur = { voucher: idem.body.voucher, validFrom: Date.parse(idem.body.voucher.validFrom) };
  const b1 = await post("/api/voucher/book", Q, {
    voucherId: eur.voucher.voucherId,
    slotId: slotAt(eur.validFrom, 1),
    holderUid: Q.uid,
  });
  expect(b1.status).toBe(200);
  expect((await post("/api/voucher/cancel", Q, { bookingId: b1.body.booking.bookingId, reason: "ill" })).status).toBe(200);
  expect(
    (await post("/api/voucher/book", Q, { voucherId: eur.voucher.voucherId, slotId: slotAt(eur.validFrom, 2), holderUid: Q.uid }))
      .status,
  ).toBe(200);

  // P issues a USD voucher to itself, transfers it to Q (event meta fromUid: P), Q books it.
  const usd = await issueVoucher(P, { holderUid: P.uid, price: { amount: 9_999, currency: "USD" }, transferable: true });
  expect((await post("/api/voucher/transfer", P, { voucherId: usd.voucher.voucherId, toUid: Q.uid })).status).toBe(200);
  expect(
    (await post("/api/voucher/book", Q, { voucherId: usd.voucher.voucherId, slotId: slotAt(usd.validFrom, 1), holderUid: Q.uid }))
      .status,
  ).toBe(200);

  // Q issues to itself and transfers to P with an Idempotency-Key: Q's stored response names P.
  const qv = await issueVoucher(Q, { holderUid: Q.uid, price: { amount: 500, currency: "EUR" }, transferable: true });
  qIdemKey = `q-${newUid("k")}`;
  qTransferBody = { voucherId: qv.voucher.voucherId, toUid: P.uid };
  const t = await post("/api/voucher/transfer", Q, qTransferBody, { headers: { "idempotency-key": qIdemKey } });
  expect(t.status).toBe(200);
  // P, now the holder, books Q's voucher (P is a holder in bookings; Q pays that fee).
  expect(
    (await post("/api/voucher/book", P, { voucherId: qv.voucher.voucherId, slotId: slotAt(qv.validFrom, 1), holderUid: P.uid }))
      .status,
  ).toBe(200);

  // A room ticket, and rooms P owns (one is the original portal's personal room).
  const ticket = await json(`/api/rooms/${encodeURIComponent("honeycomb:erase")}/ticket`, { body: {}, session: P.session });
  expect(ticket.status).toBe(200);
  const now = Date.now();
  await testEnv.DB.batch([
    testEnv.DB.prepare("INSERT INTO rooms (id, type, owner_uid, meta, created_at) VALUES (?, 'mixed', ?, '{}', ?)").bind(
      `room-${P.thinkerId}`,
      P.uid,
      now,
    ),
    testEnv.DB.prepare(
      "INSERT INTO rooms (id, type, owner_uid, meta, created_at) VALUES ('deal:erase', 'mixed', ?, '{}', ?)",
    ).bind(P.uid, now),
  ]);

  // Settle all fee events so far (a later day's run), invoice P's EUR settlement; then one more
  // EUR charge for P stays unassigned (it is settled after the erasure).
  const period = { from: Date.UTC(2020, 0, 1), to: Math.ceil((Date.now() + 1) / DAY) * DAY };
  const run = await settle(period.from, period.to);
  expect(run.status).toBe("done");
  const pEur = await row<{ id: string }>("SELECT id FROM settlements WHERE payer_uid = ? AND currency = 'EUR'", P.uid);
  expect((await admin(`/api/admin/settlements/${pEur?.id}/invoice`, { method: "POST" })).status).toBe(200);
  await feeEvent({ amount: 77, createdAt: period.to + 1000, payer: P.uid, beneficiary: "platform:together-systems" });

  // The later verticals, straight into D1: P as owner, borrower, tranche holder, transfer actor, contract creator.
  const id = (p: string) => `${p}-${newUid("x")}`;
  const [prop, app, offer, contract, tranche, transfer, doc] = ["prop", "app", "off", "mc", "tr", "tx", "ct"].map(id);
  mortgage = { prop, app, offer, contract, tranche };
  transferId = transfer;
  await testEnv.DB.batch([
    testEnv.DB.prepare(
      `INSERT INTO properties (id, owner_uid, type, address, purchase_price_amount, own_capital_amount, currency, meta, created_at, updated_at)
       VALUES (?, ?, 'apartment', '{"street":"Privatweg 7","zip":"12345","city":"X","country":"DE"}', 50000000, 10000000, 'EUR', '{"yearBuilt":1990}', ?, ?)`,
    ).bind(prop, P.uid, now, now),
    testEnv.DB.prepare(
      `INSERT INTO mortgage_applications (id, property_id, borrower_uid, loan_amount, currency, duration_years, rate_type, status, visibility, meta, submitted_at, created_at, updated_at)
       VALUES (?, ?, ?, 36000000, 'EUR', 20, 'fixed', 'offered', 'market', '{"netIncomeMonthly":380000}', ?, ?, ?)`,
    ).bind(app, prop, P.uid, now, now, now),
    testEnv.DB.prepare(
      `INSERT INTO mortgage_offers (id, application_id, lender_uid, borrower_uid, loan_amount, currency, nominal_rate_ppm, fixed_years, monthly_payment, upfront_fees, effective_rate_ppm, valid_from, valid_until, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, 36000000, 'EUR', 35000, 10, 180000, 0, 35567, ?, ?, 'offered', ?, ?)`,
    ).bind(offer, app, Q.uid, P.uid, now, now + DAY, now, now),
    testEnv.DB.prepare(
      `INSERT INTO mortgage_contracts (id, offer_id, application_id, lender_uid, borrower_uid, loan_amount, currency, status, signed_by_borrower_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 36000000, 'EUR', 'draft', ?, ?, ?)`,
    ).bind(contract, offer, app, Q.uid, P.uid, now, now, now),
    testEnv.DB.prepare(
      `INSERT INTO mortgage_tranches (id, contract_id, underlying_offer_id, lender_uid, holder_uid, nominal_amount, currency, expected_yield_ppm, risk_class, duration_years, valid_from, valid_until, status, subscribed_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 1000000, 'EUR', 40000, 'A', 10, ?, ?, 'subscribed', ?, ?, ?)`,
    ).bind(tranche, contract, offer, Q.uid, P.uid, now, now + DAY, now, now, now),
    testEnv.DB.prepare("INSERT INTO parties (uid, display_name, created_at, updated_at) VALUES (?, 'P Bank', ?, ?)").bind(
      P.uid,
      now,
      now,
    ),
    testEnv.DB.prepare("INSERT INTO party_roles (uid, role, granted_at) VALUES (?, 'notary', ?)").bind(P.uid, now),
    testEnv.DB.prepare(
      `INSERT INTO transfers (id, actor_uid, direction, label, wallet_address, network, crypto_amount, crypto_decimals, crypto_symbol, fiat_amount, fiat_currency, external_account, meta, status, created_at, updated_at)
       VALUES (?, ?, 'in', 'Mein Sparplan', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'ethereum', '1500000000000000000', 18, 'ETH', 420000, 'EUR', 'DE89370400440532013000', '{"note":"private"}', 'logged', ?, ?)`,
    ).bind(transfer, P.uid, now, now),
    testEnv.DB.prepare(
      `INSERT INTO manifest_posts (author_uid, client_id, source, type, visibility, title, body, content_hash, version, created_at, updated_at)
       VALUES (?, 'post-1', 'manifest-of-thinkers-offline', 'post', 'public', 'Mein Beitrag', '{"content":"hallo"}', 'h', 1, ?, ?)`,
    ).bind(P.uid, now, now),
    testEnv.DB.prepare(
      "INSERT INTO telemetry_batches (caller_key, items, item_count, created_at) VALUES (?, json_array(json_object('type', 'page.view', 'path', '/', 'meta', json('{}'), 'at', ?)), 1, ?)",
    ).bind(`uid:${P.uid}`, now, now),
    testEnv.DB.prepare(
      `INSERT INTO contracts (id, name, mime_type, byte_size, r2_key, hash_sha256, created_by, status, created_at, stored_at)
       VALUES (?, 'c.pdf', 'application/pdf', 4, ?, 'ab', ?, 'stored', ?, ?)`,
    ).bind(doc, `contracts/${doc}`, P.uid, now, now),
  ]);

  // Before: P is everywhere we expect, and the money is recorded.
  expect(await whereFound(P.uid)).toEqual(
    expect.arrayContaining([
      "contracts.created_by",
      "events.actor_uid",
      "events.meta",
      "fee_events.payer_uid",
      "idempotency_keys.caller_key",
      "idempotency_keys.response",
      "mortgage_applications.borrower_uid",
      "mortgage_contracts.borrower_uid",
      "mortgage_offers.borrower_uid",
      "mortgage_tranches.holder_uid",
      "parties.uid",
      "party_roles.uid",
      "properties.owner_uid",
      "rate_limits.key",
      "room_tickets.uid",
      "rooms.owner_uid",
      "settlement_parts.payer_uid",
      "settlements.payer_uid",
      "transfers.actor_uid",
      "used_link_nonces.uid",
      "voucher_bookings.holder_uid",
      "voucher_bookings.issuer_uid",
      "vouchers.holder_uid",
      "vouchers.issuer_uid",
    ]),
  );
  expect(await whereFound(P.thinkerId)).toEqual(
    expect.arrayContaining(["events.meta", "events.subject_id", "presence_sessions.thinker_id", "rooms.id", "thinkers.id"]),
  );
  expect(await whereFound(pIds.publicId)).toEqual(["thinkers.public_id"]);
  before = { ...(await money()), pPerPayer: await perPayer(P.uid), qSnapshot: await qRows() };

  erasedResponse = await admin(`/api/admin/thinkers/${P.uid}`, { method: "DELETE" });
  tombstone = erasedResponse.body.tombstone;
});

let transferId: string | undefined;
let mortgage: Record<"prop" | "app" | "offer" | "contract" | "tranche", string | undefined>;

/** Everything that names Q (who must be untouched), as comparable data. */
async function qRows() {
  return {
    // Q's vouchers except their holder column (Q transferred one to P: that holder is now the tombstone).
    vouchers: await rows(
      "SELECT id, issuer_uid, status, price_amount, price_currency, created_at, updated_at FROM vouchers WHERE issuer_uid = ? ORDER BY id",
      Q.uid,
    ),
    thinker: await rows("SELECT * FROM thinkers WHERE id = ?", Q.thinkerId),
    presence: await rows("SELECT * FROM presence_sessions WHERE thinker_id = ?", Q.thinkerId),
    fees: await rows("SELECT * FROM fee_events WHERE payer_uid = ? ORDER BY id", Q.uid),
  };
}

describe("DELETE /api/admin/thinkers/:uid", () => {
  it("answers with the tombstone and what changed", () => {
    expect(erasedResponse.status).toBe(200);
    expect(tombstone).toMatch(/^erased-[0-9a-f]{32}$/);
    const r = erasedResponse.body.rows as Record<string, number>;
    expect(r).toMatchObject({
      thinkers: 1,
      presence_sessions: 1,
      "rooms.personal": 1,
      "rooms.owner_uid": 1,
      room_tickets: 1,
      "vouchers.issuer_uid": 2,
      // EUR: charge, reversal, charge; USD: charge; the late manual charge.
      "fee_events.payer_uid": 5,
      "settlements.payer_uid": 2,
      // The settled ones: one part per settlement key, in the one chunk of the run.
      "settlement_parts.payer_uid": 2,
      "transfers.actor_uid": 1,
      "contracts.created_by": 1,
      "properties.owner_uid": 1,
      "mortgage_applications.borrower_uid": 1,
      "mortgage_offers.declined": 1,
      "mortgage_contracts.unsigned": 1,
      "mortgage_tranches.holder_uid": 1,
      parties: 1,
      party_roles: 1,
      manifest_posts: 1,
      telemetry_batches: 1,
    });
    // auth.verified names the thinker id as its subject; no event has the raw uid as subject.
    expect(r["events.subject_id:thinker"]).toBe(1);
    expect(r["events.subject_id"]).toBe(0);
    expect(r["events.meta"]).toBeGreaterThanOrEqual(3);
    expect(r["idempotency_keys.response"]).toBeGreaterThanOrEqual(1);
  });

  it("leaves no trace of the uid, the thinker id or the public id in any column of any table", async () => {
    expect(await whereFound(P.uid)).toEqual([]);
    expect(await whereFound(P.thinkerId)).toEqual([]);
    expect(await whereFound(pIds.publicId)).toEqual([]);
  });

  it("keeps every amount: per-currency fee sums and settlement totals are identical", async () => {
    const after = await money();
    expect(after.feesByCurrency).toEqual(before.feesByCurrency);
    expect(after.settlementsByCurrency).toEqual(before.settlementsByCurrency);
    expect(after.feeRows).toEqual(before.feeRows);
    expect(after.settlementRows).toEqual(before.settlementRows);
    await checkInvariants();
  });

  it("groups the person's rows under one tombstone, in every table", async () => {
    expect(await perPayer(tombstone)).toEqual(before.pPerPayer);
    const settled = await rows<{ currency: string; status: string }>(
      "SELECT currency, status FROM settlements WHERE payer_uid = ? ORDER BY currency",
      tombstone,
    );
    expect(settled).toEqual([
      { currency: "EUR", status: "invoiced" },
      { currency: "USD", status: "open" },
    ]);
    const thinker = await row("SELECT * FROM thinkers WHERE id = ?", tombstone);
    expect(thinker).toMatchObject({ public_id: tombstone, meta: "{}", deleted_at: expect.any(Number) });
    const found = await whereFound(tombstone);
    expect(found).toEqual(
      expect.arrayContaining([
        "events.actor_uid",
        "events.meta",
        "events.subject_id",
        "fee_events.payer_uid",
        "settlement_parts.payer_uid",
        "settlements.payer_uid",
        "thinkers.id",
        "vouchers.issuer_uid",
        "vouchers.holder_uid",
        "voucher_bookings.issuer_uid",
        "voucher_bookings.holder_uid",
        "idempotency_keys.response",
        "used_link_nonces.uid",
        "rooms.owner_uid",
        "transfers.actor_uid",
        "mortgage_tranches.holder_uid",
      ]),
    );
    // Meta stays valid JSON with the tombstone where the uid / thinker id was a value.
    const transfer = await row<{ meta: string }>(
      "SELECT meta FROM events WHERE type = 'voucher.transfer' AND json_extract(meta, '$.fromUid') = ?",
      tombstone,
    );
    expect(JSON.parse(transfer?.meta ?? "{}")).toMatchObject({ fromUid: tombstone, toUid: Q.uid });
    const match = await row<{ meta: string }>(
      "SELECT meta FROM events WHERE type = 'presence.match' AND actor_uid = ?",
      tombstone,
    );
    expect(JSON.parse(match?.meta ?? "{}")).toMatchObject({ thinker_id: tombstone });
  });

  it("ends the person's mortgage deals in the making, clears what they entered, keeps the amounts", async () => {
    expect(
      await row("SELECT owner_uid, address, meta, purchase_price_amount FROM properties WHERE id = ?", mortgage.prop),
    ).toEqual({
      owner_uid: tombstone,
      address: "{}",
      meta: "{}",
      purchase_price_amount: 50000000,
    });
    expect(
      await row("SELECT borrower_uid, status, meta, loan_amount FROM mortgage_applications WHERE id = ?", mortgage.app),
    ).toEqual({
      borrower_uid: tombstone,
      status: "withdrawn",
      meta: "{}",
      loan_amount: 36000000,
    });
    expect(await row("SELECT status, lender_uid FROM mortgage_offers WHERE id = ?", mortgage.offer)).toEqual({
      status: "declined",
      lender_uid: Q.uid,
    });
    expect(await row("SELECT status, cancelled_by, lender_uid FROM mortgage_contracts WHERE id = ?", mortgage.contract)).toEqual({
      status: "cancelled",
      cancelled_by: tombstone,
      lender_uid: Q.uid,
    });
    expect(await row("SELECT status, holder_uid, nominal_amount FROM mortgage_tranches WHERE id = ?", mortgage.tranche)).toEqual({
      status: "subscribed",
      holder_uid: tombstone,
      nominal_amount: 1000000,
    });
  });

  it("clears what points at the person in a transfer log and deletes their posts and telemetry", async () => {
    expect(
      await row(
        "SELECT actor_uid, wallet_address, external_account, label, meta, crypto_amount, fiat_amount, status FROM transfers WHERE id = ?",
        transferId,
      ),
    ).toEqual({
      actor_uid: tombstone,
      wallet_address: null,
      external_account: null,
      label: null,
      meta: "{}",
      crypto_amount: "1500000000000000000",
      fiat_amount: 420000,
      status: "logged",
    });
    expect(await rows("SELECT 1 FROM manifest_posts WHERE author_uid IN (?, ?)", P.uid, tombstone)).toEqual([]);
    expect(await rows("SELECT 1 FROM telemetry_batches WHERE caller_key = ?", `uid:${P.uid}`)).toEqual([]);
  });

  it("writes one thinker.erased event: actor admin, subject the tombstone", async () => {
    const ev = await rows("SELECT * FROM events WHERE type = 'thinker.erased'");
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ actor_uid: "admin", subject_type: "thinker", subject_id: tombstone, meta: "{}" });
  });

  it("leaves the other person untouched, and their stored replay still answers", async () => {
    expect(await qRows()).toEqual(before.qSnapshot);
    const replay = await call("/api/voucher/transfer", {
      body: qTransferBody,
      session: Q.session,
      headers: { "idempotency-key": qIdemKey },
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const body = (await replay.json()) as { voucher: { holderUid: string } };
    expect(body.voucher.holderUid).toBe(tombstone);
  });

  it("a repeat, an unknown uid: 404 and nothing written; a malformed uid: 400", async () => {
    const snapshot = async () =>
      (await rows("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type")).concat(
        await money().then((m) => m.feeRows),
      );
    const s0 = await snapshot();
    const again = await admin(`/api/admin/thinkers/${P.uid}`, { method: "DELETE" });
    expect([again.status, again.body.code]).toEqual([404, "thinker_not_found"]);
    const unknown = await admin(`/api/admin/thinkers/${newUid("nobody")}`, { method: "DELETE" });
    expect([unknown.status, unknown.body.code]).toEqual([404, "thinker_not_found"]);
    expect(await snapshot()).toEqual(s0);
    const bad = await admin(`/api/admin/thinkers/${encodeURIComponent("bad uid!")}`, { method: "DELETE" });
    expect([bad.status, bad.body.code]).toEqual([400, "bad_uid"]);
  });

  it("later settlement runs group the person's unassigned fee under the tombstone", async () => {
    const from = Math.ceil((Date.now() + 1) / DAY) * DAY;
    const run = await settle(from, from + DAY);
    expect(run.status).toBe("done");
    expect(
      await rows("SELECT total_amount, item_count FROM settlements WHERE payer_uid = ? AND period_from = ?", tombstone, from),
    ).toEqual([{ total_amount: 77, item_count: 1 }]);
    await checkInvariants();
  });

  it("the same uid can verify again and starts as a new, unlinked thinker", async () => {
    const again = await login(P.uid);
    expect(again.thinkerId).toBe(P.thinkerId);
    const thinker = await row("SELECT * FROM thinkers WHERE id = ?", P.thinkerId);
    expect(thinker).toMatchObject({ public_id: pIds.publicId, deleted_at: null });
    expect(await rows("SELECT id FROM vouchers WHERE issuer_uid = ? OR holder_uid = ?", P.uid, P.uid)).toEqual([]);
    expect(await rows("SELECT id FROM fee_events WHERE payer_uid = ?", P.uid)).toEqual([]);
  });
});
