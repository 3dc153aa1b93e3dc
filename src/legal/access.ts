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

/** The link subjects, as the schema names them. */
export type Subject =
  | "voucher"
  | "room"
  | "mortgage_property"
  | "mortgage_application"
  | "mortgage_offer"
  | "mortgage_contract"
  | "mortgage_tranche";

// A lender is involved in an application when it was shared with them or they offered on it.
const involvedLender = (app: SQL, uid: string) => sql`(
  EXISTS (SELECT 1 FROM mortgage_application_lenders x WHERE x.application_id = ${app} AND x.lender_uid = ${uid})
  OR EXISTS (SELECT 1 FROM mortgage_offers x WHERE x.application_id = ${app} AND x.lender_uid = ${uid}))`;

/** SQL condition: `uid` is a party of the object (`type`, `id` are SQL expressions: values or columns). */
export function partySql(type: SQL, id: SQL, uid: string): SQL {
  return sql`(CASE ${type}
    WHEN 'voucher' THEN EXISTS (SELECT 1 FROM vouchers v WHERE v.id = ${id} AND (v.issuer_uid = ${uid} OR v.holder_uid = ${uid}))
    WHEN 'room' THEN EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = ${id} AND m.uid = ${uid})
    WHEN 'mortgage_property' THEN EXISTS (SELECT 1 FROM properties p WHERE p.id = ${id} AND (p.owner_uid = ${uid}
      OR EXISTS (SELECT 1 FROM mortgage_applications a WHERE a.property_id = p.id AND ${involvedLender(sql`a.id`, uid)})))
    WHEN 'mortgage_application' THEN EXISTS (SELECT 1 FROM mortgage_applications a WHERE a.id = ${id}
      AND (a.borrower_uid = ${uid} OR ${involvedLender(sql`a.id`, uid)}))
    WHEN 'mortgage_offer' THEN EXISTS (SELECT 1 FROM mortgage_offers o WHERE o.id = ${id} AND ${uid} IN (o.borrower_uid, o.lender_uid))
    WHEN 'mortgage_contract' THEN EXISTS (SELECT 1 FROM mortgage_contracts k WHERE k.id = ${id}
      AND (${uid} IN (k.borrower_uid, k.lender_uid) OR k.notary_uid = ${uid}))
    WHEN 'mortgage_tranche' THEN EXISTS (SELECT 1 FROM mortgage_tranches t WHERE t.id = ${id} AND (t.lender_uid = ${uid} OR t.holder_uid = ${uid}))
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
