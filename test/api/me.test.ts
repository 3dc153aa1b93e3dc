/**
 * Self-service: who am I (`GET /api/me`), erasing oneself (`DELETE /api/me`) and the export of
 * everything stored about the caller (`GET /api/me/export`).
 */
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { EXPORT_SECTIONS } from "../../src/privacy/export";
import { checkContract, issueVoucher, json, login, newUid, slotAt, testEnv } from "../support/client";
import { dbSnapshot } from "../support/db-snapshot";
import { admin } from "../support/settlement-kit";
import { enter, roomName, wsPath } from "../support/sockets";
import { post, row, rows } from "../support/voucher-kit";

type Who = { uid: string; session: string; thinkerId: string };

const ME = "/api/me";

describe("GET /api/me", () => {
  it("answers uid, thinker id, pair code, granted roles, the session's expiry; never cached", async () => {
    const p = await login();
    const fresh = await json(ME, { session: p.session });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("cache-control")).toBe("no-store");
    expect(fresh.body).toEqual({
      ok: true,
      uid: p.uid,
      thinker_id: p.thinkerId,
      pair_code: null,
      roles: [],
      expiresAt: expect.any(String),
      deviceKeys: [],
    });
    const ttlMs = Number(testEnv.SESSION_TTL_SECONDS) * 1000;
    const expiresAt = Date.parse(fresh.body.expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now() + ttlMs - 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + ttlMs);

    // A heartbeat's pair code and roles an admin granted show up.
    const pair = `me-${newUid("pc").slice(-8)}`;
    expect(
      (await json("/api/presence/heartbeat", { session: p.session, body: { thinker_id: p.thinkerId, pair_code: pair } })).status,
    ).toBe(200);
    const now = Date.now();
    await testEnv.DB.batch([
      testEnv.DB.prepare("INSERT INTO parties (uid, display_name, created_at, updated_at) VALUES (?, 'Bank', ?, ?)").bind(
        p.uid,
        now,
        now,
      ),
      testEnv.DB.prepare("INSERT INTO party_roles (uid, role, granted_at) VALUES (?, 'notary', ?), (?, 'lender', ?)").bind(
        p.uid,
        now,
        p.uid,
        now,
      ),
    ]);
    // Live device keys, newest first; a revoked one is not listed, nor is another person's.
    const q = await login();
    const key = (id: string, uid: string, at: number, revoked: number | null) =>
      testEnv.DB.prepare(
        "INSERT INTO device_keys (id, uid, thinker_id, public_key, label, created_at, last_used_at, revoked_at) VALUES (?, ?, 'x', '{}', ?, ?, NULL, ?)",
      ).bind(id, uid, `label ${id}`, at, revoked);
    await testEnv.DB.batch([
      key(`dk-a-${p.uid}`, p.uid, now - 2000, null),
      key(`dk-b-${p.uid}`, p.uid, now - 1000, null),
      key(`dk-c-${p.uid}`, p.uid, now, now),
      key(`dk-d-${q.uid}`, q.uid, now, null),
    ]);
    const later = await json(ME, { session: p.session });
    expect(later.body).toMatchObject({ pair_code: pair, roles: ["lender", "notary"] });
    expect(later.body.deviceKeys).toEqual([
      { keyId: `dk-b-${p.uid}`, label: `label dk-b-${p.uid}`, createdAt: new Date(now - 1000).toISOString(), lastUsedAt: null },
      { keyId: `dk-a-${p.uid}`, label: `label dk-a-${p.uid}`, createdAt: new Date(now - 2000).toISOString(), lastUsedAt: null },
    ]);
  });

  it("needs a verified session, also in AUTH_MODE=compat (401)", async () => {
    const p = await login();
    expect((await json(ME, {})).status).toBe(401);
    const compat = { ...testEnv, AUTH_MODE: "compat" } as Env;
    const asserted = await json(ME, { headers: { "x-mot-user": p.uid } }, compat);
    expect({ status: asserted.status, code: asserted.body.code }).toEqual({ status: 401, code: "unauthenticated" });
  });
});

