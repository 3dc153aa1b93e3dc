/**
 * Small Web Crypto helpers shared by link verification, sessions and idempotency.
 *
 * @module
 */

const enc = new TextEncoder();

/** Lower-case hex of bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (const b of u8) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Bytes of a hex string; `null` unless it is an even-length string of hex digits. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Standard base64 with padding (HTTP `Digest`, CSP hashes). */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Bytes of a base64url string; `null` if it is not valid, canonical base64url. Canonical: the
 * unused low bits of the last character must be zero, so no two strings decode to the same bytes
 * (otherwise a session token's last signature character could be changed and still verify).
 */
export function fromBase64Url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return toBase64Url(bytes) === s ? bytes : null;
  } catch {
    return null;
  }
}

// Imported keys per secret: importKey on every request would redo the key schedule each time.
const keyCache = new Map<string, Promise<CryptoKey>>();

/** Imports (once per isolate and secret) an HMAC-SHA256 key from a secret string. */
export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    if (keyCache.size > 32) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

/** HMAC-SHA256 of `message` under `secret`. */
export async function hmac(secret: string, message: string): Promise<Uint8Array> {
  const key = await hmacKey(secret);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message)));
}

/** Constant-time HMAC check (`crypto.subtle.verify` compares in constant time). */
export async function hmacVerify(secret: string, message: string, signature: Uint8Array): Promise<boolean> {
  const key = await hmacKey(secret);
  return crypto.subtle.verify("HMAC", key, signature, enc.encode(message));
}

/** SHA-256 hex of a string. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", enc.encode(text)));
}
