/**
 * Typed view of the environment (vars from wrangler.toml, secrets from `.dev.vars` / `wrangler secret`).
 *
 * @module
 */
import { AppError } from "./errors";

/** One session signing key. */
export interface SessionKey {
  kid: string;
  secret: string;
}

/** Runtime configuration derived from `Env`. */
export interface Config {
  authMode: "strict" | "compat";
  platformId: string;
  rateLimitWrite: number;
  rateLimitRead: number;
  sessionTtlSeconds: number;
  /** Failed admin authentications per minute and client address before the address is locked out. */
  adminAuthFailuresPerMin: number;
  /** Origins besides the site's own whose pages may send cookie-authenticated writes (`ALLOWED_ORIGINS`). */
  allowedOrigins: readonly string[];
  /** Largest legal-hub document accepted, bytes (`CONTRACT_MAX_BYTES`, default 20 MiB); beyond it 413. */
  contractMaxBytes: number;
  /** Revoked distribution channels (`MOT_REVOKED`, comma-separated `mot` tokens): their links answer 401 `link_revoked`. */
  revokedMots: ReadonlySet<string>;
}

const positiveInt = (raw: string | undefined, fallback: number) => {
  const n = Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
};

// One Config per env object: the env of an isolate is the same object on every request, and a
// test's modified env is a new object, so nothing stale is ever served.
const configs = new WeakMap<Env, Config>();

/** Reads the non-secret settings, with the documented defaults (derived once per env object). */
export function loadConfig(env: Env): Config {
  let config = configs.get(env);
  if (!config) {
    config = readConfig(env);
    configs.set(env, config);
  }
  return config;
}

function readConfig(env: Env): Config {
  return {
    authMode: env.AUTH_MODE === "compat" ? "compat" : "strict",
    platformId: env.PLATFORM_ID || "platform:together-systems",
    rateLimitWrite: positiveInt(env.RATE_LIMIT_WRITE_PER_MIN, 60),
    rateLimitRead: positiveInt(env.RATE_LIMIT_READ_PER_MIN, 120),
    sessionTtlSeconds: positiveInt(env.SESSION_TTL_SECONDS, 7 * 24 * 3600),
    adminAuthFailuresPerMin: positiveInt(env.ADMIN_AUTH_FAILURES_PER_MIN, 10),
    allowedOrigins: parseOrigins(env.ALLOWED_ORIGINS),
    contractMaxBytes: positiveInt(env.CONTRACT_MAX_BYTES, 20 * 1024 * 1024),
    revokedMots: parseList(env.MOT_REVOKED),
  };
}

/** A comma-separated list as a set of its non-empty, trimmed entries. */
export function parseList(raw: string | undefined): ReadonlySet<string> {
  return new Set(
    (raw ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** `ALLOWED_ORIGINS` as normalized origins (`scheme://host[:port]`); entries that are not an origin are dropped. */
export function parseOrigins(raw: string | undefined): string[] {
  const out: string[] = [];
  for (const part of (raw ?? "").split(",")) {
    const text = part.trim();
    if (!text) continue;
    try {
      const url = new URL(text);
      if ((url.protocol === "https:" || url.protocol === "http:") && url.origin === text.replace(/\/$/, "")) out.push(url.origin);
    } catch {
      // Not a URL: ignored, like any other entry that is not a bare origin.
    }
  }
  return out;
}

/** 503 for a secret the operator has not set: refuse rather than run with a guessable default. */
const notConfigured = (name: string) => new AppError(503, "not_configured", `server secret ${name} is not configured`);

/** Session keys from `SESSION_KEYS` ("kid:secret,kid:secret"); the first one signs. */
export function sessionKeys(env: Env): SessionKey[] {
  const keys = (env.SESSION_KEYS ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf(":");
      return { kid: part.slice(0, i), secret: part.slice(i + 1) };
    })
    .filter((k) => /^[A-Za-z0-9_-]{1,16}$/.test(k.kid) && k.secret.length >= 16);
  if (keys.length === 0) throw notConfigured("SESSION_KEYS");
  return keys;
}

/** Link secrets: the current one first, then the previous one during a rotation. */
export function linkSecrets(env: Env): string[] {
  if (!env.MOT_SHARED_SECRET) throw notConfigured("MOT_SHARED_SECRET");
  return [env.MOT_SHARED_SECRET, env.MOT_SHARED_SECRET_PREVIOUS].filter((s): s is string => Boolean(s));
}

/** Key of the keyed uid hash stored as `thinkers.public_id`. */
export function identityHashKey(env: Env): string {
  if (!env.IDENTITY_HASH_KEY) throw notConfigured("IDENTITY_HASH_KEY");
  return env.IDENTITY_HASH_KEY;
}