describe("DELETE /api/me", () => {
  it("confirm mismatch: 400 and nothing erased, the session still works", async () => {
    const p = await login();
    for (const confirm of ["someone-else", p.uid.toUpperCase(), ""]) {
      const r = await json(ME, { method: "DELETE", session: p.session, body: { confirm } });
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: "confirm_mismatch" });
    }
    expect((await row("SELECT deleted_at FROM thinkers WHERE id = ?", p.thinkerId))?.deleted_at).toBeNull();
    expect(await rows("SELECT uid FROM used_link_nonces WHERE uid = ?", p.uid)).toEqual([{ uid: p.uid }]);
    expect((await json(ME, { session: p.session })).status).toBe(200);
  });

  it("confirm mismatch after real activity: the database is unchanged but for the rate-limit counter", async () => {
    const p = await login();
    await activity(p, await login(), "mismatch");
    const { rate_limits: _a, ...before } = await dbSnapshot();
    const r = await json(ME, { method: "DELETE", session: p.session, body: { confirm: `${p.uid}x` } });
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 400, code: "confirm_mismatch" });
    const { rate_limits: _b, ...after } = await dbSnapshot();
    expect(after).toEqual(before);
  });

  it("erases the caller, clears the cookie, ends the session", async () => {
    const p = await login();
    const r = await json(ME, { method: "DELETE", session: p.session, body: { confirm: p.uid } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ ok: true, tombstone: expect.stringMatching(/^erased-[0-9a-f]{32}$/) });
    expect(r.body.rows.thinkers).toBe(1);
    expect(r.headers.get("set-cookie")).toMatch(/^ts_session=;.*Max-Age=0/);
    const ev = await rows("SELECT actor_uid FROM events WHERE type = 'thinker.erased' AND subject_id = ?", r.body.tombstone);
    expect(ev).toEqual([{ actor_uid: "self" }]);
    const after = await json(ME, { session: p.session });
    expect({ status: after.status, code: after.body.code }).toEqual({ status: 401, code: "session_revoked" });
    const again = await json(ME, { method: "DELETE", session: p.session, body: { confirm: p.uid } });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 401, code: "session_revoked" });
  });
});

const BOUNDARY = "----me-test-boundary";

/** `POST /api/contracts/upload` of a small text file as `who`. */
async function uploadText(who: Who, text: string) {
  const body = [
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="notiz.txt"\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`,
    `--${BOUNDARY}--\r\n`,
  ].join("");
  const res = await app.request(
    "http://localhost/api/contracts/upload",
    {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, authorization: `Bearer ${who.session}` },
      body,
    },
    testEnv,
  );
  await checkContract("POST", "/api/contracts/upload", res);
  const out = (await res.json()) as Record<string, any>;
  expect(res.status, JSON.stringify(out)).toBe(200);
  return out;
}

/**
 * What a person leaves behind: a voucher they issue that `other` books and cancels, one `other`
 * issues that they book, a telbank transfer, a manifest post, a document and a chat message.
 */
async function activity(who: Who, other: Who, label: string) {
  const mine = await issueVoucher(who, { title: `${label} voucher`, price: { amount: 4200, currency: "EUR" } });
  const b1 = await post("/api/voucher/book", other, {
    voucherId: mine.voucher.voucherId,
    slotId: slotAt(mine.validFrom, 1),
    holderUid: other.uid,
  });
  expect(b1.status, JSON.stringify(b1.body)).toBe(200);
  expect((await post("/api/voucher/cancel", other, { bookingId: b1.body.booking.bookingId, reason: "krank" })).status).toBe(200);
  const theirs = await issueVoucher(other, { title: `${label} other's voucher` });
  const b2 = await post("/api/voucher/book", who, {
    voucherId: theirs.voucher.voucherId,
    slotId: slotAt(theirs.validFrom, 2),
    holderUid: who.uid,
  });
  expect(b2.status, JSON.stringify(b2.body)).toBe(200);
  const t = await post("/api/telbank/transfers", who, {
    direction: "in",
    walletAddress: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    network: "Ethereum Mainnet",
    cryptoAmount: "1.5",
    cryptoSymbol: "ETH",
    fiatAmount: 250_000,
    fiatCurrency: "EUR",
    externalAccount: "DE89370400440532013000",
    meta: { note: `${label} transfer` },
  });
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  const m = await post("/api/manifest/submit", who, {
    source: "manifest-of-thinkers-offline",
    version: 1,
    posts: [{ id: `${label}-post`, title: `${label} post`, content: `${label} post body` }],
  });
  expect(m.status, JSON.stringify(m.body)).toBe(200);
  const doc = await uploadText(who, `${label} document text`);
  const room = roomName(label);
  const sock = await enter(wsPath(room), who.session);
  sock.ws.send(JSON.stringify({ type: "chat", id: `${label}-1`, text: `${label} says hello` }));
  await sock.next((f) => f.type === "ack" && f.ref === `${label}-1`);
  sock.ws.close(1000);
  return { mine, theirs, booked: b1.body.booking, bookedByWho: b2.body.booking, transfer: t.body.transfer, doc, room };
}

/** `GET /api/me/export` as `who`: status, headers and the parsed file. */
async function exportOf(who: Who) {
  const res = await app.request(
    "http://localhost/api/me/export",
    { headers: { authorization: `Bearer ${who.session}` } },
    testEnv,
  );
  await checkContract("GET", "/api/me/export", res);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Record<string, any> };
}

