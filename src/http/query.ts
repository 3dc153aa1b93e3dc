/**
 * Query-string pieces shared by list routes (query values arrive as strings).
 *
 * @module
 */
import * as z from "zod";

/** `?limit=`: an integer 1…`max`, `dflt` when absent. */
export const LimitParam = (max: number, dflt: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, "must be an integer")
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .optional()
    .transform((n) => n ?? dflt);

/** `?cursor=`: an opaque cursor from a previous page's `nextCursor`. */
export const CursorParam = z.string().max(200).optional();
