/**
 * Signed portal links (HMAC-SHA256 of `mot.uid.ts` under MOT_SHARED_SECRET) and stateless session
 * tokens: freshness window, signature format, secret rotation, tampering, expiry and key rotation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SessionKey } from "../../src/core/config";
import { fromBase64Url, hmac, toBase64Url, toHex } from "../../src/core/crypto";
import {
  LINK_MAX_AGE_MS,
  LINK_MAX_SKEW_MS,
  type LinkFields,
  channelSecret,
  linkMessage,
  verifyLink,
} from "../../src/identity/link";
import { sessionToken, signSession, verifySession } from "../../src/identity/session";
import { check } from "./seed";

const SECRET = "test-mot-secret-0123456789";
const PREVIOUS = "test-mot-previous-0123456789";
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const S = 1000;

async function link(uid: string, ts: number, secret = SECRET, mot = "mot-shared-token-v1"): Promise<LinkFields> {
  return { mot, uid, ts, sig: toHex(await hmac(secret, linkMessage({ mot, uid, ts }))) };
}

describe("verifyLink", () => {
  it("signs mot.uid.ts", () => {
    expect(linkMessage({ mot: "m", uid: "u", ts: 123 })).toBe("m.u.123");
    expect(LINK_MAX_AGE_MS).toBe(300 * S);
    expect(LINK_MAX_SKEW_MS).toBe(30 * S);
  });

  it("refuses a link re-split at a '.' inside mot or uid (a signature for uid `x.victim` is not one for uid `victim`)", async () => {
    // The attacker holds a genuine signature over "m.x.victim.<ts>" (a link for uid "x.victim").
    const sig = toHex(await hmac(SECRET, `m.x.victim.${NOW}`));
    await expect(verifyLink({ mot: "m.x", uid: "victim", ts: NOW, sig }, [SECRET], NOW)).rejects.toMatchObject({
      status: 400,
    });
    await expect(verifyLink({ mot: "m", uid: "x.victim", ts: NOW, sig }, [SECRET], NOW)).rejects.toMatchObject({ status: 400 });
    expect(() => linkMessage({ mot: "m", uid: "u", ts: 1.5 })).toThrow();
    expect(() => linkMessage({ mot: "", uid: "u", ts: 1 })).toThrow();
  });

  it("accepts links up to 300 s old and 30 s ahead; rejects 301 s old and 31 s ahead", async () => {
    for (const offset of [0, -299 * S, -300 * S, 29 * S, 30 * S]) {
      await expect(verifyLink(await link("alice", NOW + offset), [SECRET], NOW), `offset ${offset}`).resolves.toBeUndefined();
    }
    await expect(verifyLink(await link("alice", NOW - 301 * S), [SECRET], NOW)).rejects.toMatchObject({
      status: 401,
      code: "link_expired",
    });
    await expect(verifyLink(await link("alice", NOW - 300 * S - 1), [SECRET], NOW)).rejects.toMatchObject({
      code: "link_expired",
    });
    await expect(verifyLink(await link("alice", NOW + 31 * S), [SECRET], NOW)).rejects.toMatchObject({
      status: 401,
      code: "link_from_future",
    });
    await expect(verifyLink(await link("alice", NOW + 30 * S + 1), [SECRET], NOW)).rejects.toMatchObject({
      code: "link_from_future",
    });
  });

  it("accepts a signature in upper-case hex", async () => {
    const l = await link("alice", NOW);
    await expect(verifyLink({ ...l, sig: l.sig.toUpperCase() }, [SECRET], NOW)).resolves.toBeUndefined();
  });

  it("rejects signatures that are not 64 hex digits before comparing", async () => {
    const l = await link("alice", NOW);
    for (const sig of [
      "",
      l.sig.slice(0, 62),
      l.sig.slice(0, 63),
      `${l.sig}00`,
      `${l.sig.slice(0, 63)}g`,
      "z".repeat(64),
      ` ${l.sig.slice(1)}`,
      `0x${l.sig.slice(2)}`,
    ]) {
      await expect(verifyLink({ ...l, sig }, [SECRET], NOW), JSON.stringify(sig)).rejects.toMatchObject({
        status: 401,
        code: "invalid_signature",
      });
    }
  });

  it("a malformed signature is refused even when the link is also expired (format first)", async () => {
    const l = await link("alice", NOW - 3600 * S);
    await expect(verifyLink({ ...l, sig: "abc" }, [SECRET], NOW)).rejects.toMatchObject({ code: "invalid_signature" });
  });

  it("accepts both the current and the previous secret, and no other", async () => {
    await expect(verifyLink(await link("alice", NOW, SECRET), [SECRET, PREVIOUS], NOW)).resolves.toBeUndefined();
    await expect(verifyLink(await link("alice", NOW, PREVIOUS), [SECRET, PREVIOUS], NOW)).resolves.toBeUndefined();
    await expect(verifyLink(await link("alice", NOW, PREVIOUS), [SECRET], NOW)).rejects.toMatchObject({
      code: "invalid_signature",
    });
    await expect(verifyLink(await link("alice", NOW, "some-other-secret-0123"), [SECRET, PREVIOUS], NOW)).rejects.toMatchObject({
      code: "invalid_signature",
    });
  });

  it("rejects a signature over other fields (uid, ts or mot changed)", async () => {
    const l = await link("alice", NOW);
    for (const changed of [
      { ...l, uid: "mallory" },
      { ...l, ts: NOW - 1 },
      { ...l, mot: "other-token" },
    ]) {
      await expect(verifyLink(changed, [SECRET], NOW)).rejects.toMatchObject({ status: 401, code: "invalid_signature" });
    }
  });

  it("rejects any single flipped hex digit of the signature", async () => {
    const l = await link("alice", NOW);
    await check(
      fc.asyncProperty(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 15 }), async (i, delta) => {
        const digit = ((Number.parseInt(l.sig[i] ?? "0", 16) + delta) % 16).toString(16);
        const sig = `${l.sig.slice(0, i)}${digit}${l.sig.slice(i + 1)}`;
        await expect(verifyLink({ ...l, sig }, [SECRET], NOW)).rejects.toMatchObject({ code: "invalid_signature" });
      }),
      { numRuns: 100 },
    );
  });
});

describe("channel secrets", () => {
  it("is hex(HMAC-SHA256(master, 'mot-channel:' + mot)), one per channel and master", async () => {
    const secret = await channelSecret(SECRET, "club-berlin");
    expect(secret).toBe(toHex(await hmac(SECRET, "mot-channel:club-berlin")));
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await channelSecret(SECRET, "club-hamburg")).not.toBe(secret);
    expect(await channelSecret(PREVIOUS, "club-berlin")).not.toBe(secret);
  });

  it("a link signed with its channel's secret verifies, under the current and the previous master", async () => {
    const mot = "club-berlin";
    const current = await link("alice", NOW, await channelSecret(SECRET, mot), mot);
    await expect(verifyLink(current, [SECRET], NOW)).resolves.toBeUndefined();
    const previous = await link("alice", NOW, await channelSecret(PREVIOUS, mot), mot);
    await expect(verifyLink(previous, [SECRET, PREVIOUS], NOW)).resolves.toBeUndefined();
    // After the rotation window (the previous master is gone) the old channel secret is dead.
    await expect(verifyLink(previous, [SECRET], NOW)).rejects.toMatchObject({ status: 401, code: "invalid_signature" });
  });

  it("a channel secret signs only its own channel's links", async () => {
    const berlin = await channelSecret(SECRET, "club-berlin");
    const forged = await link("alice", NOW, berlin, "club-hamburg");
    await expect(verifyLink(forged, [SECRET, PREVIOUS], NOW)).rejects.toMatchObject({ status: 401, code: "invalid_signature" });
    // Nor does a channel secret of another master count.
    const stranger = await link("alice", NOW, await channelSecret("some-other-secret-0123", "club-berlin"), "club-berlin");
    await expect(verifyLink(stranger, [SECRET, PREVIOUS], NOW)).rejects.toMatchObject({ code: "invalid_signature" });
  });

  it("a revoked channel is refused with link_revoked, master-signed or channel-signed; others pass", async () => {
    const revoked = new Set(["club-berlin"]);
    const channel = await link("alice", NOW, await channelSecret(SECRET, "club-berlin"), "club-berlin");
    await expect(verifyLink(channel, [SECRET], NOW, { revoked })).rejects.toMatchObject({ status: 401, code: "link_revoked" });
    const master = await link("alice", NOW, SECRET, "club-berlin");
    await expect(verifyLink(master, [SECRET], NOW, { revoked })).rejects.toMatchObject({ code: "link_revoked" });
    const other = await link("alice", NOW, await channelSecret(SECRET, "club-hamburg"), "club-hamburg");
    await expect(verifyLink(other, [SECRET], NOW, { revoked })).resolves.toBeUndefined();
    // A forged link of a revoked channel learns nothing about the revocation.
    await expect(verifyLink({ ...channel, uid: "mallory" }, [SECRET], NOW, { revoked })).rejects.toMatchObject({
      code: "invalid_signature",
    });
  });
});

const K1: SessionKey = { kid: "k1", secret: "test-session-secret-old-0123456789" };
const K2: SessionKey = { kid: "k2", secret: "test-session-secret-new-0123456789" };
const TTL = 604_800;
/** A session subject: the uid, its thinker row and the row's session generation. */
const who = (uid: string) => ({ uid, thinkerId: "thinker-00000000000000aa", gen: 7 });
/** What verifySession proves for `uid`'s token. */
const proves = (uid: string, expiresAt: number) => ({ ...who(uid), expiresAt });

