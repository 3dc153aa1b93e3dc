/**
 * Legal hub: Ben uploads a PDF made here (with the progress bar and "x von y" status the page
 * shows while it streams), the list shows it with the SHA-256 computed here, the download carries
 * the same bytes and the page verifies the hash in the browser ("Prüfsumme stimmt"); he links it
 * to his mortgage property (registered through the mortgage page); a stranger does not see it.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type Suite, WAIT_MS, check, openArea, step } from "./harness";
import { registerProperty } from "./mortgage";
import { pageReady, row, statusMatch, textOf } from "./page-kit";

/**
 * Records, in the page, every text of `#status` and every state of `#uploadProgress` from now on
 * (a MutationObserver), so the transient progress of an upload can be checked after it is over.
 * A string, evaluated through the DevTools protocol: the pages' CSP forbids eval, not that.
 */
const RECORD_PROGRESS = `(() => {
  const log = (window.__progressLog = []);
  const status = document.getElementById("status");
  const bar = document.getElementById("uploadProgress");
  new MutationObserver(() => log.push("status:" + status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
  new MutationObserver(() => log.push("bar:" + (bar.hidden ? "hidden" : "shown") + ":" + bar.getAttribute("value"))).observe(bar, { attributes: true });
  return true;
})()`;

/** Upload, list, download with the hash verified, link, and a stranger's empty list. */
export async function legalScenario(s: Suite): Promise<void> {
  const ben = await s.person("Ben");
  const page = ben.page;

  await openArea(ben, "/mortgage.html");
  await pageReady(ben, ["#propertyList", "#applicationList"]);
  const propertyId = await registerProperty(ben, `Kastanienallee ${s.run}`);

  // A PDF by its magic bytes, 3 MiB so the upload streams in many chunks.
  const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n%âãÏÓ\n"), randomBytes(3 * 1024 * 1024), Buffer.from("\n%%EOF\n")]);
  const hash = createHash("sha256").update(pdf).digest("hex");
  const name = `kaufvertrag-${s.run}.pdf`;

  await openArea(ben, "/legal.html");
  await pageReady(ben, ["#docList", "#linkList"]);
  await page.locator("#uploadFile").setInputFiles({ name, mimeType: "application/pdf", buffer: pdf });
  check(await page.evaluate(RECORD_PROGRESS), "Ben: could not watch the upload's progress");
  await page.locator("#uploadSubmit").click();
  await statusMatch(ben, new RegExp(`^Hochgeladen: ${name.replace(/\./g, "\\.")}\\.$`));
  const progress = (await page.evaluate("window.__progressLog")) as string[];
  check(
    progress.some((l) => /^status:Lade hoch … [\d,]+ [KM]?B von 3,0 MB$/.test(l)),
    `Ben: the upload showed no "… von 3,0 MB" progress: ${JSON.stringify(progress.slice(0, 12))}`,
  );
  check(progress.includes("bar:shown:100"), `Ben: the progress bar never reached 100: ${JSON.stringify(progress.slice(0, 12))}`);
  check(progress.at(-1) === "bar:hidden:100" || progress.includes("bar:hidden:100"), "Ben: the progress bar stayed shown");
  check(
    (await textOf(page.locator("#uploadResult"))) === `${name} gespeichert (3,0 MB, SHA-256 ${hash})`,
    `Ben: upload result: ${await textOf(page.locator("#uploadResult"))}`,
  );
  const docRow = await row(ben, "#docList", name);
  const docId = (await docRow.getAttribute("data-id")) ?? "";
  const listed = await textOf(docRow);
  check(
    listed.includes("application/pdf") && listed.includes(hash) && listed.includes("3,0 MB") && listed.includes("ich"),
    `Ben: document row: ${listed}`,
  );
  step(`legal: ${name} uploaded with progress as ${docId}, SHA-256 ${hash.slice(0, 16)}…`);

  // Download: the same bytes arrive, and the page's own WebCrypto check agrees.
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: WAIT_MS }),
    page.locator(`#download-${docId}`).click(),
  ]);
  check(download.suggestedFilename() === name, `Ben: the download is named ${download.suggestedFilename()}`);
  const got = await readFile(await download.path());
  check(got.equals(pdf), `Ben: the downloaded file differs (${got.length} bytes)`);
  await page.locator(`#check-${docId}`, { hasText: /^Prüfsumme stimmt$/ }).waitFor({ timeout: WAIT_MS });
  await statusMatch(ben, /heruntergeladen\. Prüfsumme stimmt$/);
  step("legal: downloaded the same bytes; the page says Prüfsumme stimmt");

  // Link to the mortgage property.
  await page.locator(`#linkbtn-${docId}`).click();
  check((await page.locator("#linkDoc").inputValue()) === docId, "Ben: the link form did not take the document");
  await page.locator("#linkKind").selectOption("property");
  await page.locator("#linkTarget").fill(propertyId);
  await page.locator("#linkRole").selectOption("annex");
  await page.locator("#linkSubmit").click();
  const [, linkId = ""] = await statusMatch(ben, /^Verknüpft \((\S+)\)\.$/);
  const link = await textOf(await row(ben, "#linkList", propertyId));
  check(link.includes(propertyId) && link.includes("annex"), `Ben: link row: ${link}`);
  await page.locator(`#unlink-${linkId}`).waitFor({ timeout: WAIT_MS });
  check((await page.locator("#unlinkId").inputValue()) === linkId, "Ben: the unlink form lacks the new link");
  await s.shot(ben, "legal");
  step(`legal: ${docId} linked to ${propertyId} as ${linkId}`);

  // A stranger's list does not show it.
  const erik = await s.person("Erik");
  await openArea(erik, "/legal.html");
  await pageReady(erik, ["#docList"]);
  await erik.page.locator("#docList tr", { hasText: "Noch kein Dokument." }).waitFor({ timeout: WAIT_MS });
  check((await erik.page.locator(`#docList tr[data-id="${docId}"]`).count()) === 0, "Erik sees Ben's document");
  check((await erik.page.locator("#docList", { hasText: name }).count()) === 0, "Erik sees Ben's document's name");
  step("legal: Erik, a stranger, sees no document");

  // The links live on the server: after a reload the document's links are listed again.
  await openArea(ben, "/legal.html");
  await pageReady(ben, ["#docList"]);
  await page.locator(`#linkbtn-${docId}`).click();
  await page.locator(`#linkList tr[data-link-id="${linkId}"]`).waitFor({ timeout: WAIT_MS });
  step("legal: after a reload the page lists the document's links from the server");

  // An upload whose answer is lost (the server stored it, the connection broke) and that the
  // person sends again is the same upload: its idempotency key brings back the first document.
  const retried = `zweitschrift-${s.run}.pdf`;
  await page.locator("#uploadFile").setInputFiles({ name: retried, mimeType: "application/pdf", buffer: pdf });
  await page.route(
    "**/api/contracts/upload",
    async (route) => {
      await route.fetch();
      await route.abort("connectionreset");
    },
    { times: 1 },
  );
  await page.locator("#uploadSubmit").click();
  await statusMatch(ben, /Keine Verbindung/);
  // The broken connection was made here on purpose: its console line is no page defect.
  const induced = ben.errors.findIndex((e) => e.includes("ERR_CONNECTION_RESET"));
  if (induced >= 0) ben.errors.splice(induced, 1);
  await page.locator("#uploadSubmit").click();
  await statusMatch(ben, new RegExp(`^Hochgeladen: ${retried.replace(/\./g, "\\.")}\\.$`));
  await page.locator("#docList > tr", { hasText: retried }).first().waitFor({ timeout: WAIT_MS });
  const copies = await page.locator("#docList > tr", { hasText: retried }).count();
  check(copies === 1, `legal: a retried upload stored ${copies} documents`);
  step("legal: an upload retried after its answer was lost is stored once (Idempotency-Key)");
}
