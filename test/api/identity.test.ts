/**
 * Identity: signed manifest links → thinker + session, sessions on writes, uid claims,
 * AUTH_MODE=compat. Every case checks the HTTP answer and what D1 holds afterwards.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { allRoutes, app } from "../../src/app";
import { sessionKeys } from "../../src/core/config";
import { fromBase64Url, hmac, sha256Hex, toBase64Url, toHex } from "../../src/core/crypto";
import { channelSecret } from "../../src/identity/link";
import { signSession } from "../../src/identity/session";
import {
  call,
  issueVoucher,
  json,
  login,
  newUid,
  signedLink,
  slotAt,
  testEnv,
  compatEnv as compat,
  checkContract,
} from "../support/client";
import { countOf, rows } from "../support/voucher-kit";

const VERIFY = "/api/presence/verify";
const ISSUE = "/api/voucher/issue";

const nonceCount = (uid: string) => countOf("SELECT count(*) n FROM used_link_nonces WHERE uid = ?", uid);
const verifiedEvents = (uid: string) =>
  countOf("SELECT count(*) n FROM events WHERE type = 'auth.verified' AND actor_uid = ?", uid);
const vouchersOf = (uid: string) => countOf("SELECT count(*) n FROM vouchers WHERE issuer_uid = ?", uid);
const expectedPublicId = async (uid: string) => toHex(await hmac(testEnv.IDENTITY_HASH_KEY, `uid:${uid}`));

function expectError(r: { status: number; body: Record<string, unknown> }, status: number, code: string) {
  expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
  expect(r.body.ok).toBe(false);
  expect(typeof r.body.error).toBe("string");
}

/** Replaces the payload of a session token while keeping kid and signature (a forgery). */
function forgePayload(token: string, payload: Record<string, unknown>): string {
  const [v, kid, , sig] = token.split(".");
  return `${v}.${kid}.${toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))}.${sig}`;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("POST /api/presence/verify: success", () => {
  it("returns thinker, session and cookie; stores a keyed hash, the nonce and the event", async () => {
    const uid = newUid();
    const link = await signedLink(uid);
    const r = await json(VERIFY, { body: link });
    expect(r.status).toBe(200);
    const publicId = await expectedPublicId(uid);
    expect(r.body).toEqual({
      ok: true,
      thinker_id: `thinker-${publicId.slice(0, 16)}`,
      pair_code: null,
      uid,
      session: expect.stringMatching(/^s1\.k2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/),
      expiresAt: expect.any(String),
    });
    const ttlMs = Number(testEnv.SESSION_TTL_SECONDS) * 1000;
    const expiresAt = Date.parse(r.body.expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now() + ttlMs - 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + ttlMs);

    const cookie = r.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(`ts_session=${r.body.session}`);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//);
    expect(cookie).not.toMatch(/Secure/i);

    const thinkers = await rows("SELECT * FROM thinkers WHERE public_id = ?", publicId);
    expect(thinkers).toHaveLength(1);
    expect(thinkers[0]?.id).toBe(r.body.thinker_id);
    expect(publicId).not.toBe(await sha256Hex(uid)); // keyed, not a plain digest
    // The raw uid appears in no column of any thinkers row.
    expect(JSON.stringify(thinkers)).not.toContain(uid);
    const leaking = await rows(
      "SELECT id FROM thinkers WHERE instr(id, ?1) > 0 OR instr(public_id, ?1) > 0 OR instr(meta, ?1) > 0",
      uid,
    );
    expect(leaking).toEqual([]);

    const nonces = await rows<{ sig_hash: string; uid: string; ts: number }>("SELECT * FROM used_link_nonces WHERE uid = ?", uid);
    expect(nonces).toEqual([expect.objectContaining({ sig_hash: await sha256Hex(link.sig), uid, ts: link.ts })]);
    const events = await rows<{ subject_type: string; subject_id: string }>(
      "SELECT * FROM events WHERE type = 'auth.verified' AND actor_uid = ?",
      uid,
    );
    expect(events).toEqual([expect.objectContaining({ subject_type: "thinker", subject_id: r.body.thinker_id })]);
  });

  it("sets a Secure cookie on a non-local host", async () => {
    const uid = newUid();
    const res = await app.request(
      `https://portal.example${VERIFY}`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(await signedLink(uid)) },
      testEnv,
    );
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie") ?? "";
    await checkContract("POST", VERIFY, res);
    expect(cookie).toMatch(/^ts_session=s1\./);
    expect(cookie).toMatch(/;\s*Secure/);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(await nonceCount(uid)).toBe(1);
  });

  it("accepts the legacy field names token and thinker_token, and ts as a digit string", async () => {
    for (const name of ["token", "thinker_token"] as const) {
      const uid = newUid();
      const { mot, ...link } = await signedLink(uid);
      const r = await json(VERIFY, { body: { ...link, [name]: mot } });
      expect(r.status, name).toBe(200);
      expect(r.body.uid).toBe(uid);
      expect(await nonceCount(uid)).toBe(1);
      expect(await verifiedEvents(uid)).toBe(1);
    }
    const uid = newUid();
    const link = await signedLink(uid);
    const r = await json(VERIFY, { body: { ...link, ts: String(link.ts) } });
    expect(r.status).toBe(200);
    expect(await nonceCount(uid)).toBe(1);
  });

  it("refuses a link without mot / token / thinker_token (400, nothing stored)", async () => {
    const uid = newUid();
    const { mot: _mot, ...link } = await signedLink(uid);
    const r = await json(VERIFY, { body: link });
    expectError(r, 400, "validation_failed");
    expect(await nonceCount(uid)).toBe(0);
  });

  it("a second link for the same uid reuses the thinker row", async () => {
    const uid = newUid();
    const a = await json(VERIFY, { body: await signedLink(uid, Date.now() - 1000) });
    const b = await json(VERIFY, { body: await signedLink(uid) });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.thinker_id).toBe(a.body.thinker_id);
    expect(await countOf("SELECT count(*) n FROM thinkers WHERE public_id = ?", await expectedPublicId(uid))).toBe(1);
    expect(await nonceCount(uid)).toBe(2);
    expect(await verifiedEvents(uid)).toBe(2);
  });

  it("accepts a link signed with MOT_SHARED_SECRET_PREVIOUS (rotation)", async () => {
    const uid = newUid();
    const r = await json(VERIFY, { body: await signedLink(uid, Date.now(), testEnv.MOT_SHARED_SECRET_PREVIOUS) });
    expect(r.status).toBe(200);
    expect(await nonceCount(uid)).toBe(1);
    // A link signed with some other secret is not.
    const other = newUid();
    const bad = await json(VERIFY, { body: await signedLink(other, Date.now(), "some-other-secret-0123456789") });
    expectError(bad, 401, "invalid_signature");
    expect(await nonceCount(other)).toBe(0);
  });
});

