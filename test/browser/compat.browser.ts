/**
 * `npm run test:browser:compat`: the original clients' requests, exactly as their pages send them
 * (the portal `manifest-portal.html`, `business-admin.html`, `TELBANK/index.html`,
 * `legal-hub.html`, `admin-monitoring.html`), from inside a Chromium page on the stack's origin,
 * against the stack `npm start` serves with `AUTH_MODE=compat`. The pages themselves are not
 * part of this repository; their request shapes are (docs/compatibility.md).
 *
 * Two people: Lea, a legacy visitor without a session (the original portal verifies
 * `{token, sig, ts}`, gets a thinker id and asserts her uid in bodies, queries and `X-MOT-User`),
 * and Sam, who opened our portal once, so the origin holds his session cookie — what the TELBANK
 * console and the legal hub need, since they name nobody the server could trust (TELBANK sends no
 * uid; the legal hub puts it inside the multipart body). The admin monitoring page stays closed.
 *
 * Each answer is checked for the fields the original page reads. Exit 0 = pass, 1 = fail.
 */
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { killAllSync, logTail, stopServer, waitForHttp } from "../../bench/lib/proc";
import { exampleVars } from "../../bench/lib/setup";
import { type Served, applyAppMigrations, startApp } from "../../bench/lib/stack";
import { portalLink } from "../../src/dev/vars";
import { TestFailure, WAIT_MS, check, chromiumPath, step } from "./portal/harness";

process.chdir(join(dirname(fileURLToPath(import.meta.url)), "../.."));

/** The original offline manifest's token, baked into every copy of it. */
const ORIGINAL_TOKEN = "mot-shared-token-v1";

interface Answer {
  status: number;
  body: any;
}