describe("GET /api/me/export", () => {
  it("holds everything stored about the caller and nothing of another person", async () => {
    const p = await login(newUid("exp"));
    const q = await login(newUid("oth"));
    const a = await activity(p, q, "pexp");
    // Q's own data, which must not appear in P's export.
    await activity(q, await login(), "qexp");
    const pair = `ex-${newUid("pc").slice(-8)}`;
    expect((await post("/api/presence/heartbeat", p, { thinker_id: p.thinkerId, pair_code: pair })).status).toBe(200);

    const r = await exportOf(p);
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.headers.get("content-disposition")).toBe(`attachment; filename="together-systems-${p.uid}.json"`);
    const e = r.body;
    expect(e).toMatchObject({
      ok: true,
      format: "together-systems-export/1",
      uid: p.uid,
      thinker_id: p.thinkerId,
      truncated: false,
    });
    expect(Object.keys(e.tables).sort()).toEqual(EXPORT_SECTIONS.map((s) => s.name).sort());
    for (const t of Object.values(e.tables) as Array<{ truncated: boolean }>) expect(t.truncated).toBe(false);

    const ids = (name: string, key = "id") => (e.tables[name].rows as Array<Record<string, unknown>>).map((x) => x[key]);
    expect(e.tables.thinker.rows).toEqual([expect.objectContaining({ id: p.thinkerId, meta: {} })]);
    expect(e.tables.presence.rows).toEqual([expect.objectContaining({ thinker_id: p.thinkerId, pair_code: pair })]);
    expect(ids("vouchersIssued")).toEqual([a.mine.voucher.voucherId]);
    expect(e.tables.vouchersIssued.rows[0]).toMatchObject({ issuer_uid: p.uid, price_amount: 4200, terms: expect.any(Object) });
    expect(ids("vouchersHeld")).toEqual([a.theirs.voucher.voucherId]);
    expect(ids("bookings").sort()).toEqual([a.booked.bookingId, a.bookedByWho.bookingId].sort());
    expect(e.tables.bookings.rows.find((b: any) => b.id === a.booked.bookingId)).toMatchObject({
      status: "cancelled",
      cancel_reason: "krank",
    });
    expect(ids("transfers")).toEqual([a.transfer.transferId ?? a.transfer.id]);
    expect(e.tables.transfers.rows[0]).toMatchObject({ crypto_amount: expect.any(String), meta: { note: "pexp transfer" } });
    expect(e.tables.manifestPosts.rows).toEqual([expect.objectContaining({ client_id: "pexp-post", author_uid: p.uid })]);
    expect(e.tables.documents.rows).toEqual([
      expect.objectContaining({ created_by: p.uid, name: "notiz.txt", status: "stored" }),
    ]);
    expect(ids("feeEvents").length).toBeGreaterThan(0);
    expect(ids("events").length).toBeGreaterThan(0);
    expect(e.tables.roomMemberships.rows).toEqual([expect.objectContaining({ room_id: a.room, uid: p.uid })]);
    expect(e.chat).toEqual({
      rooms: [
        {
          roomId: a.room,
          messages: [{ seq: expect.any(Number), at: expect.any(String), id: "pexp-1", text: "pexp says hello" }],
          truncated: false,
        },
      ],
      truncated: false,
    });

    // Nothing of Q's own: none of its texts, and every row P owns names P as the owner. Q appears
    // only where it shares a record with P (the booking of P's voucher, Q's voucher P booked).
    expect(r.text).not.toContain("qexp");
    const ownedBy = {
      vouchersIssued: "issuer_uid",
      vouchersHeld: "holder_uid",
      transfers: "actor_uid",
      manifestPosts: "author_uid",
      documents: "created_by",
    };
    for (const [name, col] of Object.entries(ownedBy)) {
      expect(
        e.tables[name].rows.map((x: any) => x[col]),
        name,
      ).toEqual([p.uid]);
    }
    for (const ev of e.tables.events.rows as Array<Record<string, unknown>>) {
      expect(
        [ev.actor_uid, ev.subject_id].some((v) => v === p.uid || v === p.thinkerId),
        JSON.stringify(ev),
      ).toBe(true);
    }
  });

  it("bounded: a section over its limit is cut and says so", async () => {
    const p = await login();
    const n = 1001;
    const stmts = [];
    for (let i = 0; i < n; i++) {
      stmts.push(
        testEnv.DB.prepare(
          `INSERT INTO telemetry_batches (caller_key, items, item_count, created_at) VALUES (?, '[{"type":"view"}]', 1, ?)`,
        ).bind(`uid:${p.uid}`, Date.now() + i),
      );
    }
    await testEnv.DB.batch(stmts);
    const r = await exportOf(p);
    expect(r.status).toBe(200);
    expect(r.body.tables.telemetry.rows).toHaveLength(1000);
    expect(r.body.tables.telemetry.truncated).toBe(true);
    expect(r.body.truncated).toBe(true);
    expect(r.body.limits).toEqual({ rowsPerTable: 1000, rooms: 100, messagesPerRoom: 200 });
    // Newest first.
    expect(r.body.tables.telemetry.rows[0].created_at).toBe(
      Math.max(...r.body.tables.telemetry.rows.map((x: any) => x.created_at)),
    );
  });

  it("money beyond 2^53 is exported with every digit", async () => {
    const p = await login();
    const now = Date.now();
    await testEnv.DB.prepare(
      "INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency, total_amount, item_count, status, created_at, updated_at) VALUES (?, 'platform', ?, 0, 1, 'EUR', 9007199254740993, 1, 'open', ?, ?)",
    )
      .bind(`st-${newUid()}`, p.uid, now, now)
      .run();
    const r = await exportOf(p);
    expect(r.status).toBe(200);
    expect(r.text).toContain('"total_amount":9007199254740993');
    expect(r.body.tables.settlements.rows).toHaveLength(1);
  });

  it("a JSON column holding no JSON is exported as its text, not a failed export", async () => {
    const p = await login();
    await testEnv.DB.prepare(
      "INSERT INTO telemetry_batches (caller_key, items, item_count, created_at) VALUES (?, ?, 1, ?), (?, ?, 1, ?)",
    )
      .bind(`uid:${p.uid}`, "not json [", Date.now(), `uid:${p.uid}`, '[{"type":"view","meta":{"k":[1,2]}}]', Date.now() + 1)
      .run();
    const r = await exportOf(p);
    expect(r.status).toBe(200);
    expect(r.body.tables.telemetry.rows.map((x: any) => x.items)).toEqual([
      [{ type: "view", meta: { k: [1, 2] } }],
      "not json [",
    ]);
  });

  it("needs a verified session (401), also in AUTH_MODE=compat", async () => {
    const p = await login();
    const compat = { ...testEnv, AUTH_MODE: "compat" } as Env;
    const res = await app.request("http://localhost/api/me/export", { headers: { "x-mot-user": p.uid } }, compat);
    expect(res.status).toBe(401);
  });
});

