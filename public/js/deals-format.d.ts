// Types of public/js/deals-format.js (a plain ES module served as-is), for the unit tests.

export declare const PPM_PER_UNIT: bigint;
export declare function rateToPpm(rate: number | string | null | undefined): number | null;
export declare function ppmPercent(ppm: number | null | undefined, minDecimals?: number): string;
export declare function ratePercent(rate: number | string | null | undefined): string;
export declare function percentStringDe(text: string | null | undefined): string;
export declare function percentToRate(text: string): string | null;
export declare function durationText(months: number): string;

export interface Money {
  readonly amount: number | string;
  readonly currency: string;
}

/** The fields of an offer (mortgage.md "Offer") the comparison reads. */
export interface OfferFigures {
  readonly loan: { amount: number; currency: string };
  readonly interest: {
    nominalRate: number;
    effectiveRate: number;
    effectiveRatePercent: string;
    fixedYears: number;
  };
  readonly repayment: { initialRate: number | null };
  readonly fees: { total: number };
  readonly figures: {
    monthlyPayment: { amount: number; currency: string };
    numberOfPayments: number;
    totalAmountPaid: { amount: number; currency: string };
    totalInterest: { amount: number; currency: string };
    remainingDebtAtFixedEnd: { amount: number; currency: string };
  };
  readonly validity: { validUntil: string };
}

export declare function totalCost(offer: {
  readonly figures: { totalAmountPaid: { amount: number; currency: string } };
  readonly fees: { total: number };
}): { amount: string; currency: string };

export interface ComparisonRow {
  key: string;
  label: string;
  cells: string[];
  best: number[];
}
export declare function compareOffers(offers: readonly OfferFigures[], money: (p: Money) => string): ComparisonRow[];

export interface PlanRow {
  month: number;
  payment: number;
  interest: number;
  principal: number;
  balance: number;
}
export interface PlanYear {
  year: number;
  months: number;
  payments: number;
  interest: number;
  principal: number;
  balance: number;
}
export declare function yearlySummary(rows: readonly PlanRow[]): PlanYear[];
export declare function planExcerpt<T>(
  rows: readonly T[],
  head?: number,
  tail?: number,
): { head: T[]; tail: T[]; hidden: number };

export type ContractAction =
  | "signed-by-borrower"
  | "signed-by-lender"
  | "signed-by-notary"
  | "assign-notary"
  | "cancel"
  | "issue-tranche";
export declare function contractActions(
  c: {
    status: string;
    borrowerUid: string;
    lenderId: string;
    notaryUid: string | null;
    signedByBorrower: boolean;
    signedByLender: boolean;
  },
  uid: string,
  roles: readonly string[],
): ContractAction[];

export declare const STATUS_DE: Readonly<Record<string, string>>;
export declare function statusDe(status: string): string;

export declare const SYNC_LABELS: Readonly<Record<"created" | "updated" | "unchanged" | "conflict" | "invalid", string>>;
export interface SyncResult {
  index: number;
  clientId: string | null;
  status: string;
  version?: number;
  baseVersion?: number;
  errors?: string[];
}
export declare function syncResultText(r: SyncResult): { label: string; reason: string };
export declare function syncSummary(results: readonly { status: string }[]): string;

export declare function parseExport(
  text: string,
): { ok: true; value: { source: string; version: number; posts: unknown[] } } | { ok: false; error: string };

export declare function cryptoAmountInput(text: string): string | null;
export declare function toHex(bytes: ArrayBuffer | Uint8Array): string;
export declare function hashVerdict(computedHex: string, storedHex: string): { ok: boolean; text: string };
export declare function formatBytes(n: number): string;
export declare function opName(prefix: string, value: unknown): string;