describe("POST /api/presence/verify: distribution channels", () => {
  const channelLink = async (uid: string, mot: string, master = testEnv.MOT_SHARED_SECRET) =>
    signedLink(uid, Date.now(), await channelSecret(master, mot), mot);

  it("a link signed with its channel's secret verifies and starts a session", async () => {
    const uid = newUid();
    const r = await json(VERIFY, { body: await channelLink(uid, "club-berlin") });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.uid).toBe(uid);
    expect(await nonceCount(uid)).toBe(1);
    expect(await verifiedEvents(uid)).toBe(1);
    const issued = await json(ISSUE, { session: r.body.session, body: { issuerUid: uid, title: "channel" } });
    expect(issued.status).toBe(200);
  });

  it("a channel secret of another mot fails (401 invalid_signature, nothing stored)", async () => {
    const uid = newUid();
    const { sig, ts } = await channelLink(uid, "club-berlin");
    const r = await json(VERIFY, { body: { mot: "club-hamburg", uid, ts, sig } });
    expectError(r, 401, "invalid_signature");
    expect(await nonceCount(uid)).toBe(0);
    expect(await verifiedEvents(uid)).toBe(0);
  });

  it("rotation: a channel link of MOT_SHARED_SECRET_PREVIOUS verifies while it is set, not after", async () => {
    const uid = newUid();
    const r = await json(VERIFY, { body: await channelLink(uid, "club-berlin", testEnv.MOT_SHARED_SECRET_PREVIOUS) });
    expect(r.status).toBe(200);
    const later = newUid();
    const rotated = { ...testEnv, MOT_SHARED_SECRET_PREVIOUS: "" } as Env;
    const refused = await json(
      VERIFY,
      { body: await channelLink(later, "club-berlin", testEnv.MOT_SHARED_SECRET_PREVIOUS) },
      rotated,
    );
    expectError(refused, 401, "invalid_signature");
    expect(await nonceCount(later)).toBe(0);
  });

  it("MOT_REVOKED refuses a revoked channel with 401 link_revoked (nothing stored); other channels pass", async () => {
    const revoked = { ...testEnv, MOT_REVOKED: " club-old , club-berlin " } as Env;
    const uid = newUid();
    const r = await json(VERIFY, { body: await channelLink(uid, "club-berlin") }, revoked);
    expectError(r, 401, "link_revoked");
    // Also when signed with the master secret: the channel token itself is revoked.
    const master = await json(
      VERIFY,
      { body: await signedLink(uid, Date.now(), testEnv.MOT_SHARED_SECRET, "club-berlin") },
      revoked,
    );
    expectError(master, 401, "link_revoked");
    expect(await nonceCount(uid)).toBe(0);
    expect(await verifiedEvents(uid)).toBe(0);
    const other = newUid();
    const ok = await json(VERIFY, { body: await channelLink(other, "club-hamburg") }, revoked);
    expect(ok.status).toBe(200);
    // Without the setting the same channel works again.
    const back = newUid();
    expect((await json(VERIFY, { body: await channelLink(back, "club-berlin") })).status).toBe(200);
  });
});