/** Per table, the rows that name `tombstone` in any column (a shape of what an erasure left). */
async function tombstoneShape(tombstone: string): Promise<Record<string, number>> {
  const tables = await rows<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
  );
  const out: Record<string, number> = {};
  for (const t of tables) {
    const cols = await rows<{ name: string }>(`SELECT name FROM pragma_table_info('${t.name}')`);
    const any = cols.map((c) => `instr(CAST("${c.name}" AS TEXT), ?1) > 0`).join(" OR ");
    const n = (await row<{ n: number }>(`SELECT count(*) AS n FROM "${t.name}" WHERE ${any}`, tombstone))?.n ?? 0;
    if (n > 0) out[t.name] = n;
  }
  return out;
}

describe("DELETE /api/me and the admin route erase alike", () => {
  it("same answer counts, same traces under the tombstone, no uid left; only the event's actor differs", async () => {
    const a = await login(newUid("adm"));
    const b = await login(newUid("slf"));
    const partnerA = await login();
    const partnerB = await login();
    await activity(a, partnerA, "erasea");
    await activity(b, partnerB, "eraseb");

    const byAdmin = await admin(`/api/admin/thinkers/${a.uid}`, { method: "DELETE" });
    const bySelf = await json(ME, { method: "DELETE", session: b.session, body: { confirm: b.uid } });
    expect([byAdmin.status, bySelf.status]).toEqual([200, 200]);
    // The one difference: the self-service request's own rate-limit counter, written before the
    // erasure ran, is one more of the person's rows it deletes.
    const { rate_limits: selfLimits, ...selfRows } = bySelf.body.rows;
    const { rate_limits: adminLimits, ...adminRows } = byAdmin.body.rows;
    expect(selfRows).toEqual(adminRows);
    expect(selfLimits).toBe(adminLimits + 1);
    expect(bySelf.body.rooms).toEqual(byAdmin.body.rooms);
    expect(bySelf.body.rooms.messagesDeleted).toBe(1);
    expect(Object.keys(bySelf.body).sort()).toEqual(Object.keys(byAdmin.body).sort());

    const shapeA = await tombstoneShape(byAdmin.body.tombstone);
    const shapeB = await tombstoneShape(bySelf.body.tombstone);
    expect(shapeB).toEqual(shapeA);
    expect(Object.keys(shapeA).length).toBeGreaterThan(3);
    for (const who of [a, b]) {
      expect(await tombstoneShape(who.uid)).toEqual({});
      expect(await tombstoneShape(who.thinkerId)).toEqual({});
    }
    const actors = await rows<{ actor_uid: string; subject_id: string }>(
      "SELECT actor_uid, subject_id FROM events WHERE type = 'thinker.erased' AND subject_id IN (?, ?) ORDER BY actor_uid",
      byAdmin.body.tombstone,
      bySelf.body.tombstone,
    );
    expect(actors).toEqual([
      { actor_uid: "admin", subject_id: byAdmin.body.tombstone },
      { actor_uid: "self", subject_id: bySelf.body.tombstone },
    ]);
    // Both sessions are dead.
    for (const who of [a, b]) {
      const r = await json(ME, { session: who.session });
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 401, code: "session_revoked" });
    }
  });
});
