/**
 * Request and response schemas of the presence routes (strict: unknown fields are refused).
 *
 * @module
 */
import * as z from "zod";

/** Longest pair code, in characters (all allowed characters are ASCII). */
export const MAX_PAIR_CODE_LENGTH = 64;

/**
 * `thinker_id` as clients send it: the caller's `thinker-<16 hex>` from verify, or (only under
 * AUTH_MODE=compat, without a session) a legacy portal's local uid. Same charset as a uid.
 */
export const ThinkerIdField = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1-128 characters of A-Z a-z 0-9 . _ - (thinker-<16 hex> from verify)");

/**
 * A pair code: 1-64 characters of `A-Z a-z 0-9 . _ -` (it becomes part of a room id and a URL
 * path). `""` and `null` mean "not given", as in the original.
 */
export const PairCode = z
  .string()
  .max(MAX_PAIR_CODE_LENGTH, `must be at most ${MAX_PAIR_CODE_LENGTH} characters`)
  .regex(/^[A-Za-z0-9._-]*$/, "must be characters of A-Z a-z 0-9 . _ - (empty = not given)")
  .nullable()
  .transform((s) => (s ? s : null));

export const HeartbeatBody = z.strictObject({
  thinker_id: ThinkerIdField,
  pair_code: PairCode.optional().transform((s) => s ?? null),
  status: z
    .enum(["online", "offline"])
    .nullable()
    .optional()
    .transform((s) => s ?? null),
});

export const MatchBody = z.strictObject({
  thinker_id: ThinkerIdField,
  pair_code: PairCode,
});

export const HeartbeatResponse = z.object({
  ok: z.literal(true),
  /** The stored `last_seen_at`, epoch milliseconds (as the original). */
  last_seen: z.number().int(),
});

export const MatchResponse = z.object({
  ok: z.literal(true),
  /** The shared room of the pair code's online thinkers, or null (fewer than 2, or no pair code). */
  room_id: z.string().nullable(),
});