describe("POST /api/presence/verify: the original portal's body {token, sig, ts}", () => {
  const originalSig = async (token: string, ts: number) => toHex(await hmac(token, `${token}.${ts}`));

  it("strict mode refuses it with 400 uid_required, nothing stored", async () => {
    const before = await countOf("SELECT count(*) n FROM used_link_nonces");
    const r = await json(VERIFY, { body: { token: "mot-shared-token-v1", sig: null, ts: String(Date.now()) } });
    expectError(r, 400, "uid_required");
    expect(r.body.error).toMatch(/uid/);
    expect(await countOf("SELECT count(*) n FROM used_link_nonces")).toBe(before);
  });

  it("compat answers {ok, thinker_id, pair_code} without a session; different links get different ids", async () => {
    const ts = Date.now();
    const a = await json(VERIFY, { body: { token: "mot-shared-token-v1", sig: null, ts: String(ts) } }, compat);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body).toEqual({ ok: true, thinker_id: expect.stringMatching(/^thinker-[0-9a-f]{12}$/), pair_code: null });
    expect(a.headers.get("set-cookie") ?? "").not.toContain("ts_session");
    // The same link again: the same id (the original page re-verifies on reload).
    const again = await json(VERIFY, { body: { token: "mot-shared-token-v1", ts } }, compat);
    expect(again.body.thinker_id).toBe(a.body.thinker_id);
    // Another person's link (other ts) and another token: other ids.
    const b = await json(VERIFY, { body: { token: "mot-shared-token-v1", sig: null, ts: ts - 1 } }, compat);
    const c = await json(VERIFY, { body: { token: "other-token", sig: null, ts } }, compat);
    expect(new Set([a.body.thinker_id, b.body.thinker_id, c.body.thinker_id]).size).toBe(3);
    // Keyed: not the original's unkeyed derivation.
    expect(a.body.thinker_id).not.toBe("thinker-69db9f8ec69d");
  });

  it("compat checks a sent signature as the original did (key = token), freshness included", async () => {
    const token = "mot-shared-token-v1";
    const ts = Date.now();
    const ok = await json(VERIFY, { body: { token, sig: await originalSig(token, ts), ts } }, compat);
    expect(ok.status).toBe(200);
    const wrong = await json(VERIFY, { body: { token, sig: await originalSig("other", ts), ts } }, compat);
    expectError(wrong, 401, "invalid_signature");
    const old = ts - 301_000;
    expectError(
      await json(VERIFY, { body: { token, sig: await originalSig(token, old), ts: old } }, compat),
      401,
      "link_expired",
    );
  });

  it("compat: the pair code the original page stored under its thinker_id comes back", async () => {
    const ts = Date.now();
    const verified = await json(VERIFY, { body: { token: "mot-shared-token-v1", sig: null, ts } }, compat);
    const thinkerId = verified.body.thinker_id as string;
    const beat = await json("/api/presence/heartbeat", { body: { thinker_id: thinkerId, pair_code: "alpha-7" } }, compat);
    expect(beat.status, JSON.stringify(beat.body)).toBe(200);
    const again = await json(VERIFY, { body: { token: "mot-shared-token-v1", sig: null, ts } }, compat);
    expect(again.body).toEqual({ ok: true, thinker_id: thinkerId, pair_code: "alpha-7" });
  });

  it("compat still verifies a full link (with uid) as in strict mode, and a uid without sig is 400", async () => {
    const uid = newUid();
    const r = await json(VERIFY, { body: await signedLink(uid) }, compat);
    expect(r.status).toBe(200);
    expect(r.body.session).toEqual(expect.any(String));
    const { sig: _sig, ...noSig } = await signedLink(newUid());
    expectError(await json(VERIFY, { body: noSig }, compat), 400, "validation_failed");
  });
});

