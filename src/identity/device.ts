/**
 * Device keys: a browser keeps a non-extractable ECDSA P-256 private key and registers its public
 * key; when its session has expired it signs a server challenge to get a new session without a
 * new manifest link.
 *
 * The challenge is stateless: `dc1.<kid>.<keyId>.<ts>.<nonce>.<mac>`, MAC'd (HMAC-SHA256) with the
 * session key `kid`, so the server needs no table to issue one and cannot be made to store
 * anything by asking for challenges. It names the key it was issued for and its issue time; it is
 * valid for {@link CHALLENGE_TTL_MS}. Single use comes from the login's batch (a unique row per
 * used challenge). The MAC'd string starts with `device-challenge:`, which no session token's
 * signed string (`s1.…`) does, so neither can stand in for the other.
 *
 * @module
 */
import * as z from "zod";
import type { SessionKey } from "../core/config";
import { unauthorized } from "../core/errors";
import { fromBase64Url, hmac, hmacVerify, toBase64Url } from "../core/crypto";

/** How long a device challenge may be answered, ms. */
export const CHALLENGE_TTL_MS = 120_000;
/** Clock skew tolerated between the isolate that issued a challenge and the one checking it, ms. */
export const CHALLENGE_SKEW_MS = 30_000;
/** Live (not revoked) device keys one person may hold. */
export const MAX_DEVICE_KEYS = 10;

/** A device key id as the server makes them (`newId("dk")`). */
export const KEY_ID_PATTERN = /^dk-[0-9a-z]{9}-[0-9a-z]{16}$/;

/** The id of a device key. */
export const KeyId = z.string().regex(KEY_ID_PATTERN, "must be a device key id (dk-…) from POST /api/presence/device-key");

/** One coordinate of a P-256 point: 32 bytes, base64url without padding. */
const Coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be 32 bytes as base64url (43 characters)");

/**
 * An ECDSA P-256 public key as WebCrypto exports it (`exportKey("jwk")`): `ext` and `key_ops` are
 * accepted and ignored, anything else refused (a private key's `d` above all).
 */
export const PublicKeyJwk = z.strictObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: Coordinate,
  y: Coordinate,
  ext: z.boolean().optional(),
  key_ops: z.array(z.string().max(16)).max(8).optional(),
  alg: z.literal("ES256").optional(),
});

/** The stored form of a public key: exactly `{kty, crv, x, y}`. */
export type StoredPublicKey = { kty: "EC"; crv: "P-256"; x: string; y: string };

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

/**
 * Imports a public key for verification; `null` when it is no point of the curve (WebCrypto
 * refuses it on import), so such a key is never stored.
 */
export async function importPublicKey(jwk: StoredPublicKey): Promise<CryptoKey | null> {
  try {
    return await crypto.subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, ECDSA_P256, false, [
      "verify",
    ]);
  } catch {
    return null;
  }
}

/**
 * True when `signature` (base64url of the raw 64-byte `r‖s`, what WebCrypto's
 * `sign({name: "ECDSA", hash: "SHA-256"})` returns) signs the UTF-8 `message` under `key`.
 * Anything that is not canonical base64url of exactly 64 bytes is false.
 */
export async function verifyDeviceSignature(key: CryptoKey, message: string, signature: string): Promise<boolean> {
  const sig = fromBase64Url(signature);
  if (sig?.length !== 64) return false;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, sig, new TextEncoder().encode(message));
}

/** What a genuine challenge carries. */
export interface DeviceChallenge {
  keyId: string;
  /** Issue time, epoch ms. */
  ts: number;
}

const macInput = (unsigned: string) => `device-challenge:${unsigned}`;

/** Issues a challenge for `keyId` at `now`, MAC'd with the first session key. */
export async function issueChallenge(keyId: string, keys: SessionKey[], now: number) {
  const [key] = keys;
  if (!key) throw new Error("no session key");
  const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  const unsigned = `dc1.${key.kid}.${keyId}.${now}.${nonce}`;
  const mac = toBase64Url(await hmac(key.secret, macInput(unsigned)));
  return { challenge: `${unsigned}.${mac}`, expiresAt: now + CHALLENGE_TTL_MS };
}

/** 401 `invalid_challenge`. */
const invalidChallenge = () => unauthorized("invalid_challenge", "the challenge is malformed, forged or for another key");

/**
 * Checks a challenge's form and MAC (401 `invalid_challenge`), that it was issued for `keyId`
 * (same code), and its age (401 `challenge_expired` after {@link CHALLENGE_TTL_MS}).
 */
export async function checkChallenge(
  challenge: string,
  keyId: string,
  keys: SessionKey[],
  now: number,
): Promise<DeviceChallenge> {
  const m = /^dc1\.([A-Za-z0-9_-]{1,16})\.([0-9a-z-]{1,64})\.(\d{1,16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(
    challenge,
  );
  if (!m) throw invalidChallenge();
  const [, kid, forKey, tsText, , macText] = m as unknown as [string, string, string, string, string, string];
  const key = keys.find((k) => k.kid === kid);
  const mac = fromBase64Url(macText);
  const unsigned = challenge.slice(0, challenge.lastIndexOf("."));
  if (!key || !mac || !(await hmacVerify(key.secret, macInput(unsigned), mac))) throw invalidChallenge();
  if (forKey !== keyId) throw invalidChallenge();
  const ts = Number(tsText);
  if (ts - now > CHALLENGE_SKEW_MS) throw invalidChallenge();
  if (now - ts > CHALLENGE_TTL_MS) throw unauthorized("challenge_expired", "the challenge expired; ask for a new one");
  return { keyId: forKey, ts };
}
