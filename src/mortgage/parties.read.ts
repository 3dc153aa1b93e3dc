/**
 * Reads of parties and their roles, and the party's wire shape.
 *
 * @module
 */
import { type SQL, and, asc, eq, sql } from "drizzle-orm";
import * as z from "zod";
import type { Db } from "../db/client";
import { PARTY_ROLES, parties, partyRoles } from "../db/schema";
import type { PartyRole } from "./roles";
import { afterCursor, newestFirstOrder, pageOf } from "../db/pagination";

export type PartyRow = typeof parties.$inferSelect;

/** A party on the wire. */
export const PartyOut = z.object({
  uid: z.string(),
  displayName: z.string(),
  roles: z.array(z.enum(PARTY_ROLES)),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The party with the roles it holds (sorted, so equal sets compare equal). */
export function partyBody(p: PartyRow, roles: readonly PartyRole[]): z.output<typeof PartyOut> {
  return {
    uid: p.uid,
    displayName: p.displayName,
    roles: [...roles].sort(),
    createdAt: new Date(p.createdAt).toISOString(),
    updatedAt: new Date(p.updatedAt).toISOString(),
  };
}

/** Query: the roles `uid` holds now. */
export const partyRolesOf = (db: Db, uid: string) =>
  db.select({ role: partyRoles.role }).from(partyRoles).where(eq(partyRoles.uid, uid)).orderBy(asc(partyRoles.role));

const KEY = { createdAt: parties.createdAt, id: parties.uid };

/** SQL over `parties` (named in full: drizzle leaves a single table's columns unqualified): the party holds `role` now. */
const holds = (role: PartyRole): SQL => sql`EXISTS (SELECT 1 FROM party_roles r WHERE r.uid = parties.uid AND r.role = ${role})`;

/** One newest-first page of parties (optionally only those holding `role`), each with its roles. */
export async function partyPage(db: Db, q: { role?: PartyRole | undefined; limit: number; cursor?: string | undefined }) {
  const rows = await db
    .select({
      uid: parties.uid,
      displayName: parties.displayName,
      createdAt: parties.createdAt,
      updatedAt: parties.updatedAt,
      roles: sql<string>`(SELECT json_group_array(r.role) FROM (SELECT role FROM party_roles WHERE party_roles.uid = parties.uid ORDER BY role) r)`,
    })
    .from(parties)
    .where(and(q.role ? holds(q.role) : undefined, afterCursor(KEY, q.cursor)))
    .orderBy(...newestFirstOrder(KEY))
    .limit(q.limit + 1)
    .all();
  const page = pageOf(rows, q.limit, (r) => [r.createdAt, r.uid]);
  return {
    items: page.items.map(({ roles, ...p }) => partyBody(p, JSON.parse(roles) as PartyRole[])),
    nextCursor: page.nextCursor,
  };
}

/** One newest-first page of the current lenders: uid and display name. */
export async function lenderPage(db: Db, q: { limit: number; cursor?: string | undefined }) {
  const rows = await db
    .select({ uid: parties.uid, displayName: parties.displayName, createdAt: parties.createdAt })
    .from(parties)
    .where(and(holds("lender"), afterCursor(KEY, q.cursor)))
    .orderBy(...newestFirstOrder(KEY))
    .limit(q.limit + 1)
    .all();
  const page = pageOf(rows, q.limit, (r) => [r.createdAt, r.uid]);
  return { items: page.items.map(({ uid, displayName }) => ({ uid, displayName })), nextCursor: page.nextCursor };
}