/** One request from inside the page (same origin: its cookies and Origin, as the pages send them). */
async function send(page: Page, path: string, init: { method?: string; headers?: Record<string, string>; json?: unknown } = {}) {
  return (await page.evaluate(
    async ({ path, init }) => {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      let body: string | undefined;
      if (init.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(init.json);
      }
      const res = await fetch(path, {
        method: init.method ?? (body ? "POST" : "GET"),
        headers,
        body,
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    { path, init },
  )) as Answer;
}

function expectOk(a: Answer, what: string): any {
  check(
    a.status === 200 && a.body?.ok !== false,
    `${what}: expected 200, got ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`,
  );
  return a.body;
}

async function main(): Promise<void> {
  const executablePath = chromiumPath();
  const tmp = mkdtempSync(join(tmpdir(), "compat-browser-"));
  let app: Served | undefined;
  let browser: Browser | undefined;
  try {
    applyAppMigrations(join(tmp, "state"));
    app = await startApp(join(tmp, "state"), join(tmp, "pages-dev.log"), undefined, { AUTH_MODE: "compat" });
    await waitForHttp(app.server, `${app.url}/api/voucher/templates`);
    const base = app.url;
    step(`wrangler pages dev with AUTH_MODE=compat on ${base}`);
    browser = await chromium.launch({ executablePath, headless: true });
    const run = Date.now().toString(36);

    // ── Lea: the original portal, no session ───────────────────────────────────────────────────
    const lea = await (await browser.newContext({ baseURL: base })).newPage();
    await lea.goto("/portal.css");
    const ts = Date.now();
    const sig = createHmac("sha256", ORIGINAL_TOKEN).update(`${ORIGINAL_TOKEN}.${ts}`).digest("hex");
    const verified = expectOk(
      await send(lea, "/api/presence/verify", { json: { token: ORIGINAL_TOKEN, sig, ts } }),
      "verify {token, sig, ts}",
    );
    check(/^thinker-[0-9a-f]{12}$/.test(verified.thinker_id), `verify: thinker_id ${verified.thinker_id}`);
    check(!("session" in verified), "verify of the original body must not hand out a session");
    step(`portal: verify {token, sig, ts} → thinker_id ${verified.thinker_id}, no session`);

    const uid = `leaLegacy${run}`;
    const peer = `leoLegacy${run}`;
    for (const who of [uid, peer]) {
      const beat = expectOk(
        await send(lea, "/api/presence/heartbeat", { json: { thinker_id: who, pair_code: `alpha${run}`, status: "online" } }),
        "heartbeat",
      );
      check(typeof beat.last_seen === "number", "heartbeat: last_seen");
    }
    const match = expectOk(
      await send(lea, "/api/presence/match", { json: { thinker_id: uid, pair_code: `alpha${run}` } }),
      "match",
    );
    check(typeof match.room_id === "string" && match.room_id.length > 0, `match: room_id ${JSON.stringify(match.room_id)}`);
    step(`portal: heartbeat and match with asserted thinker ids → room ${match.room_id}`);

    expectOk(await send(lea, "/api/voucher/list?holderUid=test"), "the portal's localhost health check");
    const now = Date.now();
    const issued = expectOk(
      await send(lea, "/api/voucher/issue", {
        json: {
          issuerUid: uid,
          serviceType: "consulting.session",
          title: "Beratung (60 min)",
          durationMinutes: 60,
          validFrom: new Date(now).toISOString(),
          validUntil: new Date(now + 7 * 86_400_000).toISOString(),
          transferable: true,
          terms: { template: "consulting.session" },
        },
      }),
      "issue (autopilot template)",
    );
    const voucherId: string = issued.voucher.voucherId;
    const listed = expectOk(await send(lea, `/api/voucher/list?issuerUid=${uid}`), "list ?issuerUid");
    const item = listed.items.find((v: any) => v.voucherId === voucherId);
    check(item?.title && item.serviceType && item.status && item.validFrom && item.validUntil, "list: fields the portal reads");
    const slots = expectOk(await send(lea, `/api/slots/available?voucherId=${voucherId}`), "slots");
    const slot = slots.items[0];
    check(slot?.slotId && slot.start && slot.end, "slots: slotId, start, end");
    const booked = expectOk(
      await send(lea, "/api/voucher/book", { json: { voucherId, slotId: slot.slotId, holderUid: peer } }),
      "book {voucherId, slotId, holderUid}",
    );
    const bookings = expectOk(await send(lea, `/api/voucher/bookings?holderUid=${peer}`), "bookings ?holderUid");
    check(
      bookings.items.some(
        (b: any) => b.bookingId === booked.booking.bookingId && b.slotStart && b.slotEnd && b.status === "booked",
      ),
      "bookings: slotStart, slotEnd, voucherId, status",
    );
    const cancelled = await send(lea, "/api/voucher/cancel", {
      json: { bookingId: booked.booking.bookingId, reason: "Termin passt nicht" },
    });
    expectOk(cancelled, "cancel {bookingId, reason} without identity");
    step("portal + business-admin: list, issue, slots, book, bookings, cancel with asserted uids");

    const mortgageHeaders = { "x-mot-user": uid };
    expectOk(
      await send(lea, "/api/hypotheken/property", {
        headers: mortgageHeaders,
        json: {
          propertyId: "house-123",
          type: "single-family-house",
          address: { street: "Musterweg 1", zip: "12345", city: "Musterstadt", country: "DE" },
          purchasePrice: { amount: 45_000_000, currency: "EUR" },
          ownCapital: { amount: 9_000_000, currency: "EUR" },
        },
      }),
      "property for the portal's house-123",
    );
    const application = expectOk(
      await send(lea, "/api/mortgage/application", {
        headers: mortgageHeaders,
        json: {
          propertyId: "house-123",
          desiredLoan: { amount: 36_000_000, currency: "EUR" },
          desiredDurationYears: 20,
          desiredRateType: "fixed",
          maxInterestRate: 0.04,
          meta: { employmentStatus: "employed", netIncomeMonthly: 380_000, otherLoans: [] },
        },
      }),
      "mortgage application (the portal's button body)",
    );
    check(application.applicationId && application.application?.borrowerUid === uid, "application: applicationId, borrowerUid");
    const apps = expectOk(
      await send(lea, "/api/mortgage/application-list?role=borrower", { headers: mortgageHeaders }),
      "application-list",
    );
    check(
      apps.applications.some((a: any) => a.applicationId === application.applicationId),
      "application-list shows the application",
    );
    expectOk(await send(lea, "/api/mortgage/offer-list?role=borrower", { headers: mortgageHeaders }), "offer-list");
    step("portal: the mortgage buttons with X-MOT-User (application, application-list, offer-list)");

    const telemetry = expectOk(
      await send(lea, "/api/telemetry", {
        json: [
          { type: "page.view", path: "/manifest-portal.html", actorUid: uid, meta: { ref: "compat" } },
          { type: "ui.click", path: "/manifest-portal.html", actorUid: uid, meta: { id: "btnBook" } },
        ],
      }),
      "telemetry batch",
    );
    check(telemetry.ok === true, "telemetry: ok");
    step("portal: telemetry batch");

    const monitoring = await send(lea, "/api/admin/events?limit=50");
    check(monitoring.status === 401, `admin-monitoring without credentials: expected 401, got ${monitoring.status}`);
    step("admin-monitoring: the admin API stays closed without the admin token (401)");

    // ── Sam: our portal's session cookie on the same origin ─────────────────────────────────────
    const samUid = `samCompat${run}`;
    const sam = await (await browser.newContext({ baseURL: base })).newPage();
    await sam.goto(await portalLink(base, samUid, exampleVars().MOT_SHARED_SECRET ?? ""));
    await sam.locator("#meUid", { hasText: samUid }).waitFor({ timeout: WAIT_MS });
    const wallet = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const transfer = expectOk(
      await send(sam, "/api/telbank/transfers", {
        json: {
          direction: "in",
          label: "Fiat→Crypto inflow",
          walletAddress: wallet,
          network: "ethereum",
          cryptoAmount: 0.25,
          cryptoSymbol: "ETH",
          fiatAmount: 75_000,
          fiatCurrency: "EUR",
          externalAccount: "",
          meta: { source: "telbank-console" },
        },
      }),
      "TELBANK add inflow",
    );
    check(transfer.transfer?.id && transfer.transfer.status === "logged", "telbank: transfer id and status logged");
    const transfers = expectOk(
      await send(sam, `/api/telbank/transfers?walletAddress=${wallet}&direction=in`),
      "transfer-admin list",
    );
    check(
      transfers.items.some((t: any) => t.id === transfer.transfer.id),
      "transfer-admin: the transfer is listed",
    );
    step("TELBANK: add inflow and the transfer-admin list, with the portal's session cookie");

    const upload = await sam.evaluate(async (actorId) => {
      const form = new FormData();
      form.append("file", new Blob(["%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"], { type: "application/pdf" }), "vertrag.pdf");
      form.append("actorId", actorId);
      const res = await fetch("/api/contracts/upload", { method: "POST", body: form });
      return { status: res.status, body: await res.json() };
    }, samUid);
    const doc = expectOk(upload as Answer, "legal hub upload (multipart file + actorId)").contract;
    check(
      doc.id && doc.hashSha256 && doc.storageUrl && doc.createdBy === samUid,
      "upload: id, hashSha256, storageUrl, createdBy",
    );
    const docs = expectOk(await send(sam, "/api/contracts/list"), "legal hub list");
    check(
      docs.items.some((d: any) => d.id === doc.id),
      "legal hub list: the upload is listed",
    );
    step("legal-hub: multipart upload with actorId and the list, with the portal's session cookie");

    const anonymous = await send(lea, "/api/telbank/transfers", {
      json: { direction: "out", cryptoAmount: 1, cryptoSymbol: "BTC", fiatAmount: 100, fiatCurrency: "EUR" },
    });
    check(anonymous.status === 401, `TELBANK without any identity: expected 401, got ${anonymous.status}`);
    step("TELBANK without a session or X-MOT-User: 401 (transfers always have an owner)");
    step("all original request shapes passed in compat mode");
  } catch (err) {
    if (app) console.error(`--- last lines of wrangler's log ---\n${logTail(app.server, 40)}`);
    throw err;
  } finally {
    await browser?.close().catch(() => {});
    if (app) await stopServer(app.server);
    if (process.env.KEEP_TMP !== "1") rmSync(tmp, { recursive: true, force: true });
  }
}

process.on("exit", killAllSync);
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof TestFailure ? `FAIL: ${err.message}` : err);
    process.exit(1);
  },
);
