/**
 * Telbank: a person logs a fiat ↔ crypto transfer with an 18-decimal ETH amount and an IBAN, sees
 * it listed exactly (amount as typed, IBAN masked), marks it settled; logs a second one and marks
 * it failed with a reason; filters by direction; a badly typed amount is refused by the page and
 * one with too many decimals by the API, both with a clear text and nothing logged.
 *
 * @module
 */
import { type Person, type Suite, WAIT_MS, check, openArea, step } from "./harness";
import { pageReady, row, rowShows, statusMatch, textOf } from "./page-kit";

/** What the transfer form gets. */
interface Transfer {
  direction: "in" | "out";
  network: string;
  wallet: string;
  amount: string;
  symbol: string;
  fiat: string;
  account: string;
  note: string;
}

async function fillTransfer(p: Person, t: Transfer): Promise<void> {
  const page = p.page;
  await page.locator("#tDirection").selectOption(t.direction);
  await page.locator("#tNetwork").fill(t.network);
  await page.locator("#tWallet").fill(t.wallet);
  await page.locator("#tAmount").fill(t.amount);
  await page.locator("#tSymbol").fill(t.symbol);
  await page.locator("#tFiat").fill(t.fiat);
  await page.locator("#tCurrency").fill("EUR");
  await page.locator("#tAccount").fill(t.account);
  await page.locator("#tNote").fill(t.note);
}

/** Logs `t` and returns the id the page announces. */
async function logTransfer(p: Person, t: Transfer): Promise<string> {
  await fillTransfer(p, t);
  await p.page.locator("#transferSubmit").click();
  const [, amount = "", id = ""] = await statusMatch(p, /^Erfasst: (\S+) \S+ \((\S+)\)\.$/);
  check(amount === t.amount, `${p.name}: the page says ${amount} was logged, not ${t.amount}`);
  return id;
}

/** The transfer flow of one person. */
export async function telbankScenario(s: Suite): Promise<void> {
  const ben = await s.person("Ben");
  const page = ben.page;
  await openArea(ben, "/telbank.html");
  await pageReady(ben, ["#transferList"]);

  // 1.234567890123456789 ETH: all 18 decimals (wei) must come back as typed.
  const wallet = `0x${"5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}`;
  const first: Transfer = {
    direction: "in",
    network: "ethereum",
    wallet,
    amount: "1.234567890123456789",
    symbol: "ETH",
    fiat: "2.345,67",
    account: "DE89 3704 0044 0532 0130 00",
    note: `Kauf ${s.run}`,
  };
  const id1 = await logTransfer(ben, first);
  const r1 = await textOf(await row(ben, "#transferList", id1));
  check(r1.includes("1.234567890123456789 ETH"), `Ben: the 18-decimal amount is not shown as typed: ${r1}`);
  check(r1.includes("2.345,67 EUR") && r1.includes("Eingang") && r1.includes("erfasst"), `Ben: transfer row: ${r1}`);
  check(r1.includes("DE89**************3000"), `Ben: the IBAN is not shown masked: ${r1}`);
  check(!r1.includes("0532013000") && !r1.includes("0532 0130"), `Ben: the list shows the whole IBAN: ${r1}`);
  check(r1.toLowerCase().includes(wallet), `Ben: the wallet is missing: ${r1}`);
  step(`telbank: ${id1} logged: 1.234567890123456789 ETH, 2.345,67 EUR, IBAN masked`);

  await page.locator(`#settle-${id1}`).click();
  await statusMatch(ben, new RegExp(`^Überweisung ${id1}: abgeschlossen\\.$`));
  // The button's own label says "Abgeschlossen" too: the refreshed row is the one without it.
  await page.locator(`#settle-${id1}`).waitFor({ state: "detached", timeout: WAIT_MS });
  const settled = await rowShows(ben, "#transferList", id1, "abgeschlossen");
  check((await settled.locator("button").count()) === 0, "Ben: a settled transfer can still be closed");

  const second: Transfer = {
    direction: "out",
    network: "ethereum",
    wallet,
    amount: "0.5",
    symbol: "ETH",
    fiat: "900,00",
    account: "NL91ABNA0417164300",
    note: `Verkauf ${s.run}`,
  };
  const id2 = await logTransfer(ben, second);
  await rowShows(ben, "#transferList", id2, "NL91**********4300");
  await page.locator("#failReason").fill("Bank hat die Gutschrift abgelehnt");
  const fail = page.locator(`#fail-${id2}`);
  await fail.click();
  check((await textOf(fail)) === "Wirklich fehlgeschlagen?", "Ben: the fail button did not ask to confirm");
  await fail.click();
  await statusMatch(ben, new RegExp(`^Überweisung ${id2}: fehlgeschlagen\\.$`));
  await rowShows(ben, "#transferList", id2, "fehlgeschlagen (Bank hat die Gutschrift abgelehnt)");
  step(`telbank: ${id1} settled, ${id2} failed with its reason`);

  // Only the outgoing one under the direction filter.
  await page.locator("#fDirection").selectOption("out");
  await page.locator("#filterSubmit").click();
  await page.locator(`#transferList tr[data-id="${id1}"]`).waitFor({ state: "detached", timeout: WAIT_MS });
  await row(ben, "#transferList", id2);
  await page.locator("#fDirection").selectOption("");
  await page.locator("#filterSubmit").click();
  await row(ben, "#transferList", id1);
  const count = await page.locator("#transferList tr[data-id]").count();
  await s.shot(ben, "telbank");

  // A comma is not the crypto amount's decimal separator: the page refuses before sending.
  await fillTransfer(ben, { ...second, amount: "1,5", note: `Tippfehler ${s.run}` });
  await page.locator("#transferSubmit").click();
  await statusMatch(ben, /^Krypto-Betrag: eine Dezimalzahl mit Punkt, ohne Vorzeichen, Exponent oder führende Nullen/);
  check(await page.locator("#status.error").isVisible(), "Ben: the refusal is not shown as an error");
  // Nineteen decimals are finer than ETH's wei: the API refuses, the page shows why.
  await page.locator("#tAmount").fill("0.1234567890123456789");
  await page.locator("#transferSubmit").click();
  await statusMatch(ben, /cryptoAmount.*ETH amount|ETH amount/);
  check(await page.locator("#status.error").isVisible(), "Ben: the API's refusal is not shown as an error");
  check((await page.locator("#transferList tr[data-id]").count()) === count, "Ben: a refused transfer was listed");
  check((await page.locator("#transferList tr", { hasText: `Tippfehler ${s.run}` }).count()) === 0, "Ben: refused note listed");
  step(`telbank: "1,5" refused by the page, 19 decimals refused by the API: "${await textOf(page.locator("#status"))}"`);
}
