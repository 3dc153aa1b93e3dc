/**
 * Shared identity schemas.
 *
 * @module
 */
import * as z from "zod";

/** A browser uid (the portal makes 22 base62 chars; older clients `user_<ms>_<rand>`). */
export const Uid = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1-128 characters of A-Z a-z 0-9 . _ -");
