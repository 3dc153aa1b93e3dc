/**
 * CSV for the settlements export, pure (RFC 4180: CRLF, quotes doubled). Cells that a
 * spreadsheet would run as a formula (`= + - @`, tab, CR) are prefixed with `'` (CSV injection):
 * payer uids and beneficiary ids are user-influenced text.
 *
 * @module
 */

/** Column order of the export; amounts are integer minor units of `currency`. */
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

/** One CSV cell. */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV line, CRLF-terminated. */
export function csvLine(values: ReadonlyArray<string | number | null>): string {
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
  totalAmount: number;
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
    s.totalAmount,
    s.itemCount,
    s.status,
    s.createdAt,
    s.invoicedAt,
    s.paidAt,
  ]);
}
