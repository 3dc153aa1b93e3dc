/**
 * Input pieces shared by the mortgage request schemas: object ids, amounts and rates.
 *
 * @module
 */
import * as z from "zod";
import { Currency, MAX_AMOUNT, MinorUnits } from "../money/money";
import { rateToPpm } from "../money/rate";

/**
 * A client-chosen id of a mortgage object. It becomes part of the object's room id
 * (`mortgage:<object>:<id>`), so it uses the room subject's alphabet and leaves room for the prefix.
 */
export const MortgageId = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "must be 1-100 characters of A-Z a-z 0-9 _ . -");

/** `{amount, currency}` with `amount` in integer minor units, 0 … MAX_AMOUNT. */
export const MoneyIn = z.strictObject({ amount: MinorUnits, currency: Currency });

/** `{amount, currency}` with a positive amount (a price, a loan). */
export const PositiveMoneyIn = z.strictObject({ amount: z.number().int().min(1).max(MAX_AMOUNT), currency: Currency });

/**
 * A rate as a decimal fraction (`0.04` = 4 %), as a JSON number or a decimal string, parsed
 * exactly into integer ppm (never through float arithmetic); anything a ppm cannot hold exactly,
 * or outside 0 … 1, is a 400 `validation_failed`.
 */
export const RateIn = z.union([z.number(), z.string().max(40)]).transform((v, ctx) => {
  try {
    return rateToPpm(v);
  } catch (err) {
    ctx.addIssue({ code: "custom", input: v, message: err instanceof Error ? err.message : "not a rate" });
    return z.NEVER;
  }
});

/** A JSON object of at most `maxBytes` once serialised (free-form data a client attaches). */
export const SmallJsonObject = (maxBytes: number) =>
  z
    .record(z.string(), z.unknown())
    .refine((o) => JSON.stringify(o).length <= maxBytes, { message: `must serialise to at most ${maxBytes} bytes` });
