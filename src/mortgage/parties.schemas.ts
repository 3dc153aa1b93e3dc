/**
 * Request schemas of the party routes (strict: unknown fields are refused).
 *
 * @module
 */
import * as z from "zod";
import { PARTY_ROLES } from "../db/schema";
import { CursorParam, LimitParam } from "../http/query";

/** `PUT /api/admin/parties/:uid`: the complete role set (empty revokes every role) and the name shown to borrowers. */
export const PutPartyBody = z.strictObject({
  roles: z
    .array(z.enum(PARTY_ROLES))
    .max(PARTY_ROLES.length)
    .refine((r) => new Set(r).size === r.length, { message: "each role at most once" }),
  displayName: z.string().trim().min(1).max(200),
});

/** `GET /api/admin/parties`: optionally only the parties holding `role`. */
export const PartyListQuery = z.strictObject({
  role: z.enum(PARTY_ROLES).optional(),
  limit: LimitParam(200, 50),
  cursor: CursorParam,
});

/** `GET /api/hypotheken/lenders`. */
export const LenderListQuery = z.strictObject({ limit: LimitParam(200, 100), cursor: CursorParam });
