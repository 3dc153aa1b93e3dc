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
 * Voucher events: A issues a voucher (POST /api/voucher/issue) and opens its room `voucher:<id>`
 * through the page's form; B books a slot (POST /api/voucher/book) and A's page shows the
 * `voucher.book` event exactly once, in German with its slot time and booking id. A reload shows
 * it once from `welcome.history`; a cancel made while A's socket is down and its ticket request held
 * arrives once through the resume replay. A stranger (C) opening `#voucher=<id>` is told "Kein
 * Zutritt" after one ticket request (403), and stays stopped when the page's clock is run 10 min
 * ahead (no retry timer); an unknown voucher says "nicht gefunden" (404); a malformed id is refused
 * in the page without a request.
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
const HOUR = 3_600_000;

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

/** Opens a voucher's room through the page's form; the page must connect with one ticket. */
async function openVoucher(u: User, voucherId: string): Promise<void> {
  const roomId = `voucher:${voucherId}`;
  const ticketsBefore = u.tickets;
  await u.page.locator("#voucherId").fill(voucherId);
  await u.page.locator("#voucherOpen").click();
  await u.page.locator("#roomName", { hasText: roomId }).waitFor({ timeout: WAIT_MS });
  await u.page.locator("#status", { hasText: `Verbunden mit ${roomId} als ${u.uid}` }).waitFor({ timeout: WAIT_MS });
  await waitConnected(u);
  check(
    u.tickets === ticketsBefore + 1,
    `${u.name}: expected one ticket request for ${roomId}, saw ${u.tickets - ticketsBefore}`,
  );
  check(new URL(u.page.url()).hash === `#voucher=${voucherId}`, `${u.name}: URL hash is not #voucher=${voucherId}`);
  check((await u.page.locator('#grid button[aria-pressed="true"]').count()) === 0, `${u.name}: a cell is still pressed`);
}

/** POSTs JSON with the user's session cookie (the context's own request client); fails unless 2xx. */
/**
 * POSTs from inside the page, as the portal's own script would: the browser adds the session
 * cookie and its Origin (a cookie write without the site's Origin is refused as CSRF).
 */
