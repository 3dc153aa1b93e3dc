/**
 * The portal browser suite's harness: a fresh local stack as `npm start` serves it, one built
 * offline manifest, and people — each a browser context of its own (cookies, localStorage,
 * IndexedDB) who onboard the way a real person does: open the manifest file, press
 * "Portal öffnen", land verified in the portal. Scenario modules (`./*.ts`) drive the areas
 * through their pages only; the admin API is used for what an operator does (granting roles).
 *
 * Waits are on DOM state (no sleeps, no timing assertions). Console errors and uncaught exceptions
 * fail the run, except the browser's own "Failed to load resource … 4xx" lines for refusals the
 * page shows (the scenarios check those texts).
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";

/** Upper bound of every single wait: generous for a loaded 2-core machine; never asserted on. */
export const WAIT_MS = 45_000;

/** A failed expectation of the suite. */
export class TestFailure extends Error {}

/** Throws {@link TestFailure} with `msg` unless `cond`. */
export function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new TestFailure(msg);
}

/** One line of progress. */
export const step = (msg: string) => console.log(`▸ ${msg}`);

/** The system Chromium (CHROMIUM_PATH overrides); never a downloaded browser. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    check(existsSync(fromEnv), `CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("which", [name], { encoding: "utf8" }).trim();
    } catch {
      // try the next name
    }
  }
  throw new TestFailure("no Chromium found: apt-get install -y chromium (or set CHROMIUM_PATH)");
}

/** A person: their own browser context and one tab. */
export interface Person {
  name: string;
  uid: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen in this person's pages. */
  errors: string[];
}

/** What every scenario gets. */
export interface Suite {
  base: string;
  adminToken: string;
  browser: Browser;
  /** file:// URL of the built offline manifest. */
  manifestUrl: string;
  /** Folder of this run's screenshots (test artifacts). */
  shots: string;
  /** The run's unique suffix (for ids made by the scenarios). */
  run: string;
  /** Onboards a new person from the offline manifest (cached by name). */
  person(name: string): Promise<Person>;
  /** Screenshot of `p`'s page as `portal-<area>.png` (full page). */
  shot(p: Person, area: string): Promise<void>;
  /** Calls the admin API as the operator. */
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** The browser's own log line for an answer the page handles (an API refusal it shows). */
const EXPECTED_RESOURCE_ERROR = /^Failed to load resource: the server responded with a status of 4\d\d/;

/** Opens a context and records its errors; the person is not onboarded yet. */
export async function newPerson(browser: Browser, base: string, name: string): Promise<Person> {
  const context = await browser.newContext({ baseURL: base, acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const p: Person = { name, uid: "", context, page, errors: [] };
  page.on("console", (m) => {
    if (m.type() === "error" && !EXPECTED_RESOURCE_ERROR.test(m.text()))
      p.errors.push(`console.error on ${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (err) => p.errors.push(`uncaught exception on ${page.url()}: ${err.stack ?? err.message}`));
  // Every dialog is a defect of the pages (they confirm in the page); dismissing keeps the run going.
  page.on("dialog", (d) => {
    p.errors.push(`unexpected ${d.type()} dialog on ${page.url()}: ${d.message()}`);
    void d.dismiss();
  });
  return p;
}

/**
 * The onboarding a person without anything but the manifest file does: open it (it makes the uid),
 * press "Portal öffnen" (a freshly signed link), land on the identity page verified with an
 * HttpOnly session cookie.
 */
export async function onboard(p: Person, manifestUrl: string, base: string): Promise<void> {
  await p.page.goto(manifestUrl);
  const uidText = p.page.locator("#uid");
  // A string predicate: it runs in the page, where `document` exists (this file is typed for Node).
  await p.page.waitForFunction('/^[A-Za-z0-9]{22}$/.test(document.getElementById("uid")?.textContent ?? "")', null, {
    timeout: WAIT_MS,
  });
  p.uid = ((await uidText.textContent()) ?? "").trim();
  await p.page.locator("#openPortal").click();
  await p.page.waitForURL((u) => u.href.startsWith(base), { timeout: WAIT_MS });
  await p.page.locator("#meUid", { hasText: p.uid }).waitFor({ timeout: WAIT_MS });
  check(!new URL(p.page.url()).hash.includes("sig="), `${p.name}: the signed link stayed in the address bar`);
  const cookie = (await p.context.cookies()).find((c) => c.name === "ts_session");
  check(cookie?.httpOnly, `${p.name}: no HttpOnly ts_session cookie after the manifest's link`);
}

/** Saves a full-page screenshot into the run's folder (and, with UPDATE_DOC_SHOTS=1, docs/img). */
export async function screenshot(p: Person, shots: string, area: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  const file = join(shots, `portal-${area}.png`);
  await p.page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_DOC_SHOTS === "1") {
    mkdirSync("docs/img", { recursive: true });
    copyFileSync(file, join("docs/img", `portal-${area}.png`));
  }
}

/** Waits until `#status` shows `text` (progress and API errors land there). */
export async function statusSays(p: Person, text: string | RegExp): Promise<void> {
  await p.page.locator("#status", { hasText: text }).waitFor({ timeout: WAIT_MS });
}

/** Goes to an area page and waits for the shell to show the person signed in. */
export async function openArea(p: Person, path: string): Promise<void> {
  await p.page.goto(path);
  await p.page.locator("#who", { hasText: p.uid }).waitFor({ timeout: WAIT_MS });
}