describe("POST /api/presence/verify: freshness window", () => {
  const T = Date.UTC(2031, 0, 1, 12, 0, 0);

  it.each([
    ["299 s old", -299_000, 200, null],
    ["exactly 300 s old", -300_000, 200, null],
    ["300.001 s old", -300_001, 401, "link_expired"],
    ["301 s old", -301_000, 401, "link_expired"],
    ["29 s ahead", 29_000, 200, null],
    ["exactly 30 s ahead", 30_000, 200, null],
    ["30.001 s ahead", 30_001, 401, "link_from_future"],
    ["31 s ahead", 31_000, 401, "link_from_future"],
  ] as const)("a link %s → %i", async (_label, offset, status, code) => {
    vi.setSystemTime(T);
    const uid = newUid();
    const r = await json(VERIFY, { body: await signedLink(uid, T + offset) });
    expect(r.status).toBe(status);
    if (code) {
      expectError(r, status, code);
      expect(await nonceCount(uid)).toBe(0);
      expect(await verifiedEvents(uid)).toBe(0);
    } else {
      expect(r.body.ok).toBe(true);
      expect(await nonceCount(uid)).toBe(1);
    }
  });

  it("a malformed signature is refused before the clock is looked at", async () => {
    const uid = newUid();
    const link = await signedLink(uid, Date.now() - 3_600_000);
    expectError(await json(VERIFY, { body: { ...link, sig: "abc" } }), 401, "invalid_signature");
  });
});

