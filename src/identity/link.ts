/**
 * Verification of the offline manifest's signed portal link:
 * `sig = hex(HMAC-SHA256(key, "<mot>.<uid>.<ts>"))`, `ts` in epoch ms, where the key is either the
 * master secret `MOT_SHARED_SECRET` (operator tools) or the link's channel secret
 * {@link channelSecret}: a manifest built for one distribution channel holds only its channel's
 * secret, so a leaked manifest exposes one channel, which `MOT_REVOKED` can then refuse.
 *
 * Holes of the original closed here: the key is a server secret (not the token itself), the
 * window is two-sided, the comparison is constant-time, and a link works once (see verify route).
 *
 * @module
 */
import { badRequest, unauthorized } from "../core/errors";
import { fromHex, hmac, hmacVerify, toHex } from "../core/crypto";
import { MOT_PATTERN, UID_PATTERN } from "./schemas";

/** Accepted age of a link: 300 s into the past… */
export const LINK_MAX_AGE_MS = 300_000;
/** …and 30 s into the future (clock skew). */
export const LINK_MAX_SKEW_MS = 30_000;

/** The signed fields of a portal link. */
export interface LinkFields {
  mot: string;
  uid: string;
  ts: number;
  sig: string;
}

/**
 * The string a link signature covers: `<mot>.<uid>.<ts>`. Unambiguous because neither `mot` nor
 * `uid` may contain `.` and `ts` is a non-negative integer written in digits; throws otherwise,
 * so no caller can build (or check) a signature over a string that splits two ways.
 */
export function linkMessage(l: Pick<LinkFields, "mot" | "uid" | "ts">): string {
  if (!MOT_PATTERN.test(l.mot)) throw badRequest("validation_failed", "mot: must not be empty or contain '.'");
  if (!UID_PATTERN.test(l.uid)) throw badRequest("validation_failed", "uid: must be 1-128 characters of A-Z a-z 0-9 _ -");
  if (!Number.isSafeInteger(l.ts) || l.ts < 0) throw badRequest("validation_failed", "ts: must be a non-negative integer");
  return `${l.mot}.${l.uid}.${l.ts}`;
}

/**
 * The link secret of distribution channel `mot`: `hex(HMAC-SHA256(master, "mot-channel:" + mot))`,
 * used as the HMAC key of the channel's links (the hex string as UTF-8). The manifest builder
 * bakes it into a channel's manifest instead of the master secret; the server derives it again
 * from the link's `mot`, so channels need no list of their own.
 */
export async function channelSecret(master: string, mot: string): Promise<string> {
  return toHex(await hmac(master, `mot-channel:${mot}`));
}

/** Options of {@link verifyLink}. */
export interface VerifyLinkOptions {
  /** Revoked channel tokens (`MOT_REVOKED`): a genuine link of such a channel is refused with 401 `link_revoked`. */
  revoked?: ReadonlySet<string>;
}

/**
 * Checks the fields' alphabets (400), then freshness and signature: for each master secret (the
 * current one, then the previous one during a rotation) the link may be signed with the master
 * secret itself or with its channel secret for the link's `mot`. Throws 401 `link_expired`,
 * `link_from_future` or `invalid_signature`; a signature that is not 64 hex digits is refused
 * before any comparison. A genuine link of a revoked channel is refused last (401
 * `link_revoked`), so the answer tells a revoked channel apart only to someone holding its secret.
 */
export async function verifyLink(link: LinkFields, secrets: string[], now: number, opts: VerifyLinkOptions = {}): Promise<void> {
  const message = linkMessage(link);
  const sig = /^[0-9a-f]{64}$/i.test(link.sig) ? fromHex(link.sig) : null;
  if (!sig) throw unauthorized("invalid_signature", "signature must be 64 hex digits");
  const age = now - link.ts;
  if (age > LINK_MAX_AGE_MS) throw unauthorized("link_expired", "link expired");
  if (age < -LINK_MAX_SKEW_MS) throw unauthorized("link_from_future", "link timestamp is in the future");
  if (!(await signedByAny(link.mot, message, sig, secrets))) throw unauthorized("invalid_signature", "signature invalid");
  if (opts.revoked?.has(link.mot)) throw unauthorized("link_revoked", "this link's distribution channel was revoked");
}

async function signedByAny(mot: string, message: string, sig: Uint8Array, masters: string[]): Promise<boolean> {
  for (const master of masters) {
    if (await hmacVerify(master, message, sig)) return true;
    if (await hmacVerify(await channelSecret(master, mot), message, sig)) return true;
  }
  return false;
}