async function api(u: User, path: string, data: unknown): Promise<any> {
  const { status, body } = await u.page.evaluate(
    async ([p, d]) => {
      const res = await fetch(p as string, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(d),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    [path, data] as const,
  );
  check(status >= 200 && status < 300, `${u.name}: POST ${path} → ${status} ${JSON.stringify(body)}`);
  return body;
}

const eventLine = (u: User, type: string, bookingId: string) =>
  u.page.locator(`#events li[data-event-type="${type}"]`, { hasText: bookingId });

/** Waits until `u` shows the `type` event of `bookingId`, then checks it is there exactly once, titled `title`. */
async function expectEvent(u: User, type: string, bookingId: string, title: string): Promise<void> {
  const line = eventLine(u, type, bookingId);
  await line.first().waitFor({ timeout: WAIT_MS });
  const n = await line.count();
  check(n === 1, `${u.name}: ${type} of ${bookingId} shown ${n} times`);
  const text = (await line.textContent()) ?? "";
  check(text.includes(title), `${u.name}: ${type} not titled "${title}": ${text}`);
}

/** Closes the page's current WebSocket under it (the page sees an abnormal close and reconnects). */
async function dropSocket(u: User): Promise<void> {
  const closed = await u.page.evaluate(() => {
    type Socket = { readyState: number; close(code: number, reason: string): void };
    const sockets = (globalThis as unknown as { __sockets: Socket[] }).__sockets;
    const ws = sockets[sockets.length - 1];
    if (ws?.readyState !== 1 /* OPEN */) return false;
    ws.close(4000, "browser test: forced disconnect");
    return true;
  });
  check(closed, `${u.name}: no open WebSocket to close`);
}

/**
 * Holds `u`'s ticket requests at the network layer: `requested` resolves at the first one,
 * `release()` lets them through and removes the hold.
 */
async function holdTickets(u: User): Promise<{ requested: Promise<void>; release: () => Promise<void> }> {
  let open = () => {};
  const held = new Promise<void>((r) => {
    open = r;
  });
  let ticketRequested = () => {};
  const requested = new Promise<void>((r) => {
    ticketRequested = r;
  });
  const passed: Promise<void>[] = [];
  await u.context.route(TICKET_PATH_GLOB, (route) => {
    ticketRequested();
    const through = held.then(() => route.continue());
    passed.push(through);
    return through;
  });
  return {
    requested,
    // Unrouting while a handler still holds its request would answer that request twice.
    release: async () => {
      open();
      await Promise.all(passed);
      await u.context.unroute(TICKET_PATH_GLOB);
    },
  };
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
    const hold = await holdTickets(b);
    const ticketsBefore = b.tickets;
    const socketsBefore = b.sockets.length;
    await dropSocket(b);
    await within(hold.requested, "B did not request a fresh ticket after the disconnect");
    await b.page.locator("#connState:not(.open)", { hasText: "verbinde…" }).waitFor({ timeout: WAIT_MS });
    step("B: socket closed under the page; B is reconnecting (ticket request held)");

    const whileAway = `sent while B was away ${run}`;
    await sendChat(a, whileAway);
    check((await chatLine(b, whileAway).count()) === 0, "B shows the message although its socket is closed");
    step("A sent a message while B was away");

    await hold.release();
    await waitConnected(b);
    await expectChat(b, a, whileAway);
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

    // ── Voucher events ─────────────────────────────────────────────────────────────────────────
    // A issues a voucher and opens its room in the page (the first entry registers the room, so
    // the API pushes into it); B, who will hold it, books a slot through the API.
    const validFrom = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
    const iso = (t: number) => new Date(t).toISOString();
    const issued = await api(a, "/api/voucher/issue", {
      issuerUid: a.uid,
      title: "Browser check",
      validFrom: iso(validFrom),
      validUntil: iso(validFrom + 48 * HOUR),
      price: { amount: 5000, currency: "EUR" },
    });
    const voucherId = String(issued?.voucher?.voucherId ?? "");
    check(voucherId, `issue returned no voucher id: ${JSON.stringify(issued)}`);
    await openVoucher(a, voucherId);
    check((await a.page.locator("#events li").count()) === 0, "A: events shown in a fresh voucher room");
    check(await a.page.locator("#chatText").isEnabled(), "A: chat disabled in the voucher room");
    step(`A (issuer) opened voucher:${voucherId} through the form`);

    const slotStart = iso(validFrom + HOUR);
    const booked = await api(b, "/api/voucher/book", { voucherId, slotId: `slot-${slotStart}`, holderUid: b.uid });
    const bookingId = String(booked?.booking?.bookingId ?? "");
    check(bookingId, `book returned no booking id: ${JSON.stringify(booked)}`);
    await expectEvent(a, "voucher.book", bookingId, "Termin gebucht");
    const bookLine = eventLine(a, "voucher.book", bookingId);
    check(
      (await bookLine.locator(`time[datetime="${slotStart}"]`).count()) === 1,
      `A: the booking shows no slot time ${slotStart}`,
    );
    check((await bookLine.textContent())?.includes(b.uid), "A: the booking does not name its holder");
    check((await a.page.locator("#events li").count()) === 1, "A: more than the one booking event shown");
    step(`B booked ${slotStart} through the API; A's page shows voucher.book of ${bookingId} once`);

    // A reload joins from `#voucher=<id>` and rebuilds the list from welcome.history.
    const ticketsReload = a.tickets;
    await a.page.reload();
    await a.page.locator("#status", { hasText: `Verbunden mit voucher:${voucherId}` }).waitFor({ timeout: WAIT_MS });
    await waitConnected(a);
    await expectEvent(a, "voucher.book", bookingId, "Termin gebucht");
    check((await a.page.locator("#events li").count()) === 1, "A: after the reload, not exactly one event");
    check(a.tickets === ticketsReload + 1, "A: the reload did not fetch exactly one ticket");
    check(
      (await a.page.locator("#voucherId").inputValue()) === voucherId,
      "A: the form does not show the voucher id from the hash",
    );
    step("A reloaded: the room is joined from #voucher=<id>, the booking shown once from the history");

    // A cancel while A is away arrives once through the resume replay, next to the booking.
    const holdA = await holdTickets(a);
    const socketsA2 = a.sockets.length;
    await dropSocket(a);
    await within(holdA.requested, "A did not request a fresh ticket after the disconnect");
    await api(b, "/api/voucher/cancel", { bookingId });
    check((await eventLine(a, "voucher.cancel", bookingId).count()) === 0, "A shows the cancel although its socket is closed");
    await holdA.release();
    await waitConnected(a);
    await expectEvent(a, "voucher.cancel", bookingId, "Buchung storniert");
    await expectEvent(a, "voucher.book", bookingId, "Termin gebucht");
    check((await a.page.locator("#events li").count()) === 2, "A: after the resume, not exactly the booking and the cancel");
    const resumeA = new URL(a.sockets[a.sockets.length - 1] ?? "");
    check(
      a.sockets.length > socketsA2 && /^\d+$/.test(resumeA.searchParams.get("lastSeq") ?? ""),
      "A: the reconnect has no lastSeq",
    );
    step(
      `A resumed with lastSeq=${resumeA.searchParams.get("lastSeq")}: the cancel made while away shown once, the booking still once`,
    );

    // A stranger: one refused ticket, a clear message, no retry even when the clock jumps ahead.
    const c = await newUser(browser, base, "C", `browserC${run}`, secret);
    await c.context.clock.install();
    const stranger = await c.context.newPage();
    const strangerErrors: string[] = [];
    const seen = { tickets: 0 };
    /** A call, so TypeScript does not narrow the count between checks (requests arrive in callbacks). */
    const strangerTickets = () => seen.tickets;
    stranger.on("console", (m) => {
      if (m.type() === "error") strangerErrors.push(`console.error on ${stranger.url()}: ${m.text()}`);
    });
    stranger.on("pageerror", (err) => strangerErrors.push(`uncaught exception on ${stranger.url()}: ${err.message}`));
    stranger.on("request", (r) => {
      if (r.method() === "POST" && TICKET_PATH.test(new URL(r.url()).pathname)) seen.tickets++;
    });
    await stranger.goto(`/honeycomb.html#voucher=${voucherId}`);
    await stranger.locator("#connState.stopped", { hasText: "kein Zutritt" }).waitFor({ timeout: WAIT_MS });
    const refusal =
      (await stranger.locator("#status.error", { hasText: "Kein Zutritt" }).textContent({ timeout: WAIT_MS })) ?? "";
    check(refusal.includes(voucherId) && refusal.includes("HTTP 403"), `C: unclear refusal: ${refusal}`);
    check(await stranger.locator("#chatText").isDisabled(), "C: chat input enabled without access");
    check(strangerTickets() === 1, `C: ${strangerTickets()} ticket requests for a refused room`);
    // A retry timer (backoff is at most 30 s) would fire now and set the badge to "verbinde…" synchronously.
    await stranger.clock.runFor(10 * 60_000);
    check(
      (await stranger.locator("#connState.stopped").textContent()) === "kein Zutritt",
      `C: the page left the stopped state: ${await stranger.locator("#connState").textContent()}`,
    );
    check(strangerTickets() === 1, `C: retried the refused room (${strangerTickets()} ticket requests)`);
    step("stranger C: “Kein Zutritt” (HTTP 403) after one ticket request, no retry with the clock 10 min ahead");

    await stranger.locator("#voucherId").fill(`v-unknown-${run}`);
    await stranger.locator("#voucherOpen").click();
    await stranger
      .locator("#status.error", { hasText: `Gutschein v-unknown-${run} nicht gefunden (HTTP 404)` })
      .waitFor({ timeout: WAIT_MS });
    await stranger.locator("#connState.stopped", { hasText: "kein Zutritt" }).waitFor({ timeout: WAIT_MS });
    check(strangerTickets() === 2, `C: ${strangerTickets() - 1} ticket requests for the unknown voucher`);
    await stranger.locator("#voucherId").fill("kein gültiger/Gutschein");
    await stranger.locator("#voucherOpen").click();
    await stranger.locator("#voucherHint.error", { hasText: "Ungültige Gutschein-ID" }).waitFor({ timeout: WAIT_MS });
    check(strangerTickets() === 2, "C: a malformed voucher id was sent to the server");
    check(
      (await stranger.locator("#roomName").textContent())?.includes(`v-unknown-${run}`),
      "C: a malformed id replaced the room",
    );
    const strangerUnexpected = [...c.errors, ...strangerErrors].filter((e) => !/status of 40[34]/.test(e));
    check(strangerUnexpected.length === 0, `C: ${strangerUnexpected.join("; ")}`);
    step("unknown voucher: “nicht gefunden” (HTTP 404), stopped; a malformed id is refused in the page without a request");

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
