/**
 * Request schemas of the contract routes (strict: unknown fields are refused).
 *
 * @module
 */
import * as z from "zod";
import { CursorParam, LimitParam } from "../http/query";
import { Uid } from "../identity/schemas";
import { MortgageId } from "./inputs";

/** The actions of `update-status`, in the order a contract usually sees them. */
export const CONTRACT_ACTIONS = [
  "signed-by-borrower",
  "signed-by-lender",
  "assign-notary",
  "signed-by-notary",
  "cancel",
] as const;

export const UpdateStatusBody = z
  .strictObject({
    contractVoucherId: MortgageId,
    action: z.enum(CONTRACT_ACTIONS),
    /** The notary to name (`assign-notary` only). */
    notaryUid: Uid.optional(),
  })
  .refine((b) => (b.action === "assign-notary") === (b.notaryUid !== undefined), {
    message: "notaryUid is required with assign-notary and allowed only there",
    path: ["notaryUid"],
  });

export const ContractListQuery = z.strictObject({
  status: z.enum(["draft", "pending-notary", "signed", "cancelled"]).optional(),
  /** Only the contracts the caller is this party of (default: any of the three). */
  role: z.enum(["borrower", "lender", "notary"]).optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});
