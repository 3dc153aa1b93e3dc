/**
 * Request schemas of the tranche routes (strict: unknown fields are refused).
 *
 * @module
 */
import * as z from "zod";
import { CursorParam, LimitParam } from "../http/query";
import { Uid } from "../identity/schemas";
import { Instant } from "./contract-tranche-kit";
import { MortgageId, PositiveMoneyIn, RateIn } from "./inputs";

export const IssueTrancheBody = z
  .strictObject({
    /** The accepted offer the contract came from (the shape investors know), or the contract itself. */
    underlyingOfferId: MortgageId.optional(),
    contractVoucherId: MortgageId.optional(),
    voucherId: MortgageId.optional(),
    type: z.literal("mortgage-tranche").optional(),
    /** The issuing lender, if named: must be the caller. */
    issuerId: Uid.optional(),
    nominalAmount: PositiveMoneyIn,
    expectedYield: RateIn,
    /** A short rating token such as `A`, `BBB+` or `2`. */
    riskClass: z.string().regex(/^[A-Za-z0-9+-]{1,8}$/, "must be 1-8 characters of A-Z a-z 0-9 + -"),
    durationYears: z.number().int().min(1).max(40),
    validity: z.strictObject({ validFrom: Instant.optional(), validUntil: Instant }).optional(),
  })
  .refine((b) => b.underlyingOfferId !== undefined || b.contractVoucherId !== undefined, {
    message: "underlyingOfferId or contractVoucherId is required",
    path: ["contractVoucherId"],
  });

export const TrancheListQuery = z
  .strictObject({
    /** `open`: tranches on offer now (for investors); `mine`: those the caller issued or holds. */
    scope: z.enum(["open", "mine"]).default("open"),
    /** With `scope=mine`: only the tranches the caller issued (`issuer`, as lender) or holds (`holder`). */
    role: z.enum(["issuer", "holder"]).optional(),
    limit: LimitParam(100, 50),
    cursor: CursorParam,
  })
  .refine((q) => q.role === undefined || q.scope === "mine", { message: "role narrows scope=mine only", path: ["role"] });

export const TrancheActionBody = z.strictObject({ voucherId: MortgageId });