describe("POST /api/presence/verify: signature", () => {
  it("refuses tampered uid / ts / mot / sig with 401 invalid_signature and burns nothing", async () => {
    const uid = newUid();
    const link = await signedLink(uid);
    const flip = (c: string) => (c === "0" ? "1" : "0");
    const tampered = {
      uid: { ...link, uid: newUid() },
      ts: { ...link, ts: link.ts - 1 },
      mot: { ...link, mot: `${link.mot}x` },
      sigFirst: { ...link, sig: flip(link.sig[0] ?? "") + link.sig.slice(1) },
      sigLast: { ...link, sig: link.sig.slice(0, -1) + flip(link.sig.at(-1) ?? "") },
    };
    for (const [name, body] of Object.entries(tampered)) {
      const r = await json(VERIFY, { body });
      expect(r.status, name).toBe(401);
      expectError(r, 401, "invalid_signature");
    }
    expect(await countOf("SELECT count(*) n FROM used_link_nonces WHERE uid = ? OR uid = ?", uid, tampered.uid.uid)).toBe(0);
    expect(await verifiedEvents(uid)).toBe(0);
    // The genuine link is still usable.
    expect((await json(VERIFY, { body: link })).status).toBe(200);
  });

  it("a link for uid `x.<victim>` cannot be re-split into mot `m.x` + uid `<victim>` (400, no session, nothing stored)", async () => {
    const victim = newUid("victim");
    const ts = Date.now();
    // A genuine signature the attacker could obtain: the link for uid "x.<victim>" with mot "m".
    const sig = toHex(await hmac(testEnv.MOT_SHARED_SECRET, `m.x.${victim}.${ts}`));
    for (const body of [
      { mot: "m.x", uid: victim, ts, sig },
      { mot: "m", uid: `x.${victim}`, ts, sig },
      { token: "m.x", uid: victim, ts, sig },
    ]) {
      const r = await json(VERIFY, { body });
      expectError(r, 400, "validation_failed");
      expect(r.body.session).toBeUndefined();
    }
    expect(await countOf("SELECT count(*) n FROM used_link_nonces WHERE uid = ?", victim)).toBe(0);
    expect(await verifiedEvents(victim)).toBe(0);
  });

  it.each([
    ["63 hex digits", (s: string) => s.slice(0, 63)],
    ["62 hex digits", (s: string) => s.slice(0, 62)],
    ["66 hex digits", (s: string) => `${s}00`],
    ["128 hex digits", (s: string) => s + s],
    ["empty", () => ""],
    ["non-hex (g)", (s: string) => `g${s.slice(1)}`],
    ["non-hex (spaces)", (s: string) => ` ${s.slice(1)}`],
    [
      "base64 of the right bytes",
      (s: string) => btoa(String.fromCharCode(...(s.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)))),
    ],
  ])("a signature that is %s → 401 invalid_signature", async (_label, mangle) => {
    const uid = newUid();
    const link = await signedLink(uid);
    const r = await json(VERIFY, { body: { ...link, sig: mangle(link.sig) } });
    expectError(r, 401, "invalid_signature");
    expect(await nonceCount(uid)).toBe(0);
  });

  it("a link works once: replay → 409 link_replayed (also with the signature in upper case)", async () => {
    const uid = newUid();
    const link = await signedLink(uid);
    expect((await json(VERIFY, { body: link })).status).toBe(200);
    expectError(await json(VERIFY, { body: link }), 409, "link_replayed");
    expectError(await json(VERIFY, { body: { ...link, sig: link.sig.toUpperCase() } }), 409, "link_replayed");
    const { mot, ...rest } = link;
    expectError(await json(VERIFY, { body: { ...rest, token: mot } }), 409, "link_replayed");
    expect(await nonceCount(uid)).toBe(1);
    expect(await verifiedEvents(uid)).toBe(1);
    expect(await countOf("SELECT count(*) n FROM thinkers WHERE public_id = ?", await expectedPublicId(uid))).toBe(1);
  });

  it("concurrent use of one link: exactly one success", async () => {
    const uid = newUid();
    const link = await signedLink(uid);
    const results = await Promise.all(Array.from({ length: 8 }, () => json(VERIFY, { body: link })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect(await nonceCount(uid)).toBe(1);
    expect(await verifiedEvents(uid)).toBe(1);
  });
});

describe("POST /api/presence/verify: missing secrets", () => {
  it.each(["MOT_SHARED_SECRET", "IDENTITY_HASH_KEY", "SESSION_KEYS"] as const)(
    "%s unset → 503 not_configured, and the link is not burned",
    async (name) => {
      const uid = newUid();
      const link = await signedLink(uid);
      const r = await json(VERIFY, { body: link }, { ...testEnv, [name]: "" } as Env);
      expectError(r, 503, "not_configured");
      expect(r.body.error).toContain(name);
      expect(await nonceCount(uid)).toBe(0);
      expect(await countOf("SELECT count(*) n FROM thinkers WHERE public_id = ?", await expectedPublicId(uid))).toBe(0);
      expect((await json(VERIFY, { body: link })).status).toBe(200);
    },
  );
});

describe("sessions on a write route (POST /api/voucher/issue)", () => {
  const issueBody = (uid: string) => ({ issuerUid: uid, title: "session test" });

  it("accepts the session as Bearer and as cookie", async () => {
    const me = await login();
    const bearer = await json(ISSUE, { session: me.session, body: issueBody(me.uid) });
    expect(bearer.status).toBe(200);
    const cookie = await json(ISSUE, {
      headers: { cookie: `other=1; ts_session=${me.session}; x=y`, origin: "http://localhost" },
      body: issueBody(me.uid),
    });
    expect(cookie.status).toBe(200);
    const stored = await rows<{ id: string; issuer_uid: string }>(
      "SELECT id, issuer_uid FROM vouchers WHERE issuer_uid = ?",
      me.uid,
    );
    expect(stored.map((v) => v.id).sort()).toEqual([bearer.body.voucher.voucherId, cookie.body.voucher.voucherId].sort());
    expect(await countOf("SELECT count(*) n FROM events WHERE type = 'voucher.issue' AND actor_uid = ?", me.uid)).toBe(2);
  });

  it("the session from the verify cookie works as a cookie", async () => {
    const uid = newUid();
    const v = await json(VERIFY, { body: await signedLink(uid) });
    const setCookie = v.headers.get("set-cookie") ?? "";
    const pair = setCookie.split(";")[0] ?? "";
    const r = await json(ISSUE, { headers: { cookie: pair, origin: "http://localhost" }, body: issueBody(uid) });
    expect(r.status).toBe(200);
    expect(await vouchersOf(uid)).toBe(1);
  });

  it("refuses forged, garbled and expired tokens with 401 invalid_session", async () => {
    const me = await login();
    const victim = newUid();
    const keys = sessionKeys(testEnv);
    const payload = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob((me.session.split(".")[2] ?? "").replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
      ),
    ) as { uid: string; tid: string; gen: number; iat: number; exp: number };
    expect(payload.uid).toBe(me.uid);
    const expired = await signSession(
      { uid: me.uid, thinkerId: payload.tid, gen: payload.gen },
      keys,
      Date.now() - 7_200_000,
      3600,
    );
    const bad: Record<string, string> = {
      "forged uid": forgePayload(me.session, { ...payload, uid: victim }),
      "forged exp": forgePayload(me.session, { ...payload, exp: payload.exp + 3600 }),
      "flipped signature": me.session.slice(0, -2) + (me.session.endsWith("AA") ? "BB" : "AA"),
      "truncated signature": me.session.slice(0, -5),
      "no signature": me.session.split(".").slice(0, 3).join("."),
      "wrong version": me.session.replace(/^s1\./, "s2."),
      garbage: "not-a-token",
      "dots only": "...",
      "base64 junk": "s1.k2.%%%.###",
      "very long": `s1.k2.${"A".repeat(5000)}.${"A".repeat(43)}`,
      expired: expired.token,
    };
    for (const [label, token] of Object.entries(bad)) {
      for (const via of ["bearer", "cookie"] as const) {
        const init =
          via === "bearer"
            ? { session: token, body: issueBody(label.startsWith("forged uid") ? victim : me.uid) }
            : { headers: { cookie: `ts_session=${token}` }, body: issueBody(me.uid) };
        const r = await json(ISSUE, init);
        expect({ label, via, status: r.status, code: r.body.code }).toEqual({
          label,
          via,
          status: 401,
          code: "invalid_session",
        });
      }
    }
    expect(await vouchersOf(me.uid)).toBe(0);
    expect(await vouchersOf(victim)).toBe(0);
  });

  it("accepts a token signed by the previous key k1, refuses an unknown kid", async () => {
    const keys = sessionKeys(testEnv);
    const k1 = keys.find((k) => k.kid === "k1");
    const k2 = keys.find((k) => k.kid === "k2");
    expect(k1 && k2).toBeTruthy();
    if (!k1 || !k2) return;

    // A real thinker row (the token must name a live session), signed again by the previous key.
    const { uid: old, session } = await login();
    const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(session.split(".")[2] ?? "") ?? new Uint8Array())) as {
      tid: string;
      gen: number;
    };
    const oldToken = await signSession({ uid: old, thinkerId: claims.tid, gen: claims.gen }, [k1], Date.now(), 3600);
    expect(oldToken.token.startsWith("s1.k1.")).toBe(true);
    const r = await json(ISSUE, { session: oldToken.token, body: issueBody(old) });
    expect(r.status).toBe(200);
    expect(await vouchersOf(old)).toBe(1);

    const stranger = newUid();
    const subject = { uid: stranger, thinkerId: claims.tid, gen: claims.gen };
    const unknownKid = await signSession(subject, [{ kid: "k9", secret: k2.secret }], Date.now(), 3600);
    expectError(await json(ISSUE, { session: unknownKid.token, body: issueBody(stranger) }), 401, "invalid_session");
    // A kid relabelled to another known key does not verify either.
    const relabelled = await signSession(subject, [{ kid: "k1", secret: k2.secret }], Date.now(), 3600);
    expectError(await json(ISSUE, { session: relabelled.token, body: issueBody(stranger) }), 401, "invalid_session");
    expect(await vouchersOf(stranger)).toBe(0);
  });

  it("every route that requires a session answers 401 unauthenticated without one", async () => {
    const required = allRoutes.filter((r) => r.auth === "required");
    expect(required.length).toBeGreaterThan(0);
    const before = await countOf("SELECT count(*) n FROM vouchers");
    for (const route of required) {
      const r = await json(route.path, {
        method: route.method,
        ...(route.method === "POST" ? { body: { issuerUid: newUid() } } : {}),
      });
      expect({ route: route.id, status: r.status, code: r.body.code }).toEqual({
        route: route.id,
        status: 401,
        code: "unauthenticated",
      });
    }
    expect(await countOf("SELECT count(*) n FROM vouchers")).toBe(before);
  });
});

