/**
 * Request schemas of the telbank routes (strict: unknown fields are refused). The transfer body
 * is checked as a whole, because the amount's allowed decimals depend on the symbol and the
 * wallet address's rule on the network; every refusal is a 400 `validation_failed` naming the
 * field.
 *
 * @module
 */
import * as z from "zod";
import { CursorParam, LimitParam } from "../http/query";
import { Currency, MinorUnits } from "../money/money";
import { TRANSFER_STATUSES } from "../db/schema";
import { checkExternalAccount, checkWalletAddress } from "./addresses";
import { decimalsOf, parseAmount } from "./amounts";

/** An optional text field the original clients may send as `null` or `""` (both mean absent). */
const optionalText = (s: z.ZodString) =>
  z
    .union([s, z.literal(""), z.null()])
    .optional()
    .transform((v) => (v === "" || v === undefined ? null : v));

/** A wallet address as text: visible ASCII, no spaces (every network's format is within it). */
const AddressText = z.string().regex(/^[\x21-\x7e]{1,128}$/, "must be 1-128 visible ASCII characters without spaces");
/** A network name as clients write it (`"Ethereum Mainnet"`, `"polygon"`). */
const NetworkText = z
  .string()
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._()/-]{0,63}$/u, "must be a network name of 1-64 letters, digits, spaces or . _ ( ) / -");
/** An external account: an IBAN, a payment-service account or a reference. */
const AccountText = z.string().regex(/^[^\p{Cc}\p{Cf}]{1,100}$/u, "must be 1-100 characters without control characters");
const JsonObject = z
  .record(z.string(), z.unknown())
  .refine((o) => JSON.stringify(o).length <= 4096, { message: "must serialise to at most 4096 bytes" });

/** `POST /api/telbank/transfers` as sent. */
const TransferFields = z.strictObject({
  direction: z.enum(["in", "out"], { message: 'must be "in" or "out"' }),
  walletAddress: optionalText(AddressText),
  network: optionalText(NetworkText),
  /** A decimal string of the asset's unit (`"1.5"`); a JSON number only when it is exact. */
  cryptoAmount: z.union([z.string().max(80), z.number()]),
  /** Stored upper-case, so one asset's transfers group together. */
  cryptoSymbol: z
    .string()
    .regex(/^[A-Za-z0-9.]{1,16}$/, "must be 1-16 letters, digits or dots, e.g. ETH")
    .transform((s) => s.toUpperCase()),
  fiatAmount: MinorUnits,
  fiatCurrency: Currency,
  externalAccount: optionalText(AccountText),
  /** `null` or absent: the direction's default label. */
  label: z.string().min(1).max(200).nullable().optional(),
  meta: JsonObject.nullable().optional(),
});

/** The validated transfer: the amount in base units, the address and account in their stored forms. */
export const TransferBody = TransferFields.transform((b, ctx) => {
  const decimals = decimalsOf(b.cryptoSymbol);
  const amount = parseAmount(b.cryptoAmount, decimals);
  if (!amount.ok) ctx.addIssue({ code: "custom", path: ["cryptoAmount"], message: `${b.cryptoSymbol} amount ${amount.message}` });
  const wallet = b.walletAddress === null ? null : checkWalletAddress(b.network, b.walletAddress);
  if (wallet && !wallet.ok) ctx.addIssue({ code: "custom", path: ["walletAddress"], message: wallet.message });
  const account = b.externalAccount === null ? null : checkExternalAccount(b.externalAccount);
  if (account && !account.ok) ctx.addIssue({ code: "custom", path: ["externalAccount"], message: account.message });
  if (!amount.ok || (wallet && !wallet.ok) || (account && !account.ok)) return z.NEVER;
  return {
    ...b,
    units: amount.units,
    decimals,
    walletAddress: wallet?.ok ? wallet.address : null,
    externalAccount: account?.ok ? account.address : null,
  };
});
export type TransferBody = z.output<typeof TransferBody>;

/** `GET /api/telbank/transfers` */
export const TransferListQuery = z.strictObject({
  /** Exact address; an EVM address matches in any spelling (stored checksummed). */
  walletAddress: AddressText.optional(),
  direction: z.enum(["in", "out"]).optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});

/** `POST …/transfers/:id/status` */
export const TransferStatusBody = z.strictObject({
  status: z.enum(TRANSFER_STATUSES),
  reason: z.string().min(1).max(500).optional(),
});
export type TransferStatusBody = z.output<typeof TransferStatusBody>;
