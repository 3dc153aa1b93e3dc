/**
 * Device keys: registration of a WebCrypto P-256 public key, the stateless challenge, the device
 * login by ECDSA signature (single use, 120 s), removal, logout everywhere and erasure. Every key
 * pair is generated here with WebCrypto exactly as the portal does; every case checks the answer
 * and what D1 holds afterwards.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { toBase64Url } from "../../src/core/crypto";
import { CHALLENGE_TTL_MS, MAX_DEVICE_KEYS } from "../../src/identity/device";
import { json, login, newUid, testEnv } from "../support/client";
import { countOf, rows } from "../support/voucher-kit";

const REGISTER = "/api/presence/device-key";
const CHALLENGE = "/api/presence/device-challenge";
const LOGIN = "/api/presence/device-login";

type Who = { uid: string; session: string; thinkerId: string };

afterEach(() => {
  vi.useRealTimers();
});

function expectError(r: { status: number; body: Record<string, unknown> }, status: number, code: string) {
  expect({ status: r.status, code: r.body.code }, JSON.stringify(r.body)).toEqual({ status, code });
  expect(r.body.ok).toBe(false);
  expect(typeof r.body.error).toBe("string");
}

/** A device key pair as the portal makes it: the private key is not extractable. */
async function keyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
}

async function publicJwk(pair: CryptoKeyPair): Promise<JsonWebKey> {
  return (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
}

async function sign(pair: CryptoKeyPair, text: string): Promise<string> {
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, new TextEncoder().encode(text));
  return toBase64Url(new Uint8Array(sig));
}

