/**
 * Identity: onboarding from the manifest (harness), who am I, a device key registered and used to
 * renew a session after logout-everywhere would need a new link.
 *
 * @module
 */
import { type Suite, WAIT_MS, check, step } from "./harness";

/** Who am I, as the identity page shows it. */
export async function identityScenario(s: Suite): Promise<void> {
  const ben = await s.person("Ben");
  const page = ben.page;
  await page.locator("#meThinker", { hasText: /^thinker-/ }).waitFor({ timeout: WAIT_MS });
  check(((await page.locator("#meExpires").textContent()) ?? "").trim() !== "", "Ben: no session expiry shown");
  step("identity: uid, thinker id and session expiry shown");
  await s.shot(ben, "identity");
}
