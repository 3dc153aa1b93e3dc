/**
 * Vouchers and the business area: an issuer issues from a template, a holder books a slot through
 * the page's own confirmation, reschedules, cancels, books again; the issuer redeems and sees the
 * bookings in the business statistics; a holder transfers a second voucher to a third person.
 *
 * @module
 */
import { type Person, type Suite, WAIT_MS, check, openArea, statusSays, step } from "./harness";

/** Issues a voucher from the first template with a price typed in euros; returns its id. */
async function issue(p: Person, price: string): Promise<string> {
  await openArea(p, "/vouchers.html");
  await p.page.locator("#issueTemplate option").first().waitFor({ state: "attached", timeout: WAIT_MS });
  await p.page.locator("#issuePrice").fill(price);
  await p.page.locator("#issueSubmit").click();
  await p.page.locator("#issued[data-voucher-id]").waitFor({ timeout: WAIT_MS });
  const id = (await p.page.locator("#issued").getAttribute("data-voucher-id")) ?? "";
  check(id !== "", `${p.name}: no voucher id after issuing`);
  return id;
}

/** Opens the free slots of `voucherId` by id and books the `n`-th, confirming in the page. */
async function bookById(p: Person, voucherId: string, n: number): Promise<void> {
  await openArea(p, "/vouchers.html");
  await p.page.locator("#bookVoucherId").fill(voucherId);
  await p.page.locator("#bookShowSlots").click();
  await p.page.locator("#slots button[data-slot-id]").nth(n).click();
  await p.page.locator("#confirmBox:not([hidden])").waitFor({ timeout: WAIT_MS });
  await p.page.locator("#confirmYes").click();
  await statusSays(p, "Gebucht:");
}

const bookingRow = (p: Person, status: string) => p.page.locator(`#bookingsList tr[data-booking-id][data-status="${status}"]`);

/** The whole voucher flow through the pages, with the issuer's statistics. */
export async function vouchersScenario(s: Suite): Promise<void> {
  const [ida, hugo, tom] = [await s.person("Ida"), await s.person("Hugo"), await s.person("Tom")];
  const v1 = await issue(ida, "50,00");
  const v2 = await issue(ida, "20,00");
  step(`vouchers: Ida issued ${v1} and ${v2} (50,00 € and 20,00 €)`);

  await bookById(hugo, v1, 0);
  await bookingRow(hugo, "booked").first().waitFor({ timeout: WAIT_MS });
  step("vouchers: Hugo booked the first free slot after the page's own confirmation");

  await bookingRow(hugo, "booked").first().locator('button[data-action="reschedule"]').click();
  await hugo.page.locator("#slots button[data-slot-id]").nth(2).click();
  await hugo.page.locator("#confirmYes", { hasText: "verschieben" }).click();
  await statusSays(hugo, "Verschoben auf");
  await bookingRow(hugo, "rescheduled").first().waitFor({ timeout: WAIT_MS });
  step("vouchers: rescheduled (the old booking shows as verschoben, a new one as gebucht)");

  await bookingRow(hugo, "booked").first().locator('button[data-action="cancel"]').click();
  await statusSays(hugo, "Storniert.");
  await bookingRow(hugo, "cancelled").first().waitFor({ timeout: WAIT_MS });
  await bookById(hugo, v1, 1);
  step("vouchers: cancelled, then booked again (the voucher stayed Hugo's)");
  await hugo.page.locator(`#heldList tr[data-voucher-id="${v1}"]`).waitFor({ timeout: WAIT_MS });
  await s.shot(hugo, "vouchers");

  // Booking the second voucher makes Hugo its holder; cancelled, it is his to pass on.
  await bookById(hugo, v2, 0);
  await bookingRow(hugo, "booked").filter({ hasText: v2 }).locator('button[data-action="cancel"]').click();
  await statusSays(hugo, "Storniert.");
  await hugo.page.locator(`#heldList tr[data-voucher-id="${v2}"] button[data-action="transfer"]`).click();
  await hugo.page.locator("#transferUid").fill(tom.uid);
  await hugo.page.locator("#transferSubmit").click();
  await statusSays(hugo, `Übertragen an ${tom.uid}`);
  await openArea(tom, "/vouchers.html");
  await tom.page.locator(`#heldList tr[data-voucher-id="${v2}"]`).waitFor({ timeout: WAIT_MS });
  step("vouchers: Hugo transferred the second voucher to Tom, who holds it now");

  await openArea(ida, "/vouchers.html");
  await ida.page.locator(`#issuedList tr[data-voucher-id="${v1}"] button[data-action="redeem"]`).click();
  await ida.page.locator(`#issuedList tr[data-voucher-id="${v1}"][data-status="consumed"]`).waitFor({ timeout: WAIT_MS });
  step("vouchers: Ida redeemed the booked voucher");

  await openArea(ida, "/business.html");
  await ida.page.locator("#perDay tr[data-day]").first().waitFor({ timeout: WAIT_MS });
  await ida.page.locator(`#bizVouchers tr[data-voucher-id="${v1}"]`).waitFor({ timeout: WAIT_MS });
  const totals = (await ida.page.locator("#statsTotals").textContent()) ?? "";
  check(/eingelöst/.test(totals), `business: the totals do not count the redemption: ${totals}`);
  step("business: Ida's statistics show bookings per day, her vouchers and the redemption");
  await s.shot(ida, "business");

  // On a phone: one column, nothing wider than the screen (tables scroll inside their box).
  await hugo.page.setViewportSize({ width: 390, height: 844 });
  await openArea(hugo, "/vouchers.html");
  await hugo.page.locator(`#heldList tr[data-voucher-id="${v1}"]`).waitFor({ timeout: WAIT_MS });
  const overflow = (await hugo.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number;
  check(overflow <= 0, `vouchers on a 390 px phone: the page is ${overflow} px wider than the screen`);
  await s.shot(hugo, "vouchers-phone");
  await hugo.page.setViewportSize({ width: 1100, height: 900 });
  step("vouchers: on a 390 px phone the page fits the screen");
}
