/**
 * CSV for the settlements export, pure (RFC 4180: CRLF, quotes doubled). Cells that a
 * spreadsheet would run as a formula (`= + - @`, tab, CR) are prefixed with `'` (CSV injection):
 * payer uids and beneficiary ids are user-influenced text.
 *
 * @module
 */
import { toMinor } from "../money/totals";

/**
 * Column order of the export; `total_minor` is the settlement's exact total in integer minor units
 * of `currency` (all its digits, also past 2^53).
 */
export const SETTLEMENT_CSV_COLUMNS = [
  "id",
  "beneficiary_id",
  "payer_uid",
  "period_from",
  "period_to",
  "currency",
  "total_minor",
  "item_count",
  "status",
  "created_at",
  "invoiced_at",
  "paid_at",
] as const;

/** One CSV cell. Numbers and BigInts are written as plain integers (never neutralised or quoted). */
export function csvCell(value: string | number | bigint | null): string {
  if (value === null) return "";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV line, CRLF-terminated. */
export function csvLine(values: ReadonlyArray<string | number | bigint | null>): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

/** The export line of a settlement (as returned by `toSettlement`). */
export function settlementCsvLine(s: {
  id: string;
  beneficiaryId: string;
  payerUid: string;
  periodFrom: string | null;
  periodTo: string | null;
  currency: string;
  /** Decimal string of minor units (as `toSettlement` sends it). */
  totalAmount: string;
  itemCount: number;
  status: string;
  createdAt: string | null;
  invoicedAt: string | null;
  paidAt: string | null;
}): string {
  return csvLine([
    s.id,
    s.beneficiaryId,
    s.payerUid,
    s.periodFrom,
    s.periodTo,
    s.currency,
    // A BigInt cell: a negative total (reversals exceeding charges) is a number, not a formula to neutralise.
    toMinor(s.totalAmount),
    s.itemCount,
    s.status,
    s.createdAt,
    s.invoicedAt,
    s.paidAt,
  ]);
}
