/**
 * `npm run test:browser:admin`: public/admin.html in a real Chromium (playwright-core, the system's
 * `chromium`; no browser is downloaded) against the local stack as `npm start` serves it, with uPlot
 * vendored into public/vendor/ first (`npm run vendor`).
 *
 * Seeds through the API: two issuers (EUR and JPY prices) whose vouchers a holder books, one
 * booking cancelled with a hostile reason (markup that must show as text), then a settlement run
 * of today up to now. In the page: a wrong token is refused (401 shown, token not kept), the right
 * one is kept in sessionStorage only; health, both charts, the fee totals, the settlements table,
 * invoice → pay, a stale action answered 409 (shown, row refreshed), filters, the CSV download
 * (Blob, named after the filters), a settlement run from the form, a fee rule edited inline and a
 * version conflict (reloaded), the live event stream (new events on top, pause holds them back),
 * forget token. Screenshot: SCREENSHOT (default /tmp/admin.png).
 *
 * Waits are on DOM state only (no timing assertions). Any console error or uncaught exception
 * except the HTTP errors the test provokes fails the run. Exit code 0 = pass, 1 = fail.
 * Environment: CHROMIUM_PATH (default: `chromium` on PATH), KEEP_TMP=1 keeps the temp folder,
 * SCREENSHOT=<path>.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { killAllSync, logTail, stopServer, waitForHttp } from "../../bench/lib/proc";
import { exampleVars, type Identity, login, postJson } from "../../bench/lib/setup";
import { applyAppMigrations, type Served, startApp } from "../../bench/lib/stack";
import { vendorAssets } from "../../src/dev/vendor";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
process.chdir(ROOT);

/** Upper bound of every single wait: generous for a loaded 2-core machine; never asserted on. */
const WAIT_MS = 30_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOSTILE = "<img src=x onerror=window.__xss=1>";

const step = (msg: string) => console.log(`▸ ${msg}`);

class TestFailure extends Error {}
function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new TestFailure(msg);
}