describe("uid claims must match the session", () => {
  it("issuerUid in the body → 403 uid_mismatch, nothing written", async () => {
    const me = await login();
    const other = newUid();
    const r = await json(ISSUE, { session: me.session, body: { issuerUid: other, title: "not mine" } });
    expectError(r, 403, "uid_mismatch");
    expect(await vouchersOf(other)).toBe(0);
    expect(await vouchersOf(me.uid)).toBe(0);
  });

  it("holderUid in the book body → 403 uid_mismatch, nothing written", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const r = await json("/api/voucher/book", {
      session: holder.session,
      body: { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 1), holderUid: issuer.uid },
    });
    expectError(r, 403, "uid_mismatch");
    expect(await countOf("SELECT count(*) n FROM voucher_bookings WHERE voucher_id = ?", voucher.voucherId)).toBe(0);
    expect((await rows("SELECT status, holder_uid FROM vouchers WHERE id = ?", voucher.voucherId))[0]).toEqual({
      status: "issued",
      holder_uid: null,
    });
  });

  it("issuerUid / holderUid in the query → 403 uid_mismatch; own uid → 200", async () => {
    const me = await login();
    const other = newUid();
    for (const q of [`issuerUid=${other}`, `holderUid=${other}`, `issuerUid=${me.uid}&holderUid=${other}`]) {
      expectError(await json(`/api/voucher/list?${q}`, { session: me.session }), 403, "uid_mismatch");
      expectError(await json(`/api/voucher/bookings?${q}`, { session: me.session }), 403, "uid_mismatch");
    }
    expect((await json(`/api/voucher/list?issuerUid=${me.uid}`, { session: me.session })).status).toBe(200);
    expect((await json(`/api/voucher/bookings?holderUid=${me.uid}`, { session: me.session })).status).toBe(200);
  });

  it("an X-MOT-User header naming another uid → 403 uid_mismatch; own uid → 200", async () => {
    const me = await login();
    const other = newUid();
    const mismatch = await json(ISSUE, {
      session: me.session,
      headers: { "x-mot-user": other },
      body: { issuerUid: me.uid, title: "header claim" },
    });
    expectError(mismatch, 403, "uid_mismatch");
    expect(await vouchersOf(me.uid)).toBe(0);
    expectError(await json("/api/voucher/list", { session: me.session, headers: { "x-mot-user": other } }), 403, "uid_mismatch");
    const same = await json(ISSUE, {
      session: me.session,
      headers: { "x-mot-user": me.uid },
      body: { issuerUid: me.uid, title: "header claim" },
    });
    expect(same.status).toBe(200);
    expect(await vouchersOf(me.uid)).toBe(1);
  });
});

