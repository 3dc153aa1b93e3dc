/**
 * Self-service: who am I (`GET /api/me`), erasing oneself (`DELETE /api/me`) and the export of
 * everything stored about the caller (`GET /api/me/export`).
 */
import { describe, expect, it } from "vitest";
import { json, login, newUid, testEnv } from "../support/client";
import { row, rows } from "../support/voucher-kit";

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
