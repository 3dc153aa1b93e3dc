/**
 * My data: a person with a voucher and a chat message downloads the export (a JSON file naming
 * them, their voucher and what they wrote), then erases themselves, confirmed twice; afterwards
 * their session is gone.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { type Suite, WAIT_MS, check, openArea, step } from "./harness";

/** Export and self-erasure through the page. */
export async function meScenario(s: Suite): Promise<void> {
  const eve = await s.person("Eve");
  await openArea(eve, "/vouchers.html");
  await eve.page.locator("#issueTemplate option").first().waitFor({ state: "attached", timeout: WAIT_MS });
  await eve.page.locator("#issueSubmit").click();
  await eve.page.locator("#issued[data-voucher-id]").waitFor({ timeout: WAIT_MS });
  const voucherId = (await eve.page.locator("#issued").getAttribute("data-voucher-id")) ?? "";
  const said = `Eve war hier ${s.run}`;
  await openArea(eve, `/rooms.html#room=${encodeURIComponent("honeycomb:A-1")}`);
  await eve.page.locator("#connState.open").waitFor({ timeout: WAIT_MS });
  await eve.page.locator("#chatText").fill(said);
  await eve.page.locator("#chatSend").click();
  await eve.page.locator("#chat li.mine:not(.pending)", { hasText: said }).waitFor({ timeout: WAIT_MS });

  await openArea(eve, "/me.html");
  const [download] = await Promise.all([
    eve.page.waitForEvent("download", { timeout: WAIT_MS }),
    eve.page.locator("#exportDownload").click(),
  ]);
  const file = await download.path();
  check(file, "me: the export download has no file");
  const exported = readFileSync(file, "utf8");
  check(exported.includes(eve.uid), "me: the export does not name the person");
  check(exported.includes(voucherId), `me: the export does not contain the voucher ${voucherId}`);
  check(exported.includes(said), "me: the export lacks the chat message the person wrote");
  JSON.parse(exported);
  step(
    `me: export downloaded as ${download.suggestedFilename()} (${exported.length} bytes) with the uid, the voucher and the chat message`,
  );
  await s.shot(eve, "me");

  check(await eve.page.locator("#eraseSubmit").isDisabled(), "me: erasure possible without the two confirmations");
  await eve.page.locator("#eraseAck").check();
  check(await eve.page.locator("#eraseSubmit").isDisabled(), "me: erasure possible with one confirmation only");
  await eve.page.locator("#eraseConfirm").fill(eve.uid);
  await eve.page.locator("#eraseSubmit").click();
  await eve.page.locator("#erased:not([hidden])").waitFor({ timeout: WAIT_MS });
  step("me: erased after both confirmations");

  const res = await eve.context.request.get(`${s.base}/api/me`);
  check(res.status() === 401, `me: /api/me after erasure answered ${res.status()}, expected 401`);
  await eve.page.goto("/");
  await eve.page.locator("#needManifest:not([hidden])").waitFor({ timeout: WAIT_MS });
  step("me: the session is gone; the portal asks to open it from the manifest again");
}
