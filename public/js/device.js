// The device key: an ECDSA P-256 key pair made by WebCrypto on this device. Its private key is
// created non-extractable and kept (as the CryptoKey object itself) in IndexedDB, so no script can
// read it out, only use it to sign; the server keeps the public key. With it, an expired session is
// renewed by signing a server challenge instead of opening a new link from the offline manifest.
// Logout-everywhere and erasure revoke every device key on the server.

import { api } from "./core.js";

const DB_NAME = "ts_portal";
const STORE = "keys";
const RECORD = "device";

/** @returns {Promise<IDBDatabase>} */
function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * One IndexedDB request in its own transaction.
 * @param {"readonly" | "readwrite"} mode
 * @param {(store: IDBObjectStore) => IDBRequest} op
 */
async function tx(mode, op) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const req = op(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

/**
 * This device's key, if one was registered: `{keyId, uid, privateKey, createdAt}`.
 * @returns {Promise<null | {keyId: string, uid: string, privateKey: CryptoKey, createdAt: string}>}
 */
export async function loadDeviceKey() {
  try {
    return (await tx("readonly", (s) => s.get(RECORD))) ?? null;
  } catch {
    // No IndexedDB (private mode of some browsers): the device simply has no key.
    return null;
  }
}

/** Forgets this device's key locally (the server copy is revoked separately). */
export async function dropDeviceKey() {
  try {
    await tx("readwrite", (s) => s.delete(RECORD));
  } catch {
    // nothing stored, nothing to forget
  }
}

/**
 * Bytes as base64url without padding (the encoding of the device-login signature).
 * @param {ArrayBuffer | Uint8Array} buf
 */
export function base64url(buf) {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** A short label for the key list: the browser and platform, as the person would recognise them. */
export function deviceLabel(ua = navigator.userAgent) {
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chromium"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} auf ${os}` : browser;
}

/**
 * Makes a new key pair, registers its public half for the signed-in person
 * (`POST /api/presence/device-key`) and stores the private half in IndexedDB.
 * @param {string} uid the signed-in uid (a key is only used for the person it was made for)
 */
export async function registerDeviceKey(uid) {
  const pair = /** @type {CryptoKeyPair} */ (
    await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const res = await api("/api/presence/device-key", {
    body: { publicKey: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, label: deviceLabel() },
  });
  const record = { keyId: res.keyId, uid, privateKey: pair.privateKey, createdAt: res.createdAt ?? new Date().toISOString() };
  await tx("readwrite", (s) => s.put(record, RECORD));
  return record;
}

/**
 * Gets a new session with this device's key: asks the server for a challenge, signs it (ECDSA
 * P-256 / SHA-256, the raw r‖s WebCrypto returns) and sends it to the device login. Resolves to
 * the same answer as verify; a revoked or unknown key is dropped locally and the error rethrown.
 */
export async function deviceLogin() {
  const key = await loadDeviceKey();
  if (!key) throw new Error("Auf diesem Gerät ist kein Schlüssel gespeichert.");
  try {
    const { challenge } = await api("/api/presence/device-challenge", { body: { keyId: key.keyId } });
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, new TextEncoder().encode(challenge));
    return await api("/api/presence/device-login", { body: { keyId: key.keyId, challenge, signature: base64url(sig) } });
  } catch (err) {
    // A refused key (revoked by logout everywhere or erasure, removed, unknown) can never work
    // again; a refused challenge (expired, used) can, with a fresh one.
    const e = /** @type {any} */ (err);
    if ((e?.status === 401 || e?.status === 404) && !String(e.code ?? "").includes("challenge")) {
      await dropDeviceKey();
    }
    throw err;
  }
}
