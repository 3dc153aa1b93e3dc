/**
 * `npm run test:browser`: public/honeycomb.html in a real Chromium (playwright-core, the system's
 * `chromium`; no browser is downloaded) against the local stack as `npm start` serves it.
 *
 * Two users verify through signed portal links (the portal page calls /api/presence/verify and
 * gets the `ts_session` cookie), open the honeycomb page in separate browser contexts, pick the
 * same cell, see each other in the presence list and chat both ways. Then B's socket is closed
 * under the page and B's ticket requests are held at the network layer while A sends a message,
 * so B is away for certain; once released, B must fetch a fresh ticket, dial with `lastSeq` and
 * show A's message from the resume (once), and chat works again both ways.
 *
 * Waits are on DOM state only (no sleeps, no timing assertions). Any console error or uncaught
 * exception in a page fails the run. Exit code 0 = pass, 1 = fail (message on stderr).
 * Environment: CHROMIUM_PATH (default: `chromium` on PATH), KEEP_TMP=1 keeps the temp folder.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { killAllSync, logTail, stopServer, waitForHttp } from "../../bench/lib/proc";
import { type Served, applyAppMigrations, startApp } from "../../bench/lib/stack";
import { exampleVars } from "../../bench/lib/setup";
import { portalLink } from "../../src/dev/vars";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
process.chdir(ROOT);

/** Upper bound of every single wait: generous for a loaded 2-core machine; never asserted on. */
const WAIT_MS = 30_000;
const CELL = "C-4";
const ROOM_ID = `honeycomb:${CELL}`;
const TICKET_PATH = /^\/api\/rooms\/[^/]+\/ticket$/;

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

/** One user: a browser context with its own cookies and storage, one honeycomb tab. */
interface User {
  name: string;
  uid: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen in this user's pages. */
  errors: string[];
  /** POSTs to /api/rooms/:roomId/ticket made by the page. */
  tickets: number;
  /** URLs of the WebSockets the page opened, in order. */
  sockets: string[];
}

/**
 * Test instrumentation, injected before the page's scripts: remembers every WebSocket the page
 * creates (`window.__sockets`) so the test can close one. The page's own code runs unchanged.
 */
const TRACK_SOCKETS = `(() => {
  const Native = window.WebSocket;
  const sockets = [];
  Object.defineProperty(window, "__sockets", { value: sockets });
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  };
})();`;