describe("sessions", () => {
  it("round-trips uid and expiry", async () => {
    const { token, expiresAt } = await signSession(who("alice"), [K1], NOW, TTL);
    expect(token).toMatch(/^s1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(NOW + TTL * 1000);
    expect(await verifySession(token, [K1], NOW)).toEqual(proves("alice", expiresAt));
    const payload = fromBase64Url(token.split(".")[2] ?? "");
    expect(JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array()))).toEqual({
      uid: "alice",
      tid: "thinker-00000000000000aa",
      gen: 7,
      iat: NOW / 1000,
      exp: NOW / 1000 + TTL,
    });
  });

  it("round-trips any uid", async () => {
    await check(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80, unit: "grapheme" }), async (uid) => {
        const { token, expiresAt } = await signSession(who(uid), [K1], NOW, TTL);
        expect(await verifySession(token, [K1], NOW)).toEqual(proves(uid, expiresAt));
      }),
      { numRuns: 50 },
    );
  });

  it("expires: valid until the last millisecond, null from expiresAt on", async () => {
    const { token, expiresAt } = await signSession(who("alice"), [K1], NOW, 60);
    expect(await verifySession(token, [K1], expiresAt - 1)).not.toBeNull();
    expect(await verifySession(token, [K1], expiresAt)).toBeNull();
    expect(await verifySession(token, [K1], expiresAt + 86_400_000)).toBeNull();
  });

  it("a token changed in any one character is rejected", async () => {
    const { token } = await signSession(who("alice"), [K1], NOW, TTL);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    // Every position, with a few replacements each; then random ones.
    for (let i = 0; i < token.length; i++) {
      for (const c of ["A", "B", "a", "1", "-", "_", "."]) {
        if (c === token[i]) continue;
        const tampered = `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
        expect(await verifySession(tampered, [K1], NOW), `position ${i} → ${c}`).toBeNull();
      }
    }
    // The signature's last character carries 2 unused bits: every other character there must fail too.
    const last = token.length - 1;
    for (const c of alphabet) {
      if (c === token[last]) continue;
      expect(await verifySession(`${token.slice(0, last)}${c}`, [K1], NOW), `last character → ${c}`).toBeNull();
    }
    await check(
      fc.asyncProperty(fc.nat(), fc.constantFrom(...alphabet), async (pos, c) => {
        const i = pos % token.length;
        fc.pre(token[i] !== c);
        expect(await verifySession(`${token.slice(0, i)}${c}${token.slice(i + 1)}`, [K1], NOW)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("rejects a payload re-signed with another key under the same kid, and garbage", async () => {
    const forged = await signSession(who("alice"), [{ kid: "k1", secret: "attacker-secret-0123456789" }], NOW, TTL);
    expect(await verifySession(forged.token, [K1], NOW)).toBeNull();
    const { token } = await signSession(who("alice"), [K1], NOW, TTL);
    const [, , payload, sig] = token.split(".");
    const otherPayload = toBase64Url(new TextEncoder().encode(JSON.stringify({ uid: "mallory", iat: 0, exp: 9e9 })));
    for (const bad of [
      "",
      "s1",
      "s1.k1",
      `s1.k1.${payload}`,
      `s2.k1.${payload}.${sig}`,
      `s1.k1.${otherPayload}.${sig}`,
      `s1.k1.${payload}.${sig}.extra`,
      `s1.k1.${payload}.${sig?.slice(0, 42)}`,
      `s1.k1.${payload}.${sig}A`,
      `s1.k1.${payload}.${"A".repeat(43)}`,
      `s1.k1.${payload}.${sig}==`,
      `${token}${"A".repeat(2100)}`,
    ]) {
      expect(await verifySession(bad, [K1], NOW), bad.slice(0, 80)).toBeNull();
    }
  });

  it("rejects a validly signed payload without uid, exp, thinker or generation", async () => {
    const full = { uid: "alice", tid: "thinker-00000000000000aa", gen: 7, exp: 9e9 };
    const { tid: _t, ...noTid } = full;
    const { gen: _g, ...noGen } = full;
    for (const data of [
      { exp: 9e9 },
      { uid: "alice" },
      { uid: 1, exp: 9e9 },
      { uid: "alice", exp: "9e9" },
      // A token signed before sessions could be revoked: it names no thinker row and generation.
      { uid: "alice", exp: 9e9 },
      noTid,
      noGen,
      { ...full, gen: "7" },
      { ...full, gen: 1.5 },
      { ...full, tid: 5 },
      [],
      "x",
    ]) {
      const signed = `s1.k1.${toBase64Url(new TextEncoder().encode(JSON.stringify(data)))}`;
      const token = `${signed}.${toBase64Url(await hmac(K1.secret, signed))}`;
      expect(await verifySession(token, [K1], NOW), JSON.stringify(data)).toBeNull();
    }
  });

  it("an unknown kid is null", async () => {
    const { token } = await signSession(who("alice"), [K2], NOW, TTL);
    expect(await verifySession(token, [K1], NOW)).toBeNull();
    expect(await verifySession(token.replace("s1.k2.", "s1.k3."), [K1, K2], NOW)).toBeNull();
  });

  it("rotation: the first key signs, every listed key verifies, a dropped key stops verifying", async () => {
    const old = await signSession(who("alice"), [K1], NOW, TTL);
    // Rotate: K2 is new and signs, K1 still verifies.
    const rotated = [K2, K1];
    const fresh = await signSession(who("bob"), rotated, NOW, TTL);
    expect(fresh.token.startsWith("s1.k2.")).toBe(true);
    expect(await verifySession(old.token, rotated, NOW)).toEqual(proves("alice", old.expiresAt));
    expect(await verifySession(fresh.token, rotated, NOW)).toEqual(proves("bob", fresh.expiresAt));
    // Retire K1: its tokens end, K2's live on.
    expect(await verifySession(old.token, [K2], NOW)).toBeNull();
    expect(await verifySession(fresh.token, [K2], NOW)).not.toBeNull();
  });

  it("signing without a key throws", async () => {
    await expect(signSession(who("alice"), [], NOW, TTL)).rejects.toThrow();
  });

  it("reads the token from Authorization: Bearer first, then the cookie", () => {
    const req = (headers: Record<string, string>) => new Request("https://example.com/", { headers });
    expect(sessionToken(req({ authorization: "Bearer abc" }))).toBe("abc");
    expect(sessionToken(req({ cookie: "a=1; ts_session=tok.en=x; b=2" }))).toBe("tok.en=x");
    expect(sessionToken(req({ authorization: "Bearer abc", cookie: "ts_session=def" }))).toBe("abc");
    expect(sessionToken(req({ authorization: "Basic abc" }))).toBeNull();
    expect(sessionToken(req({}))).toBeNull();
  });
});
