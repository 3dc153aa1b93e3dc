// Types of public/admin-core.js (a plain ES module served as-is), for the unit tests.

export declare const TOKEN_KEY: string;
export declare const MAX_EVENTS: number;
export declare const EVENT_POLL_MS: number;
export declare const EVENT_PAGE: number;
export declare const SETTLEMENT_PAGE: number;
export declare const DEFAULT_DAYS: number;
export declare const MAX_RANGE_DAYS: number;
export declare const MAX_AMOUNT: number;
export declare const CURRENCIES: readonly string[];
export declare const ROUNDING_MODES: readonly string[];

export interface Filters {
  readonly status?: string;
  readonly currency?: string;
  readonly payer?: string;
}
export interface CleanFilters {
  status?: "open" | "invoiced" | "paid";
  currency?: string;
  payer?: string;
}

export interface FeeRule {
  readonly ratePpm: number;
  readonly fixedAmount: number;
  readonly currency: string | null;
  readonly rounding: string;
  readonly active: boolean;
  readonly version: number;
}
export interface FeeForm {
  readonly ratePpm: string;
  readonly fixedAmount: string;
  readonly currency: string;
  readonly rounding: string;
  readonly active: boolean;
}

export interface StreamEvent {
  readonly id: string;
  readonly createdAt: unknown;
}

export type RangeResult =
  | { ok: true; from: string; to: string; fromMs: number; toMs: number; days: number }
  | { ok: false; error: string };

export declare function currencyExponent(code: string): number | undefined;
export declare function toBigInt(v: unknown): bigint | null;
export declare function sumMinor(amounts: readonly unknown[]): string | null;
export declare function minorToDecimal(amount: number | bigint | string, exponent: number): string | null;
export declare function formatMoney(amount: number | bigint | string, currency: string, locale?: string): string;
export declare function formatPpm(ppm: number, locale?: string): string;
export declare function chartValue(amount: number | bigint | string, currency: string): number;

export declare function queryString(params: Record<string, string | number | boolean | null | undefined>): string;
export declare function cleanFilters(f: Filters): CleanFilters;
export declare function settlementsPath(filters: Filters, cursor?: string | null, limit?: number): string;
export declare function exportPath(filters: Filters): string;
export declare function actionPath(id: string, action: "invoice" | "pay"): string;
export declare function nextAction(status: string): "invoice" | "pay" | null;
export declare function csvFilename(filters: Filters, now: number): string;

export declare function utcDay(ms: number): string;
export declare function dayStart(day: string): number | null;
export declare function defaultRange(now: number, days?: number): { from: string; to: string };
export declare function rangeInstants(range: { from: string; to: string }, maxDays?: number): RangeResult;
export declare function daysBetween(fromMs: number, toMs: number): string[];
export declare function toMs(v: unknown): number;
export declare function periodLabel(from: string, to: string): string;

export declare function describeError(status: number, body: unknown): { auth: boolean; code: string; message: string };
export declare function validToken(token: string): boolean;

export declare function ageText(seconds: number): string;
export declare function healthLines(body: unknown): { label: string; ok: boolean; text: string }[];
export declare function presenceLine(body: unknown): string;

export declare function feeUpdateBody(
  rule: FeeRule,
  form: FeeForm,
): { ok: true; body: Record<string, unknown> } | { ok: false; error: string };

export declare function newestFirst(a: StreamEvent, b: StreamEvent): number;
export declare function mergeEvents<E extends StreamEvent>(
  current: readonly E[],
  incoming: readonly E[],
  cap?: number,
): { items: E[]; added: string[] };
export declare function eventsPollPath(
  shown: readonly StreamEvent[],
  opts?: { type?: string; startingAfter?: string | null; limit?: number },
): string;
export declare function needsNextPage(
  page: { items: readonly { id: string }[]; hasMore?: boolean },
  shownIds: ReadonlySet<string>,
  limit?: number,
): boolean;
export declare function metaText(meta: unknown, max?: number): string;

export declare function bookingSeries(
  rows: readonly { day: string; booked?: number; cancelled?: number; rescheduled?: number }[],
  days: readonly string[],
): [number[], number[], number[], number[]];
export declare function feeSeries(
  rows: readonly { day: string; currency: string; net: number | bigint | string }[],
  days: readonly string[],
): { x: number[]; currencies: string[]; series: number[][]; perDay: string[][]; totals: { currency: string; amount: string }[] };