describe("AUTH_MODE=compat", () => {
  it("an unsigned client may assert its issuerUid", async () => {
    const uid = newUid();
    const r = await json(ISSUE, { body: { issuerUid: uid, title: "legacy" } }, compat);
    expect(r.status).toBe(200);
    expect(r.body.voucher.issuerUid).toBe(uid);
    const stored = await rows("SELECT issuer_uid, status FROM vouchers WHERE id = ?", r.body.voucher.voucherId);
    expect(stored).toEqual([{ issuer_uid: uid, status: "issued" }]);
    expect(
      await countOf(
        "SELECT count(*) n FROM events WHERE type = 'voucher.issue' AND actor_uid = ? AND subject_id = ?",
        uid,
        r.body.voucher.voucherId,
      ),
    ).toBe(1);
    // The same request is refused in strict mode.
    expectError(await json(ISSUE, { body: { issuerUid: uid, title: "legacy" } }), 401, "unauthenticated");
    expect(await vouchersOf(uid)).toBe(1);
  });

  it("a session plus a different claimed uid is still 403", async () => {
    const me = await login();
    const other = newUid();
    const r = await json(ISSUE, { session: me.session, body: { issuerUid: other, title: "x" } }, compat);
    expectError(r, 403, "uid_mismatch");
    expect(await vouchersOf(other)).toBe(0);
    expect(await vouchersOf(me.uid)).toBe(0);
  });

  it("an invalid token is still 401, and a write naming no uid still needs a session", async () => {
    const uid = newUid();
    expectError(await json(ISSUE, { session: "garbage", body: { issuerUid: uid } }, compat), 401, "invalid_session");
    expectError(await json("/api/voucher/redeem", { body: { voucherId: "v-none" } }, compat), 401, "unauthenticated");
    expect(await vouchersOf(uid)).toBe(0);
  });

  it("a legacy client can book as the holderUid it names", async () => {
    const issuer = newUid();
    const holder = newUid();
    const issued = await json(
      ISSUE,
      { body: { issuerUid: issuer, validFrom: new Date(Date.now() + 7_200_000).toISOString() } },
      compat,
    );
    expect(issued.status).toBe(200);
    const v = issued.body.voucher;
    const slotId = `slot-${new Date(Date.parse(v.validFrom) + 3_600_000).toISOString()}`;
    const booked = await json("/api/voucher/book", { body: { voucherId: v.voucherId, slotId, holderUid: holder } }, compat);
    expect(booked.status).toBe(200);
    expect(await rows("SELECT holder_uid, status FROM voucher_bookings WHERE voucher_id = ?", v.voucherId)).toEqual([
      { holder_uid: holder, status: "booked" },
    ]);
  });
});

