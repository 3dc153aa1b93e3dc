/**
 * Who may see and link a legal-hub document.
 *
 * - A document is visible to its creator and to every party of an object it is linked to.
 * - Parties: a voucher's issuer and current holder; a room's members (whoever entered it, which
 *   the room's own access rule decided); a mortgage object's parties as its room admits them
 *   (property owner and involved lenders; application borrower and involved lenders; offer and
 *   contract borrower and lender, plus the contract's notary; tranche lender and holder).
 * - Linking (and unlinking) needs the document's creator or a party of the document's existing
 *   links, AND a party of the target: nobody attaches a paper to someone else's deal.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import { contracts } from "../db/schema";
import { isPartySql } from "../mortgage/room-access";

/** The link subjects, as the schema names them. */
export type Subject =
  | "voucher"
  | "room"
  | "mortgage_property"
  | "mortgage_application"
  | "mortgage_offer"
  | "mortgage_contract"
  | "mortgage_tranche";

/**
 * SQL condition: `uid` is a party of the object (`type`, `id` are SQL expressions: values or
 * columns). Mortgage objects use their room's rule, so a document's readers are its room's members.
 */
export function partySql(type: SQL, id: SQL, uid: string): SQL {
  return sql`(CASE ${type}
    WHEN 'voucher' THEN EXISTS (SELECT 1 FROM vouchers v WHERE v.id = ${id} AND (v.issuer_uid = ${uid} OR v.holder_uid = ${uid}))
    WHEN 'room' THEN EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = ${id} AND m.uid = ${uid})
    WHEN 'mortgage_property' THEN ${isPartySql("property", id, uid)}
    WHEN 'mortgage_application' THEN ${isPartySql("application", id, uid)}
    WHEN 'mortgage_offer' THEN ${isPartySql("offer", id, uid)}
    WHEN 'mortgage_contract' THEN ${isPartySql("contract", id, uid)}
    WHEN 'mortgage_tranche' THEN ${isPartySql("tranche", id, uid)}
    ELSE 0 END)`;
}

/** SQL condition: the object exists (whoever its parties are). */
export function existsSql(type: SQL, id: SQL): SQL {
  return sql`(CASE ${type}
    WHEN 'voucher' THEN EXISTS (SELECT 1 FROM vouchers WHERE id = ${id})
    WHEN 'room' THEN EXISTS (SELECT 1 FROM rooms WHERE id = ${id})
    WHEN 'mortgage_property' THEN EXISTS (SELECT 1 FROM properties WHERE id = ${id})
    WHEN 'mortgage_application' THEN EXISTS (SELECT 1 FROM mortgage_applications WHERE id = ${id})
    WHEN 'mortgage_offer' THEN EXISTS (SELECT 1 FROM mortgage_offers WHERE id = ${id})
    WHEN 'mortgage_contract' THEN EXISTS (SELECT 1 FROM mortgage_contracts WHERE id = ${id})
    WHEN 'mortgage_tranche' THEN EXISTS (SELECT 1 FROM mortgage_tranches WHERE id = ${id})
    ELSE 0 END)`;
}

/** SQL condition on a `contracts` row: `uid` may see it (its creator, or a party of one of its links). */
export function visibleSql(uid: string): SQL {
  return sql`(${contracts.createdBy} = ${uid} OR EXISTS (SELECT 1 FROM contract_links l
    WHERE l.contract_id = ${contracts.id} AND ${partySql(sql`l.subject_type`, sql`l.subject_id`, uid)}))`;
}
