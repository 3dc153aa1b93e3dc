/**
 * The stored identity of a uid: a keyed hash (`thinkers.public_id`) and the thinker id derived from
 * it, so the public name of a person never shows the raw uid.
 *
 * @module
 */
import { hmac, toHex } from "../core/crypto";

/** Derives the stored identity of a uid: a keyed hash, never the uid itself. */
export async function thinkerIdentity(uid: string, key: string) {
  const publicId = toHex(await hmac(key, `uid:${uid}`));
  return { publicId, thinkerId: `thinker-${publicId.slice(0, 16)}` };
}

/** A thinker id as verify derives it. */
export const THINKER_ID = /^thinker-[0-9a-f]{16}$/;

/**
 * A thinker id as is; anything else (a verified uid, or a legacy client's local uid) as the
 * thinker id verify derives from it. So the public name of a person never shows the raw uid.
 */
export async function asThinkerId(value: string, key: string): Promise<string> {
  return THINKER_ID.test(value) ? value : (await thinkerIdentity(value, key)).thinkerId;
}