describe("AUTH_MODE=compat never reaches rooms on an asserted uid", () => {
  it("no ticket and no room view for X-MOT-User alone, even for the voucher's own issuer", async () => {
    const issuer = await login();
    const { voucher } = await issueVoucher(issuer);
    const roomId = encodeURIComponent(`voucher:${voucher.voucherId}`);
    const asserted = { headers: { "x-mot-user": issuer.uid } };
    const ticket = await json(`/api/rooms/${roomId}/ticket`, { ...asserted, method: "POST", body: {} }, compat);
    expectError(ticket, 401, "unauthenticated");
    expectError(await json(`/api/rooms/${roomId}`, asserted, compat), 401, "unauthenticated");
    expect(await countOf("SELECT count(*) n FROM room_tickets WHERE uid = ?", issuer.uid)).toBe(0);
    // The verified session still gets one in compat mode.
    const ok = await json(`/api/rooms/${roomId}/ticket`, { session: issuer.session, method: "POST", body: {} }, compat);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await countOf("SELECT count(*) n FROM room_tickets WHERE uid = ?", issuer.uid)).toBe(1);
  });
});

describe("cookie parsing edge cases", () => {
  it("an empty ts_session cookie on a write is 401 unauthenticated, not 500", async () => {
    const uid = newUid();
    expectError(await json(ISSUE, { headers: { cookie: "ts_session=" }, body: { issuerUid: uid } }), 401, "unauthenticated");
    expectError(await json(ISSUE, { headers: { authorization: "Bearer " }, body: { issuerUid: uid } }), 401, "unauthenticated");
    const res = await call(ISSUE, { headers: { authorization: "Basic dXNlcjpwYXNz" }, body: { issuerUid: uid } });
    expect(res.status).toBe(401);
    expect(await vouchersOf(uid)).toBe(0);
  });
});
