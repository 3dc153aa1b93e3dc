/**
 * Small page helpers of the deal scenarios (mortgage, legal hub, telbank, manifest sync): waiting
 * for a list's first render, for a table row naming something, and for a status line whose text
 * carries an id the scenario needs next. Every wait is on DOM state, bounded by {@link WAIT_MS}.
 *
 * @module
 */
import type { Locator } from "playwright-core";
import { type Person, WAIT_MS, check } from "./harness";

/**
 * Waits until the list body `sel` shows its first render (rows, or its empty-state row), so a
 * write made next is not overtaken by the page's initial load rendering an older answer.
 */
export async function listLoaded(p: Person, sel: string): Promise<void> {
  await p.page.locator(`${sel} > *`).first().waitFor({ timeout: WAIT_MS });
}

/**
 * Waits until the page's first load is over: the list bodies `sels` rendered and `#status` empty
 * again (the pages clear their "Lade …" line once every initial list is in). A message the
 * scenario waits for next can then not be wiped by the end of that load.
 */
export async function pageReady(p: Person, sels: readonly string[]): Promise<void> {
  for (const sel of sels) await listLoaded(p, sel);
  await p.page.locator("#status:empty").waitFor({ state: "attached", timeout: WAIT_MS });
}

/** The row of list body `sel` whose text contains `text`, once it is shown. */
export async function row(p: Person, sel: string, text: string | RegExp): Promise<Locator> {
  const r = p.page.locator(`${sel} > tr`, { hasText: text });
  await r.first().waitFor({ timeout: WAIT_MS });
  check((await r.count()) === 1, `${p.name}: ${await r.count()} rows of ${sel} contain ${String(text)}`);
  return r;
}

/** Waits until the row of `sel` containing `key` also shows `text` (a status after a reload or action). */
export async function rowShows(p: Person, sel: string, key: string, text: string | RegExp): Promise<Locator> {
  const r = p.page.locator(`${sel} > tr`, { hasText: key }).filter({ hasText: text });
  await r.first().waitFor({ timeout: WAIT_MS });
  return r;
}

/**
 * Waits until `#status` matches `re` and returns the match (its groups carry the ids the page
 * announces, e.g. "Anfrage app-… gestellt."). An error shown instead fails with that text.
 */
export async function statusMatch(p: Person, re: RegExp): Promise<RegExpExecArray> {
  const status = p.page.locator("#status");
  await p.page.locator("#status", { hasText: re }).or(p.page.locator("#status.error")).waitFor({ timeout: WAIT_MS });
  const text = ((await status.textContent()) ?? "").trim();
  const m = re.exec(text);
  check(m, `${p.name}: the page says "${text}" instead of ${String(re)}`);
  return m;
}

/** The trimmed text of `loc`. */
export async function textOf(loc: Locator): Promise<string> {
  return ((await loc.textContent()) ?? "").trim();
}
