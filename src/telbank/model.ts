/**
 * Transfer rows and how the API shows them, and the status rule: a logged transfer is settled or
 * failed once; both are final.
 *
 * @module
 */
import { jsonObject } from "../core/json";
import * as z from "zod";
import type { TRANSFER_STATUSES, transfers } from "../db/schema";
import { invalidTransition } from "../core/errors";
import { maskAccount } from "./addresses";
import { formatAmount } from "./amounts";

/** A transfer as stored. */
export type TransferRow = typeof transfers.$inferSelect;
/** A transfer's status. */
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** The status transitions: from → the statuses it may go to. Anything else is 409 `invalid_transition`. */
export const TRANSFER_TRANSITIONS: Readonly<Record<TransferStatus, readonly TransferStatus[]>> = {
  logged: ["settled", "failed"],
  settled: [],
  failed: [],
};

/** Throws 409 `invalid_transition` unless `from → to` is in {@link TRANSFER_TRANSITIONS}. */
export function assertTransferTransition(from: TransferStatus, to: TransferStatus): void {
  if (!TRANSFER_TRANSITIONS[from].includes(to)) throw invalidTransition("transfer", from, to);
}

/** The label a transfer gets when the client sends none (the original's wording). */
export const defaultLabel = (direction: "in" | "out") => (direction === "in" ? "Fiat→Crypto inflow" : "Crypto→Fiat outflow");

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A transfer as the API shows it: the original's fields (the crypto amount as an exact decimal
 * string) plus the base units, decimals, owner and status change. Lists mask IBANs (`masked`).
 */
export function toTransfer(t: TransferRow, opts: { masked?: boolean } = {}) {
  const meta = jsonObject(t.meta);
  return {
    id: t.id,
    direction: t.direction,
    label: t.label,
    walletAddress: t.walletAddress,
    network: t.network,
    cryptoAmount: formatAmount(BigInt(t.cryptoAmount), t.cryptoDecimals),
    cryptoUnits: t.cryptoAmount,
    cryptoDecimals: t.cryptoDecimals,
    cryptoSymbol: t.cryptoSymbol,
    fiatAmount: t.fiatAmount,
    fiatCurrency: t.fiatCurrency,
    externalAccount: opts.masked ? maskAccount(t.externalAccount) : t.externalAccount,
    meta,
    status: t.status,
    statusChangedAt: t.statusChangedAt === null ? null : iso(t.statusChangedAt),
    statusReason: t.statusReason,
    ownerUid: t.actorUid,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

/** {@link toTransfer}'s shape, for the OpenAPI document. */
export const TransferOut = z.object({
  id: z.string(),
  direction: z.enum(["in", "out"]),
  label: z.string().nullable(),
  walletAddress: z.string().nullable(),
  network: z.string().nullable(),
  cryptoAmount: z
    .string()
    .describe('Exact decimal of the asset\'s unit, e.g. "1.5" (parse with a decimal library, never a float).'),
  cryptoUnits: z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/)
    .describe("The amount in base units (wei, satoshi…), a canonical base-10 integer."),
  cryptoDecimals: z.number().int(),
  cryptoSymbol: z.string(),
  fiatAmount: z.number().int().describe("Minor units of fiatCurrency."),
  fiatCurrency: z.string(),
  externalAccount: z.string().nullable().describe("IBANs are masked in lists."),
  meta: z.record(z.string(), z.unknown()),
  status: z.enum(["logged", "settled", "failed"]),
  statusChangedAt: z.string().nullable(),
  statusReason: z.string().nullable(),
  ownerUid: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
