/**
 * Identity: who am I after onboarding; this device's key registered, the session lost (cookie
 * gone, as when it expires) and renewed by the device key without a new link; logout everywhere
 * revokes the key, after which only the manifest helps.
 *
 * @module
 */
import { type Suite, WAIT_MS, check, step } from "./harness";

/** Who am I, device key re-login, logout everywhere. */
export async function identityScenario(s: Suite): Promise<void> {
  const kim = await s.person("Kim");
  const page = kim.page;
  await page.locator("#meThinker", { hasText: /^thinker-/ }).waitFor({ timeout: WAIT_MS });
  check(((await page.locator("#meExpires").textContent()) ?? "").trim() !== "", "identity: no session expiry shown");
  step("identity: uid, thinker id and session expiry shown");

  // The page offers to remember the device after a verify; remembering registers the key.
  if (await page.locator("#deviceRegister").isVisible()) await page.locator("#deviceRegister").click();
  await page.locator("#deviceKeys tr[data-key-id]").first().waitFor({ timeout: WAIT_MS });
  step("identity: this device's key is registered and listed");
  await s.shot(kim, "identity");

  await kim.context.clearCookies();
  await page.goto("/");
  await page.locator("#deviceLoginBox:not([hidden])").waitFor({ timeout: WAIT_MS });
  await page.locator("#deviceLogin").click();
  await page.locator("#meUid", { hasText: kim.uid }).waitFor({ timeout: WAIT_MS });
  check(
    (await kim.context.cookies()).some((c) => c.name === "ts_session"),
    "identity: no session cookie after the device login",
  );
  step("identity: session lost, renewed by signing the server's challenge with the device key");

  await page.locator("#logoutAll").click();
  await page.locator("#signedOut:not([hidden])").waitFor({ timeout: WAIT_MS });
  await page.goto("/");
  await page.locator("#needManifest:not([hidden])").waitFor({ timeout: WAIT_MS });
  check(
    !(await page.locator("#deviceLoginBox").isVisible()),
    "identity: a revoked device key is still offered after logout everywhere",
  );
  step("identity: logout everywhere ends the session and revokes the device key: back to the manifest");
}
