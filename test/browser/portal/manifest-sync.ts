/**
 * Manifest sync: a person imports their offline manifest's export file (`{source, version, posts}`,
 * the shape the offline manifest writes) with valid and invalid posts; the page shows each post's
 * outcome (created, invalid with the reason), a second import of the same file changes nothing
 * (unchanged), an edited post comes back updated, the list shows the stored posts and not the
 * invalid ones, and a file that is no export is refused by the page before anything is sent.
 *
 * @module
 */
import { type Person, type Suite, WAIT_MS, check, openArea, step } from "./harness";
import { pageReady, row, statusMatch, textOf } from "./page-kit";

/** A post as the offline manifest exports it. */
function post(clientId: string, title: string, content: string, at: string): Record<string, unknown> {
  return { clientId, type: "post", visibility: "public", title, content, tags: ["nachbarschaft"], createdAt: at, updatedAt: at };
}

/** Chooses `data` as the export file. */
async function choose(p: Person, data: unknown, name = "manifest-export.json"): Promise<void> {
  const buffer = Buffer.from(typeof data === "string" ? data : JSON.stringify(data, null, 2));
  await p.page.locator("#importFile").setInputFiles({ name, mimeType: "application/json", buffer });
}

/** Submits the chosen file and waits for the summary `summary`; returns each row's outcome. */
async function submit(p: Person, summary: string): Promise<string[]> {
  await p.page.locator("#importSubmit").click();
  await p.page.locator("#importSummary", { hasText: `Ergebnis: ${summary}.` }).waitFor({ timeout: WAIT_MS });
  await statusMatch(p, new RegExp(`^Übertragen: ${summary}\\.$`));
  const rows = p.page.locator("#importResults tr");
  const out: string[] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).getAttribute("data-status")) ?? "");
  return out;
}

/** Import, re-import, update, list. */
export async function manifestSyncScenario(s: Suite): Promise<void> {
  const ben = await s.person("Ben");
  const page = ben.page;
  await openArea(ben, "/manifest.html");
  await pageReady(ben, ["#postList"]);

  const [a, b] = [`p-${s.run}-garten`, `p-${s.run}-werkzeug`];
  const at = "2026-11-20T09:30:00.000Z";
  const exported = {
    source: "offline-manifest",
    version: 1,
    posts: [
      post(a, "Gemeinschaftsgarten", "Wer gießt am Wochenende die Beete im Hof?", at),
      post(b, "Werkzeugverleih", "Bohrmaschine und Leiter zu verleihen, Haus 3.", at),
      // Invalid: a client id with spaces, and a post without content.
      post("kein gültiger Schlüssel", "Kaputt", "Dieser Beitrag hat eine ungültige ID.", at),
      { clientId: `p-${s.run}-leer`, type: "post", title: "Ohne Inhalt", createdAt: at, updatedAt: at },
    ],
  };
  await choose(ben, exported);
  await page
    .locator("#importPreview", { hasText: "manifest-export.json: Quelle „offline-manifest“, Version 1, 4 Beiträge." })
    .waitFor({ timeout: WAIT_MS });
  const first = await submit(ben, "2 neu angelegt, 2 ungültig");
  check(JSON.stringify(first) === JSON.stringify(["created", "created", "invalid", "invalid"]), `Ben: outcomes ${first}`);
  const results = page.locator("#importResults tr");
  const badId = await textOf(results.nth(2));
  check(badId.includes("ungültig") && badId.includes("clientId"), `Ben: the bad id's row does not say why: ${badId}`);
  const noContent = await textOf(results.nth(3));
  check(
    noContent.includes("ungültig") && noContent.includes("content"),
    `Ben: the empty post's row does not say why: ${noContent}`,
  );
  check((await textOf(results.nth(0))).includes("Version 1"), "Ben: a created post does not show its version");
  step(`manifest: ${a} and ${b} created, two posts invalid with their reasons`);

  // The same file again: nothing changes.
  const again = await submit(ben, "2 unverändert, 2 ungültig");
  check(JSON.stringify(again) === JSON.stringify(["unchanged", "unchanged", "invalid", "invalid"]), `Ben: outcomes ${again}`);
  step("manifest: the same export again is unchanged");

  // The garden post edited offline later: updated to version 2.
  const later = "2026-11-21T18:00:00.000Z";
  await choose(ben, {
    ...exported,
    posts: [post(a, "Gemeinschaftsgarten", "Beete gegossen – danke an Haus 3!", later), exported.posts[1]],
  });
  await page.locator("#importPreview", { hasText: "2 Beiträge." }).waitFor({ timeout: WAIT_MS });
  const edited = await submit(ben, "1 aktualisiert, 1 unverändert");
  check(JSON.stringify(edited) === JSON.stringify(["updated", "unchanged"]), `Ben: outcomes ${edited}`);
  check((await textOf(results.nth(0))).includes("Version 2"), "Ben: the updated post does not show version 2");

  const garden = await textOf(await row(ben, "#postList", a));
  check(garden.includes("Gemeinschaftsgarten") && garden.includes("Beete gegossen") && garden.includes("ich"), `Ben: ${garden}`);
  check(
    (await page.locator(`#postList tr[data-client-id="${a}"] td`).nth(4).textContent()) === "2",
    "Ben: garden not at version 2",
  );
  const tools = await textOf(await row(ben, "#postList", b));
  check(tools.includes("Werkzeugverleih") && tools.includes("post"), `Ben: ${tools}`);
  check((await page.locator(`#postList tr[data-client-id="p-${s.run}-leer"]`).count()) === 0, "Ben: an invalid post is listed");
  check((await page.locator("#postList tr", { hasText: "Kaputt" }).count()) === 0, "Ben: an invalid post is listed");
  await page.locator("#fMine").check();
  await page.locator("#filterSubmit").click();
  await page.locator("#status:empty").waitFor({ state: "attached", timeout: WAIT_MS });
  await row(ben, "#postList", a);
  await row(ben, "#postList", b);
  await s.shot(ben, "manifest");
  step(`manifest: the list shows ${a} at version 2 and ${b}; the invalid posts are not stored`);

  // Not an export: refused by the page's own check, nothing sent.
  await choose(ben, { source: "offline-manifest", posts: [] }, "falsch.json");
  await statusMatch(ben, /^Im Export fehlt die Version/);
  await choose(ben, "kein json", "notiz.json");
  await statusMatch(ben, /^Die Datei ist kein JSON\.$/);
  step("manifest: a file without version and one that is no JSON are refused in the page");
}