function chromiumPath(): string {
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

/** Admin API calls of the test itself (seeding, changes behind the page's back). */
function adminApi(base: string, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
}

/** Issues a priced voucher and books its first free slot as `holder`. */
async function issueAndBook(base: string, issuer: Identity, holder: Identity, price: { amount: number; currency: string }) {
  const validFrom = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
  const { voucher } = await postJson(base, "/api/voucher/issue", {
    body: {
      issuerUid: issuer.uid,
      title: "Admin browser check",
      durationMinutes: 60,
      validFrom: new Date(validFrom).toISOString(),
      validUntil: new Date(validFrom + 24 * HOUR).toISOString(),
      price,
    },
    session: issuer.session,
  });
  const slots = (await (await fetch(`${base}/api/slots/available?voucherId=${voucher.voucherId}&limit=1`)).json()) as {
    items: { slotId: string }[];
  };
  const slotId = slots.items[0]?.slotId;
  check(slotId, `no free slot on ${voucher.voucherId}`);
  const { booking } = await postJson(base, "/api/voucher/book", {
    body: { voucherId: voucher.voucherId, slotId, holderUid: holder.uid },
    session: holder.session,
  });
  return { voucher, booking };
}

/** Evaluates a browser-side expression (a string: this project compiles without the DOM types). */
const js = <T>(page: Page, expr: string) => page.evaluate(expr) as Promise<T>;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** A settlement row of the page's table, by payer uid. */
const row = (page: Page, payer: string) => page.locator("#settlements tr", { hasText: payer });

async function main(): Promise<void> {
  const executablePath = chromiumPath();
  vendorAssets(ROOT);
  const tmp = mkdtempSync(join(tmpdir(), "admin-browser-"));
  const state = join(tmp, "state");
  let app: Served | undefined;
  let browser: Browser | undefined;
  try {
    step(`migrating a fresh local D1 in ${state}`);
    applyAppMigrations(state);
    app = await startApp(state, join(tmp, "pages-dev.log"));
    step(`wrangler pages dev (Pages project + backend Worker) on ${app.url}`);
    await waitForHttp(app.server, `${app.url}/api/voucher/templates`);
    const base = app.url;
    const vars = exampleVars();
    const secret = vars.MOT_SHARED_SECRET ?? "";
    const token = vars.ADMIN_TOKEN ?? "";
    check(secret && token, ".dev.vars.example lacks MOT_SHARED_SECRET or ADMIN_TOKEN");
    const admin = adminApi(base, token);

    // ── Seed ────────────────────────────────────────────────────────────────────────────────────
    const run = Date.now().toString(36);
    const euro = await login(base, `adminEuro${run}`, secret);
    const yen = await login(base, `adminYen${run}`, secret);
    const holder = await login(base, `adminHolder${run}`, secret);
    await issueAndBook(base, euro, holder, { amount: 5000, currency: "EUR" });
    const second = await issueAndBook(base, euro, holder, { amount: 5000, currency: "EUR" });
    await issueAndBook(base, yen, holder, { amount: 150_000, currency: "JPY" });
    await postJson(base, "/api/voucher/cancel", {
      body: { bookingId: second.booking.bookingId, reason: HOSTILE },
      session: holder.session,
    });
    await issueAndBook(base, euro, holder, { amount: 2500, currency: "EUR" });
    // Fee events so far: EUR +100, +100, −100 (reversal), +50 → 150 cents; JPY 3000.
    await new Promise((r) => setTimeout(r, 50));
    const todayStart = Math.floor(Date.now() / DAY) * DAY;
    const settled = await admin<{ run: { status: string; assigned: number } }>("POST", "/api/admin/settlements/run", {
      from: new Date(todayStart).toISOString(),
      to: new Date(Date.now() - 10).toISOString(),
    });
    check(
      settled.status === 200 && settled.body.run.status === "done" && settled.body.run.assigned === 5,
      `settlement run: ${JSON.stringify(settled)}`,
    );
    step(
      `seeded: 4 bookings (EUR, JPY), 1 cancel with a hostile reason; settlement run assigned ${settled.body.run.assigned} fee events`,
    );

    // ── Browser ─────────────────────────────────────────────────────────────────────────────────
    browser = await chromium.launch({ executablePath, headless: true });
    step(`Chromium ${browser.version()} (${executablePath})`);
    const context = await browser.newContext({ baseURL: base, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (err) => errors.push(`uncaught: ${err.stack ?? err.message}`));
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));

    await page.goto("/admin.html");
    await page.locator("#login:not([hidden])").waitFor({ timeout: WAIT_MS });
    check(await page.locator("#app").isHidden(), "the dashboard is visible before a token was given");

    await page.locator("#tokenInput").fill("wrong-token");
    await page.locator("#tokenForm button[type=submit]").click();
    await page.locator("#loginError", { hasText: "falsch" }).waitFor({ timeout: WAIT_MS });
    await page.locator("#login:not([hidden])").waitFor({ timeout: WAIT_MS });
    check((await js<number>(page, "sessionStorage.length")) === 0, "a refused token was kept in sessionStorage");
    step("wrong token: 401 shown, asked again, nothing stored");

    await page.locator("#tokenInput").fill(token);
    await page.locator("#tokenForm button[type=submit]").click();
    await page.locator("#app:not([hidden])").waitFor({ timeout: WAIT_MS });
    await page.locator("#status", { hasText: "Aktuell." }).waitFor({ timeout: WAIT_MS });
    const storage = await js<{ session: [string, string][]; local: string[] }>(
      page,
      "({ session: Object.entries(sessionStorage), local: Object.keys(localStorage) })",
    );
    check(
      storage.session.length === 1 && storage.session[0]?.[1] === token,
      `sessionStorage: ${JSON.stringify(storage.session)}`,
    );
    check(storage.local.length === 0, `localStorage is not empty: ${storage.local.join(", ")}`);
    check(!requests.some((u) => u.includes(token)), "the token appeared in a request URL");
    check(!page.url().includes(token), "the token appeared in the page URL");
    step("right token: dashboard shown, token in sessionStorage only, never in a URL");

    // Health, charts, totals
    await page.locator("#health dt", { hasText: "Präsenz" }).waitFor({ timeout: WAIT_MS });
    const healthText = (await page.locator("#health").textContent()) ?? "";
    check((await page.locator("#health .badge.bad").count()) === 0, `health shows a problem: ${healthText}`);
    check(/D1.*antwortet/.test(healthText) && /Abrechnungslauf.*aktuell/.test(healthText), `health: ${healthText}`);
    for (const id of ["bookingsChart", "feesChart"]) {
      await page.locator(`#${id} .uplot canvas`).waitFor({ timeout: WAIT_MS });
    }
    const bookingsSummary = (await page.locator("#bookingsSummary").textContent()) ?? "";
    check(/^4 Buchungen, 1 Stornos, 0 Umbuchungen/.test(bookingsSummary), `bookings summary: ${bookingsSummary}`);
    const feesSummary = ((await page.locator("#feesSummary").textContent()) ?? "").replace(/[\u00a0\u202f]/g, " ");
    check(feesSummary.includes("1,50 €") && feesSummary.includes("3.000 ¥"), `fees summary: ${feesSummary}`);
    const feeLegend = await page.locator("#feesChart .u-legend").textContent();
    check(feeLegend?.includes("EUR") && feeLegend.includes("JPY"), `fee chart legend: ${feeLegend}`);
    const totals = ((await page.locator("#feeTotals").textContent()) ?? "").replace(/[\u00a0\u202f]/g, " ");
    check(totals.includes("EUR") && totals.includes("JPY"), `fee totals table: ${totals}`);
    step(
      `health: all checks OK (D1, migrations, settlement run current), presence line; charts drawn (${bookingsSummary.trim()} ${feesSummary.trim()}); totals per currency shown`,
    );

    // Settlements: invoice → pay
    await row(page, euro.uid).waitFor({ timeout: WAIT_MS });
    await row(page, yen.uid).waitFor({ timeout: WAIT_MS });
    const euroText = ((await row(page, euro.uid).textContent()) ?? "").replace(/[\u00a0\u202f]/g, " ");
    check(euroText.includes("1,50 €") && euroText.includes("offen"), `EUR row: ${euroText}`);
    const yenText = ((await row(page, yen.uid).textContent()) ?? "").replace(/[\u00a0\u202f]/g, " ");
    check(yenText.includes("3.000 ¥"), `JPY row: ${yenText}`);
    await row(page, euro.uid)
      .getByRole("button", { name: /^Rechnung stellen/ })
      .click();
    await row(page, euro.uid).locator(".badge.invoiced").waitFor({ timeout: WAIT_MS });
    await row(page, euro.uid)
      .getByRole("button", { name: /^Als bezahlt markieren/ })
      .click();
    await row(page, euro.uid).locator(".badge.paid").waitFor({ timeout: WAIT_MS });
    check((await row(page, euro.uid).getByRole("button").count()) === 0, "a paid settlement still offers an action");
    const list = await admin<{ items: { payerUid: string; status: string }[] }>(
      "GET",
      `/api/admin/settlements?payer=${euro.uid}`,
    );
    check(list.body.items[0]?.status === "paid", `API says the EUR settlement is ${list.body.items[0]?.status}`);
    check(dialogs.length === 2, `expected 2 confirm dialogs, saw ${dialogs.length}`);
    step(`settlements: 2 rows (1,50 € / 3.000 ¥); invoice then pay after confirm (“${dialogs[0]}”), API agrees`);

    // A stale row: invoiced behind the page's back → 409 shown, row refreshed.
    const yenId = (await admin<{ items: { id: string }[] }>("GET", `/api/admin/settlements?payer=${yen.uid}`)).body.items[0]?.id;
    check(yenId, "no JPY settlement");
    const behind = await admin("POST", `/api/admin/settlements/${yenId}/invoice`, {});
    check(behind.status === 200, "invoicing behind the page failed");
    await row(page, yen.uid)
      .getByRole("button", { name: /^Rechnung stellen/ })
      .click();
    await page.locator("#status.error", { hasText: "invalid_transition" }).waitFor({ timeout: WAIT_MS });
    await row(page, yen.uid).locator(".badge.invoiced").waitFor({ timeout: WAIT_MS });
    step(`stale invoice: “${await page.locator("#status").textContent()}”, row refreshed to “in Rechnung”`);

    // Filters and CSV
    await page.locator("#fStatus").selectOption("paid");
    await page.locator("#filterForm button[type=submit]").click();
    await page.locator("#settlementsInfo", { hasText: "1 angezeigt" }).waitFor({ timeout: WAIT_MS });
    check((await row(page, yen.uid).count()) === 0, "the status filter still shows the invoiced JPY settlement");
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: WAIT_MS }), page.locator("#csv").click()]);
    const csvName = download.suggestedFilename();
    check(/^settlements-paid-\d{8}T\d{6}Z\.csv$/.test(csvName), `CSV filename: ${csvName}`);
    const csvPath = join(tmp, csvName);
    await download.saveAs(csvPath);
    const csv = readFileSync(csvPath, "utf8").trim().split("\r\n");
    check(csv[0]?.startsWith("id,beneficiary_id,payer_uid,"), `CSV header: ${csv[0]}`);
    check(csv.length === 2 && csv[1]?.includes(euro.uid) && csv[1].includes(",150,"), `CSV rows: ${csv.slice(1).join(" | ")}`);
    step(`CSV downloaded as ${csvName}: header + 1 row (${csv[1]?.slice(0, 60)}…)`);
    await page.locator("#fStatus").selectOption("");
    await page.locator("#filterForm button[type=submit]").click();
    await page.locator("#settlementsInfo", { hasText: "2 angezeigt" }).waitFor({ timeout: WAIT_MS });

    // Settlement run from the form: yesterday (nothing left to assign).
    const yesterday = utcDay(Date.now() - DAY);
    await page.locator("#runFrom").fill(yesterday);
    await page.locator("#runTo").fill(yesterday);
    await page.locator("#runForm button[type=submit]").click();
    await page.locator("#runResult", { hasText: "Fertig" }).waitFor({ timeout: WAIT_MS });
    step(`run form: “${await page.locator("#runResult").textContent()}”`);

    // Fee rule inline edit, then a version conflict.
    const feeRow = page.locator("#fees tr", { hasText: "voucher.booking" });
    await feeRow.waitFor({ timeout: WAIT_MS });
    const v0 = Number(await feeRow.locator("td").nth(6).textContent());
    await feeRow.getByRole("spinbutton", { name: /^Rate in ppm/ }).fill("25000");
    await feeRow.getByRole("button", { name: /speichern/ }).click();
    await page.locator("#status", { hasText: `Version ${v0 + 1}` }).waitFor({ timeout: WAIT_MS });
    const freshRow = page.locator("#fees tr", { hasText: "voucher.booking" });
    const rateText = ((await freshRow.locator("td").nth(1).textContent()) ?? "").replace(/[\u00a0\u202f]/g, " ");
    check(rateText.includes("2,5 %"), `the saved rate shows "${rateText}", not 2,5 %`);
    const changed = await admin("PUT", "/api/admin/fees/voucher.booking", { ratePpm: 30_000 });
    check(changed.status === 200, `PUT behind the page: ${changed.status}`);
    await freshRow.getByRole("spinbutton", { name: /^Rate in ppm/ }).fill("26000");
    await freshRow.getByRole("button", { name: /speichern/ }).click();
    await page.locator("#status.error", { hasText: "inzwischen geändert" }).waitFor({ timeout: WAIT_MS });
    const reloaded = page.locator("#fees tr", { hasText: "voucher.booking" });
    await reloaded.locator("td.num", { hasText: new RegExp(`^${v0 + 2}$`) }).waitFor({ timeout: WAIT_MS });
    check(
      (await reloaded.getByRole("spinbutton", { name: /^Rate in ppm/ }).inputValue()) === "30000",
      "the rules were not reloaded after the conflict",
    );
    step(
      `fee rule: saved 25000 ppm (version ${v0 + 1}); a change behind the page → version_conflict shown, reloaded at 30000 ppm`,
    );

    // Live events
    await page.locator("#events li:not(.muted)").first().waitFor({ timeout: WAIT_MS });
    const hostile = page.locator("#events li", { hasText: HOSTILE });
    await hostile.first().waitFor({ timeout: WAIT_MS });
    check((await page.locator("#events img").count()) === 0, "event data was inserted as HTML");
    check(!(await js<boolean>(page, `"__xss" in window`)), "event data ran as script");
    const fresh = await issueAndBook(base, yen, holder, { amount: 1000, currency: "JPY" });
    const top = page.locator("#events li").first();
    await page.locator("#events li", { hasText: fresh.booking.bookingId }).first().waitFor({ timeout: WAIT_MS });
    check((await top.textContent())?.includes(fresh.booking.bookingId), "the new booking event is not on top");
    step("events: hostile cancel reason shown as text; a new booking appeared on top of the stream");

    await page.locator("#pause").click();
    await page.locator("#pause[aria-pressed=true]").waitFor({ timeout: WAIT_MS });
    const held = await issueAndBook(base, yen, holder, { amount: 1000, currency: "JPY" });
    // Two poll intervals pass without the event showing; the wait is on the page's own timer.
    await page.waitForTimeout(7_000);
    check(
      (await page.locator("#events li", { hasText: held.booking.bookingId }).count()) === 0,
      "a paused stream showed a new event",
    );
    await page.locator("#pause").click();
    await page.locator("#events li", { hasText: held.booking.bookingId }).first().waitFor({ timeout: WAIT_MS });
    const ids = await page.locator("#events li").allTextContents();
    check(new Set(ids).size === ids.length, "the stream shows an event twice");
    step(`pause held the next event back; resume showed it (${ids.length} events listed, no duplicates)`);

    // Reload keeps the session's token; screenshot; forget token.
    await page.reload();
    await page.locator("#app:not([hidden])").waitFor({ timeout: WAIT_MS });
    await page.locator("#status", { hasText: "Aktuell." }).waitFor({ timeout: WAIT_MS });
    await page.locator("#bookingsChart .uplot canvas").waitFor({ timeout: WAIT_MS });
    await page.locator("#events li:not(.muted)").first().waitFor({ timeout: WAIT_MS });
    const shot = process.env.SCREENSHOT ?? "/tmp/admin.png";
    await page.screenshot({ path: shot, fullPage: true });
    step(`reload: still signed in (sessionStorage); screenshot ${shot}`);
    await page.locator("#forget").click();
    await page.locator("#login:not([hidden])").waitFor({ timeout: WAIT_MS });
    check((await js<number>(page, "sessionStorage.length")) === 0, "forget token left it in sessionStorage");
    step("forget token: token removed, asked again");

    // The provoked HTTP errors (401 wrong token, 409 stale invoice and fee conflict) are the only ones.
    const unexpected = errors.filter((e) => !/status of (401|409)/.test(e));
    check(unexpected.length === 0, `errors in the page:\n  ${unexpected.join("\n  ")}`);
    step("no other console errors or uncaught exceptions");
  } catch (err) {
    if (app && !(err instanceof TestFailure)) console.error(`--- wrangler log (tail) ---\n${logTail(app.server, 40)}`);
    throw err;
  } finally {
    await browser?.close().catch(() => {});
    if (app) await stopServer(app.server);
    if (process.env.KEEP_TMP) console.log(`temp folder kept: ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killAllSync();
    process.exit(130);
  });
}
process.on("exit", killAllSync);

main().then(
  () => {
    console.log("\nPASS admin browser check");
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`\nFAIL admin browser check: ${err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof TestFailure) && err instanceof Error && err.stack) console.error(err.stack);
    process.exit(1);
  },
);
