/**
 * Shared identity schemas.
 *
 * Every value that becomes part of a signed string (`mot.uid.ts`) is drawn from an alphabet
 * without the separator `.`, so a signed string splits back into its fields in exactly one way:
 * a link signed for uid `x.victim` can never be re-read as mot `m.x` + uid `victim`.
 *
 * @module
 */
import * as z from "zod";

/** Characters of a uid: base62 plus `_` and `-` (older clients make `user_<ms>_<rand>`, the seed's examples `user-abc`). */
export const UID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** A browser uid (the portal makes 22 base62 chars; older clients `user_<ms>_<rand>`). Never contains `.`. */
export const Uid = z.string().regex(UID_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 _ -");

/**
 * A uid as stored before uids were restricted (it may contain `.`): only for finding and erasing
 * such data, never for signing or for a new identity.
 */
export const StoredUid = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1-128 characters of A-Z a-z 0-9 . _ -");

/** Characters of the manifest's access token `mot`: a token alphabet without `.`. */
export const MOT_PATTERN = /^[A-Za-z0-9_~+/=:-]{1,256}$/;

/** The manifest's access token as it appears in a link. */
export const Mot = z.string().regex(MOT_PATTERN, "must be 1-256 characters of A-Z a-z 0-9 _ ~ + / = : - (no '.')");
