// Types of public/js/core.js (a plain ES module served as-is), for the unit tests and type-aware editors.

export declare const UID_KEY: string;

export declare class ApiError extends Error {
  constructor(status: number, code: string, message: string, details?: unknown);
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
}

export declare function opKey(op: string): string;
export declare function opDone(op: string): void;
export declare function api(
  path: string,
  init?: { method?: string; body?: unknown; op?: string; form?: FormData; headers?: Record<string, string> },
): Promise<Record<string, unknown>>;
export declare const $: (id: string) => HTMLElement | null;
export declare function el(
  tag: string,
  props?: Record<string, unknown>,
  ...children: (Node | string | number | null | undefined | false)[]
): HTMLElement;
export declare function say(text: string, isError?: boolean): void;
export declare function withProgress<T>(
  trigger: HTMLElement | null,
  busyText: string,
  action: () => Promise<T>,
): Promise<T | undefined>;
export declare function button(label: string, action: () => Promise<unknown>, busyText?: string): HTMLButtonElement;
export declare function paged(
  container: HTMLElement,
  load: (cursor: string | null) => Promise<{ items: unknown[]; nextCursor?: string | null }>,
  render: (item: never) => Node,
  opts?: { empty?: string; more?: HTMLElement },
): Promise<void>;
export declare function money(p: { amount: number | string | bigint; currency?: string } | null | undefined): string;
export declare function parseMoney(text: string): number | null;
export declare function ppmPercent(ppm: number | string | bigint): string;
export declare const fmt: (iso: string | number) => string;
export declare const AREAS: readonly (readonly [string, string])[];
export interface Me {
  uid: string;
  thinker_id: string;
  pair_code: string | null;
  roles: string[];
  expiresAt: string;
  deviceKeys?: { keyId: string; label: string | null; createdAt: string; lastUsedAt: string | null }[];
}
export declare function whoAmI(): Promise<Me | null>;
export declare function forgetMe(): void;
export declare function mountShell(current: string): Promise<Me | null>;
export declare function showSignedOut(into?: HTMLElement | null): void;
export declare function query(params: Record<string, string | number | null | undefined>): string;
export declare function apiPages(
  path: string,
  params?: Record<string, string | number | null | undefined>,
  key?: string,
): (cursor: string | null) => Promise<{ items: any[]; nextCursor: string | null }>;
export declare function pagedList(
  container: HTMLElement,
  load: (cursor: string | null) => Promise<{ items: any[]; nextCursor?: string | null }>,
  render: (item: any) => Node,
  empty?: string,
): Promise<void>;
export declare function onSubmit(form: HTMLFormElement, busyText: string, action: () => Promise<unknown>): void;
export declare function showListError(container: HTMLElement, err: unknown): void;