/** Registers a new key pair for `who`. */
async function register(who: Who, label: string | null = "Handy") {
  const pair = await keyPair();
  const r = await json(REGISTER, { session: who.session, body: { publicKey: await publicJwk(pair), label } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { pair, keyId: r.body.keyId as string };
}

async function challengeFor(keyId: string): Promise<string> {
  const r = await json(CHALLENGE, { body: { keyId } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.challenge as string;
}

/** Asks for a challenge, signs it with `pair` and logs in. */
async function deviceLogin(keyId: string, pair: CryptoKeyPair) {
  const challenge = await challengeFor(keyId);
  return json(LOGIN, { body: { keyId, challenge, signature: await sign(pair, challenge) } });
}

const liveKeys = (uid: string) => countOf("SELECT count(*) n FROM device_keys WHERE uid = ? AND revoked_at IS NULL", uid);
const eventsOf = (type: string, uid: string) =>
  countOf("SELECT count(*) n FROM events WHERE type = ? AND actor_uid = ?", type, uid);
const usedChallenges = (keyId: string) => countOf("SELECT count(*) n FROM used_device_challenges WHERE key_id = ?", keyId);

describe("POST /api/presence/device-key", () => {
  it("stores the public key (only x, y), the owner and the event", async () => {
    const me = await login();
    const { keyId } = await register(me, "Laptop");
    expect(keyId).toMatch(/^dk-[0-9a-z]{9}-[0-9a-z]{16}$/);
    const stored = await rows<Record<string, unknown>>("SELECT * FROM device_keys WHERE id = ?", keyId);
    expect(stored).toEqual([
      expect.objectContaining({ uid: me.uid, thinker_id: me.thinkerId, label: "Laptop", last_used_at: null, revoked_at: null }),
    ]);
    const jwk = JSON.parse(String(stored[0]?.public_key)) as Record<string, unknown>;
    expect(Object.keys(jwk).sort()).toEqual(["crv", "kty", "x", "y"]);
    expect(await eventsOf("auth.device_key.registered", me.uid)).toBe(1);
  });

  it("needs a verified session (an asserted uid is not enough, even in compat mode)", async () => {
    const pair = await keyPair();
    const body = { publicKey: await publicJwk(pair) };
    expectError(await json(REGISTER, { body }), 401, "unauthenticated");
    const uid = newUid();
    const compat = { ...testEnv, AUTH_MODE: "compat" } as Env;
    expectError(await json(REGISTER, { body, headers: { "x-mot-user": uid } }, compat), 401, "unauthenticated");
    expect(await countOf("SELECT count(*) n FROM device_keys WHERE uid = ?", uid)).toBe(0);
  });

  it("refuses the 11th live key (409); after removing one, a new one fits", async () => {
    const me = await login();
    const keys: string[] = [];
    for (let i = 0; i < MAX_DEVICE_KEYS; i++) keys.push((await register(me, `Gerät ${i}`)).keyId);
    expect(await liveKeys(me.uid)).toBe(MAX_DEVICE_KEYS);
    const eleventh = await json(REGISTER, { session: me.session, body: { publicKey: await publicJwk(await keyPair()) } });
    expectError(eleventh, 409, "too_many_device_keys");
    expect(await countOf("SELECT count(*) n FROM device_keys WHERE uid = ?", me.uid)).toBe(MAX_DEVICE_KEYS);
    expect(await eventsOf("auth.device_key.registered", me.uid)).toBe(MAX_DEVICE_KEYS);
    const removed = await json(`${REGISTER}/${keys[0]}`, { method: "DELETE", session: me.session });
    expect(removed.status).toBe(200);
    await register(me);
    expect(await liveKeys(me.uid)).toBe(MAX_DEVICE_KEYS);
  });

  it("refuses hostile keys: a private key, a point off the curve, wrong sizes and types, control characters in the label", async () => {
    const me = await login();
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const pub = await publicJwk(pair);
    const priv = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
    const offCurve = { ...pub, y: toBase64Url(new Uint8Array(32).fill(7)) };
    const cases: Array<[string, unknown, string]> = [
      ["private key (d)", { publicKey: priv }, "validation_failed"],
      ["off the curve", { publicKey: offCurve }, "invalid_public_key"],
      ["short x", { publicKey: { ...pub, x: (pub.x ?? "").slice(1) } }, "validation_failed"],
      ["P-384", { publicKey: { ...pub, crv: "P-384" } }, "validation_failed"],
      ["RSA", { publicKey: { kty: "RSA", n: "x", e: "AQAB" } }, "validation_failed"],
      ["x not base64url", { publicKey: { ...pub, x: `${(pub.x ?? "").slice(0, 42)}+` } }, "validation_failed"],
      ["label with a control character", { publicKey: pub, label: "a\u0007b" }, "validation_failed"],
      ["label with a bidi override", { publicKey: pub, label: "\u202Eevil" }, "validation_failed"],
      ["label too long", { publicKey: pub, label: "x".repeat(65) }, "validation_failed"],
      ["extra field", { publicKey: pub, owner: "someone-else" }, "validation_failed"],
      ["no key", {}, "validation_failed"],
    ];
    for (const [label, body, code] of cases) {
      const r = await json(REGISTER, { session: me.session, body });
      expect({ label, status: r.status, code: r.body.code }).toEqual({ label, status: 400, code });
    }
    expect(await countOf("SELECT count(*) n FROM device_keys WHERE uid = ?", me.uid)).toBe(0);
  });
});

describe("POST /api/presence/device-challenge", () => {
  it("answers a fresh challenge each time, valid 120 s, for any well-formed key id (no lookup)", async () => {
    const keyId = "dk-000000000-0000000000000000";
    const a = await json(CHALLENGE, { body: { keyId } });
    const b = await json(CHALLENGE, { body: { keyId } });
    expect(a.status).toBe(200);
    expect(a.body.challenge).not.toBe(b.body.challenge);
    expect(a.body.challenge).toContain(`.${keyId}.`);
    const ttl = Date.parse(a.body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(CHALLENGE_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(CHALLENGE_TTL_MS);
    expectError(await json(CHALLENGE, { body: { keyId: "../../etc/passwd" } }), 400, "validation_failed");
    expectError(await json(CHALLENGE, { body: {} }), 400, "validation_failed");
  });
});

describe("POST /api/presence/device-login", () => {
  it("a signed challenge gives a new session for the same person, as verify answers", async () => {
    const me = await login();
    const { pair, keyId } = await register(me);
    const r = await deviceLogin(keyId, pair);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      ok: true,
      thinker_id: me.thinkerId,
      pair_code: null,
      uid: me.uid,
      session: expect.stringMatching(/^s1\./),
      expiresAt: expect.any(String),
    });
    expect(r.headers.get("set-cookie") ?? "").toContain(`ts_session=${r.body.session}`);
    // The new session works on a write.
    const issued = await json("/api/voucher/issue", { session: r.body.session, body: { issuerUid: me.uid, title: "device" } });
    expect(issued.status).toBe(200);
    expect(await usedChallenges(keyId)).toBe(1);
    expect(await eventsOf("auth.device_login", me.uid)).toBe(1);
    const [row] = await rows<{ last_used_at: number | null }>("SELECT last_used_at FROM device_keys WHERE id = ?", keyId);
    expect(row?.last_used_at).toEqual(expect.any(Number));
  });

  it("a replayed challenge → 409 challenge_replayed; concurrent use: exactly one session", async () => {
    const me = await login();
    const { pair, keyId } = await register(me);
    const challenge = await challengeFor(keyId);
    const body = { keyId, challenge, signature: await sign(pair, challenge) };
    expect((await json(LOGIN, { body })).status).toBe(200);
    expectError(await json(LOGIN, { body }), 409, "challenge_replayed");
    // A fresh signature over the same challenge is the same challenge.
    expectError(await json(LOGIN, { body: { ...body, signature: await sign(pair, challenge) } }), 409, "challenge_replayed");
    expect(await eventsOf("auth.device_login", me.uid)).toBe(1);

    const next = await challengeFor(keyId);
    const nextBody = { keyId, challenge: next, signature: await sign(pair, next) };
    const results = await Promise.all([json(LOGIN, { body: nextBody }), json(LOGIN, { body: nextBody })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await usedChallenges(keyId)).toBe(2);
    expect(await eventsOf("auth.device_login", me.uid)).toBe(2);
  });

  it("a challenge is valid for 120 s: at 120 s it works, after it 401 challenge_expired (not burned)", async () => {
    const me = await login();
    const { pair, keyId } = await register(me);
    const T = Date.now();
    vi.setSystemTime(T);
    const onTime = await challengeFor(keyId);
    const late = await challengeFor(keyId);
    vi.setSystemTime(T + CHALLENGE_TTL_MS);
    expect((await json(LOGIN, { body: { keyId, challenge: onTime, signature: await sign(pair, onTime) } })).status).toBe(200);
    vi.setSystemTime(T + CHALLENGE_TTL_MS + 1);
    const r = await json(LOGIN, { body: { keyId, challenge: late, signature: await sign(pair, late) } });
    expectError(r, 401, "challenge_expired");
    expect(await usedChallenges(keyId)).toBe(1);
    expect(await eventsOf("auth.device_login", me.uid)).toBe(1);
  });

  it("a wrong signature is 401 invalid_signature and burns nothing", async () => {
    const me = await login();
    const { pair, keyId } = await register(me);
    const stranger = await keyPair();
    const challenge = await challengeFor(keyId);
    const good = await sign(pair, challenge);
    const bytes = Uint8Array.from(atob(good.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    const signatures: Record<string, string> = {
      "another key": await sign(stranger, challenge),
      "another text": await sign(pair, `${challenge}x`),
      "one bit flipped": toBase64Url(bytes),
      "63 bytes": toBase64Url(bytes.slice(1)),
      "not base64url": `${good.slice(0, -1)}+`,
      empty: "",
    };
    for (const [label, signature] of Object.entries(signatures)) {
      const r = await json(LOGIN, { body: { keyId, challenge, signature } });
      expect({ label, status: r.status, code: r.body.code }).toEqual({ label, status: 401, code: "invalid_signature" });
    }
    expect(await usedChallenges(keyId)).toBe(0);
    expect(await eventsOf("auth.device_login", me.uid)).toBe(0);
    // The challenge was not burned: the right signature still works.
    expect((await json(LOGIN, { body: { keyId, challenge, signature: good } })).status).toBe(200);
  });

  it("forged and foreign challenges are 401 invalid_challenge", async () => {
    const me = await login();
    const { pair, keyId } = await register(me);
    const other = await register(me);
    const challenge = await challengeFor(keyId);
    const parts = challenge.split(".");
    const forgedTs = [...parts.slice(0, 3), String(Date.now() + 3_600_000), ...parts.slice(4)].join(".");
    const forgedMac = [...parts.slice(0, 5), `${(parts[5] ?? "").slice(0, -2)}AA`].join(".");
    const cases: Record<string, { keyId: string; challenge: string }> = {
      "ts moved": { keyId, challenge: forgedTs },
      "mac changed": { keyId, challenge: forgedMac },
      "unknown session key id": { keyId, challenge: ["dc1", "k9", ...parts.slice(2)].join(".") },
      "issued for another key": { keyId: other.keyId, challenge },
      garbage: { keyId, challenge: "'; DROP TABLE device_keys; --" },
      "a session token": { keyId, challenge: me.session },
    };
    for (const [label, c] of Object.entries(cases)) {
      const signer = c.keyId === keyId ? pair : other.pair;
      const r = await json(LOGIN, { body: { ...c, signature: await sign(signer, c.challenge) } });
      expect({ label, status: r.status, code: r.body.code }).toEqual({ label, status: 401, code: "invalid_challenge" });
    }
    expect(await usedChallenges(keyId)).toBe(0);
    expect(await usedChallenges(other.keyId)).toBe(0);
  });

  it("another person's key: a challenge for Alice's key signed by Bob is refused; Bob cannot remove it", async () => {
    const alice = await login();
    const bob = await login();
    const a = await register(alice);
    const b = await register(bob);
    const challenge = await challengeFor(a.keyId);
    const r = await json(LOGIN, { body: { keyId: a.keyId, challenge, signature: await sign(b.pair, challenge) } });
    expectError(r, 401, "invalid_signature");
    // Bob's own key with Alice's challenge: the challenge names Alice's key.
    const r2 = await json(LOGIN, { body: { keyId: b.keyId, challenge, signature: await sign(b.pair, challenge) } });
    expectError(r2, 401, "invalid_challenge");
    const removed = await json(`${REGISTER}/${a.keyId}`, { method: "DELETE", session: bob.session });
    expectError(removed, 404, "device_key_not_found");
    expect(await liveKeys(alice.uid)).toBe(1);
    expect(await eventsOf("auth.device_login", alice.uid)).toBe(0);
    // Bob's key logs in as Bob, never as Alice.
    const own = await deviceLogin(b.keyId, b.pair);
    expect({ status: own.status, uid: own.body.uid }).toEqual({ status: 200, uid: bob.uid });
  });

  it("an unknown key id is 401 device_key_revoked", async () => {
    const keyId = "dk-000000000-0000000000000001";
    const r = await deviceLogin(keyId, await keyPair());
    expectError(r, 401, "device_key_revoked");
    expect(await usedChallenges(keyId)).toBe(0);
  });

  it("hostile bodies are 400 validation_failed", async () => {
    const cases: unknown[] = [
      {},
      { keyId: "x", challenge: "y", signature: "z" },
      { keyId: "dk-000000000-0000000000000001", challenge: "x".repeat(300), signature: "z" },
      { keyId: "dk-000000000-0000000000000001", challenge: 1, signature: null },
      { keyId: "dk-000000000-0000000000000001", challenge: "c", signature: "s", uid: "someone" },
    ];
    for (const body of cases) expectError(await json(LOGIN, { body }), 400, "validation_failed");
  });
});

describe("revocation", () => {
  it("DELETE removes one own key: it can no longer log in; a repeat answers the same time", async () => {
    const me = await login();
    const { pair, keyId } = await register(me);
    const kept = await register(me);
    const r = await json(`${REGISTER}/${keyId}`, { method: "DELETE", session: me.session });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ ok: true, keyId, revokedAt: expect.any(String) });
    const again = await json(`${REGISTER}/${keyId}`, { method: "DELETE", session: me.session });
    expect(again.body).toEqual(r.body);
    expect(await eventsOf("auth.device_key.revoked", me.uid)).toBe(1);
    expectError(await deviceLogin(keyId, pair), 401, "device_key_revoked");
    expect((await deviceLogin(kept.keyId, kept.pair)).status).toBe(200);
    expectError(await json(`${REGISTER}/not-a-key`, { method: "DELETE", session: me.session }), 404, "device_key_not_found");
  });

  it("logout everywhere revokes every device key of the person (and only theirs)", async () => {
    const me = await login();
    const other = await login();
    const one = await register(me);
    const two = await register(me);
    const theirs = await register(other);
    // A challenge fetched before the logout does not survive it either.
    const early = await challengeFor(one.keyId);
    const out = await json("/api/presence/logout", { method: "POST", session: me.session });
    expect(out.status).toBe(200);
    expect(await liveKeys(me.uid)).toBe(0);
    expectError(await deviceLogin(one.keyId, one.pair), 401, "device_key_revoked");
    expectError(await deviceLogin(two.keyId, two.pair), 401, "device_key_revoked");
    const r = await json(LOGIN, { body: { keyId: one.keyId, challenge: early, signature: await sign(one.pair, early) } });
    expectError(r, 401, "device_key_revoked");
    expect(await eventsOf("auth.device_login", me.uid)).toBe(0);
    expect((await deviceLogin(theirs.keyId, theirs.pair)).status).toBe(200);
  });

  it("erasure deletes the person's device keys; a device login then finds none", async () => {
    const me = await login();
    const { pair, keyId } = await register(me);
    const erased = await json(`/api/admin/thinkers/${me.uid}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${testEnv.ADMIN_TOKEN}` },
    });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.rows.device_keys).toBe(1);
    expect(await countOf("SELECT count(*) n FROM device_keys WHERE id = ?", keyId)).toBe(0);
    expectError(await deviceLogin(keyId, pair), 401, "device_key_revoked");
  });
});
