/**
 * Party roles as the mortgage actions check them. A role is checked inside the batch that acts on
 * it (an `EXISTS` in the write's WHERE, followed by an abort-unless-changed guard), so a role an
 * admin revokes while a request runs can never be used by that request.
 *
 * @module
 */
import { type SQL, and, eq } from "drizzle-orm";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type PARTY_ROLES, partyRoles } from "../db/schema";

/** A role an admin grants. */
export type PartyRole = (typeof PARTY_ROLES)[number];

/** SQL condition: `uid` holds `role` now. */
export function hasRoleSql(uid: string, role: PartyRole): SQL {
  return sql`EXISTS (SELECT 1 FROM party_roles WHERE uid = ${uid} AND role = ${role})`;
}

/** Query for whether `uid` holds `role` (one row when it does), for a handler's read batch. */
export function roleQuery(db: Db, uid: string, role: PartyRole) {
  return db
    .select({ role: partyRoles.role })
    .from(partyRoles)
    .where(and(eq(partyRoles.uid, uid), eq(partyRoles.role, role)));
}