async function newUser(browser: Browser, base: string, name: string, uid: string, secret: string): Promise<User> {
  const context = await browser.newContext({ baseURL: base });
  await context.addInitScript({ content: TRACK_SOCKETS });
  const page = await context.newPage();
  const user: User = { name, uid, context, page, errors: [], tickets: 0, sockets: [] };
  page.on("console", (m) => {
    if (m.type() === "error") user.errors.push(`console.error on ${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (err) => user.errors.push(`uncaught exception on ${page.url()}: ${err.stack ?? err.message}`));
  page.on("request", (r) => {
    if (r.method() === "POST" && TICKET_PATH.test(new URL(r.url()).pathname)) user.tickets++;
  });
  page.on("websocket", (ws) => user.sockets.push(ws.url()));

  // The path a real user takes: the signed link from the offline manifest opens the portal,
  // whose script verifies it (POST /api/presence/verify → ts_session cookie, uid in localStorage).
  await page.goto(await portalLink(base, uid, secret));
  await page.locator("#who", { hasText: `Verifiziert als ${uid}` }).waitFor({ timeout: WAIT_MS });
  const cookie = (await context.cookies()).find((c) => c.name === "ts_session");
  check(cookie?.httpOnly, `${name}: no HttpOnly ts_session cookie after verifying the portal link`);

  await page.goto("/honeycomb.html");
  await page.locator("#who", { hasText: `Verifiziert als ${uid}` }).waitFor({ timeout: WAIT_MS });
  return user;
}

async function joinCell(u: User): Promise<void> {
  const ticketsBefore = u.tickets;
  await u.page.locator(`#grid button[data-cell="${CELL}"]`).click();
  await waitConnected(u);
  check(
    (await u.page.locator(`#grid button[data-cell="${CELL}"]`).getAttribute("aria-pressed")) === "true",
    `${u.name}: cell not pressed`,
  );
  check((await u.page.locator("#roomName").textContent())?.includes(ROOM_ID), `${u.name}: room name does not show ${ROOM_ID}`);
  check(u.tickets === ticketsBefore + 1, `${u.name}: expected one ticket request for the join, saw ${u.tickets - ticketsBefore}`);
  check(new URL(u.page.url()).hash === `#${CELL}`, `${u.name}: URL hash is not #${CELL}`);
}

async function waitConnected(u: User): Promise<void> {
  await u.page.locator("#connState.open", { hasText: "verbunden" }).waitFor({ timeout: WAIT_MS });
  await u.page.locator("#status", { hasText: `als ${u.uid}` }).waitFor({ timeout: WAIT_MS });
}

/** `promise`, or a failure with `msg` after {@link WAIT_MS}. */
async function within(promise: Promise<void>, msg: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TestFailure(msg)), WAIT_MS);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const member = (u: User, uid: string) => u.page.locator("#members li", { hasText: uid });
const chatLine = (u: User, text: string) => u.page.locator("#chat li", { hasText: text });

/** Sends a chat from `from` and waits until the server confirmed it (ack: seq shown, not pending). */
async function sendChat(from: User, text: string): Promise<void> {
  await from.page.locator("#chatText").fill(text);
  await from.page.locator("#chatSend").click();
  const own = chatLine(from, text);
  await own.waitFor({ timeout: WAIT_MS });
  await from.page.locator("#chat li.mine:not(.pending)", { hasText: text }).waitFor({ timeout: WAIT_MS });
  check(/^#\d+ /.test((await own.locator(".meta").first().textContent()) ?? ""), `${from.name}: own message shows no seq`);
}

/** Waits until `to` shows `text` from `from`, exactly once. */
async function expectChat(to: User, from: User, text: string): Promise<void> {
  const line = chatLine(to, text);
  await line.first().waitFor({ timeout: WAIT_MS });
  check((await line.count()) === 1, `${to.name}: message "${text}" shown ${await line.count()} times`);
  const who = await line.locator(".who").textContent();
  check(who === `${from.uid}: `, `${to.name}: message "${text}" attributed to "${who}", expected ${from.uid}`);
}

async function main(): Promise<void> {
  const executablePath = chromiumPath();
  const tmp = mkdtempSync(join(tmpdir(), "honeycomb-browser-"));
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
    const secret = exampleVars().MOT_SHARED_SECRET ?? "";
    check(secret, ".dev.vars.example has no MOT_SHARED_SECRET");

    browser = await chromium.launch({ executablePath, headless: true });
    step(`Chromium ${browser.version()} (${executablePath})`);

    const run = Date.now().toString(36);
    const a = await newUser(browser, base, "A", `browserA${run}`, secret);
    const b = await newUser(browser, base, "B", `browserB${run}`, secret);
    step(`verified ${a.uid} and ${b.uid} through portal links (ts_session cookies)`);

    await joinCell(a);
    await joinCell(b);
    step(`both joined ${ROOM_ID}`);

    for (const [u, other] of [
      [a, b],
      [b, a],
    ] as const) {
      await member(u, other.uid).waitFor({ timeout: WAIT_MS });
      await u.page.locator("#members li.you", { hasText: `${u.uid} (du)` }).waitFor({ timeout: WAIT_MS });
    }
    step("presence: each sees the other (and itself marked “du”)");

    await sendChat(a, `hello from A ${run}`);
    await expectChat(b, a, `hello from A ${run}`);
    await sendChat(b, `hello from B ${run}`);
    await expectChat(a, b, `hello from B ${run}`);
    step("chat: A → B and B → A");

    // ── B goes away ────────────────────────────────────────────────────────────────────────────
    // B's ticket requests are held until A's message is stored, so B is certainly offline while
    // it is sent; then released, B must resume from its last seq.
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let ticketRequested = () => {};
    const requested = new Promise<void>((r) => {
      ticketRequested = r;
    });
    await b.context.route(TICKET_PATH_GLOB, async (route) => {
      ticketRequested();
      await held;
      await route.continue();
    });
    const ticketsBefore = b.tickets;
    const socketsBefore = b.sockets.length;
    const closed = await b.page.evaluate(() => {
      type Socket = { readyState: number; close(code: number, reason: string): void };
      const sockets = (globalThis as unknown as { __sockets: Socket[] }).__sockets;
      const ws = sockets[sockets.length - 1];
      if (ws?.readyState !== 1 /* OPEN */) return false;
      ws.close(4000, "browser test: forced disconnect");
      return true;
    });
    check(closed, "B: no open WebSocket to close");
    await within(requested, "B did not request a fresh ticket after the disconnect");
    await b.page.locator("#connState:not(.open)", { hasText: "verbinde…" }).waitFor({ timeout: WAIT_MS });
    step("B: socket closed under the page; B is reconnecting (ticket request held)");

    const whileAway = `sent while B was away ${run}`;
    await sendChat(a, whileAway);
    check((await chatLine(b, whileAway).count()) === 0, "B shows the message although its socket is closed");
    step("A sent a message while B was away");

    release();
    await waitConnected(b);
    await expectChat(b, a, whileAway);
    await b.context.unroute(TICKET_PATH_GLOB);
    check(b.tickets > ticketsBefore, "B reconnected without fetching a fresh ticket");
    const resumed = b.sockets.slice(socketsBefore);
    check(resumed.length >= 1, "B opened no new WebSocket");
    const lastUrl = new URL(resumed[resumed.length - 1] ?? "");
    check(
      /^\d+$/.test(lastUrl.searchParams.get("lastSeq") ?? ""),
      `B's reconnect has no lastSeq: ${lastUrl.pathname}${lastUrl.search.replace(/ticket=[^&]+/, "ticket=…")}`,
    );
    check(lastUrl.searchParams.get("ticket"), "B's reconnect URL has no ticket");
    const status = (await b.page.locator("#status").textContent()) ?? "";
    check(!status.includes("Lücke"), `B's resume was a discontinuity, not a gap replay: ${status}`);
    for (const text of [`hello from A ${run}`, `hello from B ${run}`]) {
      check((await chatLine(b, text).count()) === 1, `B: "${text}" not shown exactly once after the resume`);
    }
    step(
      `B reconnected: ${b.tickets - ticketsBefore} fresh ticket(s), dialled with lastSeq=${lastUrl.searchParams.get("lastSeq")}, showed the missed message`,
    );

    await member(b, a.uid).waitFor({ timeout: WAIT_MS });
    await member(a, b.uid).waitFor({ timeout: WAIT_MS });
    await sendChat(b, `B is back ${run}`);
    await expectChat(a, b, `B is back ${run}`);
    await sendChat(a, `welcome back ${run}`);
    await expectChat(b, a, `welcome back ${run}`);
    step("after the resume: presence intact, chat A ↔ B works");

    // A message the Room would refuse by size (within the input's maxlength: JSON escapes each
    // control character to 6 bytes) is refused by the page and never sent: sent, it would close
    // every socket it is resent on (1009) and block all later messages.
    const socketsA = a.sockets.length;
    const oversized = "\u0001".repeat(16_384);
    await a.page.locator("#chatText").fill(oversized);
    await a.page.locator("#chatSend").click();
    await a.page.locator("#status.error", { hasText: "bitte kürzen" }).waitFor({ timeout: WAIT_MS });
    check((await a.page.locator("#chat li.pending").count()) === 0, "A: the oversized message was queued");
    check((await a.page.locator("#chatText").inputValue()) === oversized, "A: the oversized text was not left in the input");
    await a.page.locator("#chatText").fill("");
    await sendChat(a, `after the oversized one ${run}`);
    await expectChat(b, a, `after the oversized one ${run}`);
    check(a.sockets.length === socketsA, "A: the socket was replaced around the oversized message");
    step("an oversized message is refused in the page, the socket stays up, chat goes on");

    // A visitor without a session: a malformed hash must not break the page; a cell then says to
    // verify first and stops (no retry loop). The 401 of the ticket request is the only console error.
    const visitor = await browser.newContext({ baseURL: base });
    const visitorErrors: string[] = [];
    const visitorPage = async (path: string) => {
      const page = await visitor.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") visitorErrors.push(`console.error on ${page.url()}: ${m.text()}`);
      });
      page.on("pageerror", (err) => visitorErrors.push(`uncaught exception on ${page.url()}: ${err.message}`));
      await page.goto(path);
      return page;
    };
    const malformed = await visitorPage("/honeycomb.html#%E0%A4%A");
    await malformed.locator("#grid button.hex").first().waitFor({ timeout: WAIT_MS });
    // One round trip after `load`: an exception thrown by the module has been reported by now.
    await malformed.evaluate("document.readyState");
    check(visitorErrors.length === 0, `malformed hash: ${visitorErrors.join("; ")}`);
    const anon = await visitorPage(`/honeycomb.html#${CELL}`);
    await anon.locator("#connState.stopped", { hasText: "abgemeldet" }).waitFor({ timeout: WAIT_MS });
    await anon.locator("#status.error", { hasText: "Keine gültige Sitzung (HTTP 401)" }).waitFor({ timeout: WAIT_MS });
    check(await anon.locator("#chatText").isDisabled(), "visitor: chat input enabled without a session");
    const unexpected = visitorErrors.filter((e) => !/status of 401/.test(e));
    check(unexpected.length === 0, `visitor: ${unexpected.join("; ")}`);
    await visitor.close();
    step("visitor without a session: malformed hash harmless, a cell asks to verify (HTTP 401) and stops");

    step("voucher events: skipped, the page only joins honeycomb:<cell> rooms (events are pushed into voucher:<id>)");

    const errors = [...a.errors, ...b.errors];
    check(errors.length === 0, `errors in the pages:\n  ${errors.join("\n  ")}`);
    step("no console errors or uncaught exceptions");
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

/** Glob form of {@link TICKET_PATH} for `context.route` (the room id is URL-encoded, no slash). */
const TICKET_PATH_GLOB = "**/api/rooms/*/ticket";

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killAllSync();
    process.exit(130);
  });
}
process.on("exit", killAllSync);

main().then(
  () => {
    console.log("\nPASS honeycomb browser check");
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`\nFAIL honeycomb browser check: ${err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof TestFailure) && err instanceof Error && err.stack) console.error(err.stack);
    process.exit(1);
  },
);
