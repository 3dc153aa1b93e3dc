/**
 * Verification of the offline manifest's signed portal link:
 * `sig = hex(HMAC-SHA256(MOT_SHARED_SECRET, "<mot>.<uid>.<ts>"))`, `ts` in epoch ms.
 *
 * Holes of the original closed here: the key is a server secret (not the token itself), the
 * window is two-sided, the comparison is constant-time, and a link works once (see verify route).
 *
 * @module
 */
import { badRequest, unauthorized } from "../core/errors";
import { fromHex, hmacVerify } from "../core/crypto";
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
 * Checks the fields' alphabets (400), then freshness and signature against each active secret. Throws 401 `link_expired`,
 * `link_from_future` or `invalid_signature`; a signature that is not 64 hex digits is refused
 * before any comparison.
 */
export async function verifyLink(link: LinkFields, secrets: string[], now: number): Promise<void> {
  const message = linkMessage(link);
  const sig = /^[0-9a-f]{64}$/i.test(link.sig) ? fromHex(link.sig) : null;
  if (!sig) throw unauthorized("invalid_signature", "signature must be 64 hex digits");
  const age = now - link.ts;
  if (age > LINK_MAX_AGE_MS) throw unauthorized("link_expired", "link expired");
  if (age < -LINK_MAX_SKEW_MS) throw unauthorized("link_from_future", "link timestamp is in the future");
  for (const secret of secrets) {
    if (await hmacVerify(secret, message, sig)) return;
  }
  throw unauthorized("invalid_signature", "signature invalid");
}
