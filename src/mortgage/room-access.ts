/**
 * Who the parties of a mortgage object are, as the object's room admits them:
 * - property: its owner, and the lenders an application for it was shared with or that offered on one;
 * - application: the borrower, the lenders it was shared with (invited, or contact accepted), the lenders that offered;
 * - offer: the borrower and the offer's lender;
 * - contract: borrower, lender, and the contract's notary;
 * - tranche: the issuing lender and the investor holding it.
 * A market application is visible to every lender through the API, but its room is for the
 * parties only: a lender joins it by offering or by being shared with.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { MortgageObject } from "../rooms/room-id";

/** Lenders involved in an application (`app` is an SQL expression of its id). */
const involvedLender = (app: SQL, uid: string) => sql`(
  EXISTS (SELECT 1 FROM mortgage_application_lenders WHERE application_id = ${app} AND lender_uid = ${uid})
  OR EXISTS (SELECT 1 FROM mortgage_offers WHERE application_id = ${app} AND lender_uid = ${uid}))`;

/**
 * SQL condition: `uid` is a party of the mortgage object `object`/`id`; `id` is a value or an SQL
 * expression (a column of an outer query, as the legal hub's link rows use it).
 */
export function isPartySql(object: MortgageObject, id: SQL | string, uid: string): SQL {
  switch (object) {
    case "property":
      return sql`EXISTS (SELECT 1 FROM properties p WHERE p.id = ${id} AND (p.owner_uid = ${uid}
        OR EXISTS (SELECT 1 FROM mortgage_applications a WHERE a.property_id = p.id AND ${involvedLender(sql`a.id`, uid)})))`;
    case "application":
      return sql`EXISTS (SELECT 1 FROM mortgage_applications a WHERE a.id = ${id}
        AND (a.borrower_uid = ${uid} OR ${involvedLender(sql`a.id`, uid)}))`;
    case "offer":
      return sql`EXISTS (SELECT 1 FROM mortgage_offers WHERE id = ${id} AND ${uid} IN (borrower_uid, lender_uid))`;
    case "contract":
      return sql`EXISTS (SELECT 1 FROM mortgage_contracts WHERE id = ${id}
        AND (${uid} IN (borrower_uid, lender_uid) OR notary_uid = ${uid}))`;
    case "tranche":
      return sql`EXISTS (SELECT 1 FROM mortgage_tranches WHERE id = ${id} AND (lender_uid = ${uid} OR holder_uid = ${uid}))`;
  }
}

/** Query yielding `{party: 1}` when `uid` is a party of the object, `{party: 0}` otherwise; for a read batch. */
export function partyQuery(db: Db, object: MortgageObject, id: string, uid: string) {
  return db.select({ party: sql<number>`${isPartySql(object, id, uid)}`.mapWith(Number) }).from(sql`(SELECT 1)`);
}

/** SQL expression of an offer's application room, `mortgage:application:<application_id>`. */
export function applicationRoomOfOfferSql(offerId: string): SQL {
  return sql`('mortgage:application:' || (SELECT application_id FROM mortgage_offers WHERE id = ${offerId}))`;
}
