/**
 * Mortgage: four people through the mortgage page only. Ben (borrower) registers a property and
 * asks for a loan, inviting Clara (lender); Clara finds the request, makes two offers; Ben compares
 * them side by side (payment and effective rate of both, the cheaper marked), opens a plan, accepts
 * one naming Dora (notary) and signs; Clara signs; Dora notarizes; Clara issues a tranche; Anna
 * (investor) subscribes to it. Each person sees only the sections of their roles. The operator
 * grants the lender and notary roles through the admin API, as in production.
 *
 * @module
 */
import { type Person, type Suite, WAIT_MS, check, openArea, step } from "./harness";
import { listLoaded, pageReady, row, rowShows, statusMatch, textOf } from "./page-kit";

/** A German money text as the portal shows it: "1.560,00 EUR". */
const MONEY = /^\d{1,3}(?:\.\d{3})*,\d{2} EUR$/;
/** An effective rate as the portal shows the server's exact percent string: "3,2474 %". */
const PERCENT = /^\d+,\d+ %$/;

/** Grants a party role as the operator does; the person reloads the page afterwards. */
async function grant(s: Suite, p: Person, role: "lender" | "notary", displayName: string): Promise<void> {
  await s.admin("PUT", `/api/admin/parties/${encodeURIComponent(p.uid)}`, { roles: [role], displayName });
}

/** Opens the mortgage page and waits until its first load (every list of the person's roles) is over. */
async function openMortgage(p: Person): Promise<void> {
  await openArea(p, "/mortgage.html");
  await p.page.locator("#borrowerSection").waitFor({ state: "visible", timeout: WAIT_MS });
  await pageReady(p, ["#propertyList", "#applicationList", "#borrowerContracts", "#openTranches", "#myTranches"]);
}

/** Checks which role sections the page shows `p`: those of their roles only (others are not in the page). */
async function sections(p: Person, lender: boolean, notary: boolean): Promise<void> {
  const page = p.page;
  for (const [id, shown] of [
    ["#lenderSection", lender],
    ["#notarySection", notary],
  ] as const) {
    if (shown) await page.locator(id).waitFor({ state: "visible", timeout: WAIT_MS });
    else check((await page.locator(id).count()) === 0, `${p.name}: ${id} is in the page without the role`);
  }
  check(await page.locator("#investorSection").isVisible(), `${p.name}: no investor section`);
  check((await page.locator("#roleNavLender").isVisible()) === lender, `${p.name}: the lender link's visibility is wrong`);
  check((await page.locator("#roleNavNotary").isVisible()) === notary, `${p.name}: the notary link's visibility is wrong`);
}

/**
 * Registers a property through the borrower form and returns its id (the mortgage scenario and
 * the legal hub's link to a mortgage object use it). The page must be the mortgage page.
 */
export async function registerProperty(p: Person, street: string): Promise<string> {
  const page = p.page;
  await page.locator("#propType").selectOption("apartment");
  await page.locator("#propStreet").fill(street);
  await page.locator("#propZip").fill("10115");
  await page.locator("#propCity").fill("Berlin");
  await page.locator("#propCountry").fill("DE");
  await page.locator("#propPrice").fill("450.000,00");
  await page.locator("#propOwnCapital").fill("90.000,00");
  await page.locator("#propCurrency").fill("EUR");
  await page.locator("#propertySubmit").click();
  const [, propertyId = ""] = await statusMatch(p, /Immobilie (house-\S+) registriert\./);
  const r = await row(p, "#propertyList", propertyId);
  const text = await textOf(r);
  check(text.includes(`${street}, 10115 Berlin (DE)`), `${p.name}: property row lacks the address: ${text}`);
  check(text.includes("450.000,00 EUR") && text.includes("90.000,00 EUR"), `${p.name}: property row lacks the amounts: ${text}`);
  return propertyId;
}

/** The whole deal, from the property to a subscribed tranche. */
export async function mortgageScenario(s: Suite): Promise<void> {
  const ben = await s.person("Ben");
  const clara = await s.person("Clara");
  const dora = await s.person("Dora");
  const anna = await s.person("Anna");
  await grant(s, clara, "lender", `Clara Bank ${s.run}`);
  await grant(s, dora, "notary", `Dora Notarin ${s.run}`);
  step("mortgage: Clara holds the lender role, Dora the notary role (operator)");

  // ── Ben: property and application, inviting Clara.
  await openMortgage(ben);
  await sections(ben, false, false);
  const propertyId = await registerProperty(ben, `Lindenstraße ${s.run}`);
  await ben.page.locator("#appProperty").selectOption(propertyId);
  await ben.page.locator("#appLoan").fill("360.000,00");
  await ben.page.locator("#appYears").fill("25");
  await ben.page.locator("#appRateType").selectOption("fixed");
  await ben.page.locator("#appMaxRate").fill("4,5");
  await ben.page.locator("#appVisibility").selectOption("private");
  await ben.page.locator("#appIncome").fill("5.200,00");
  await ben.page.locator(`#invite-${clara.uid}`).check({ timeout: WAIT_MS });
  await ben.page.locator("#applicationSubmit").click();
  const [, appId = ""] = await statusMatch(ben, /Anfrage (app-\S+) gestellt\./);
  const appRow = await textOf(await row(ben, "#applicationList", appId));
  check(
    appRow.includes("360.000,00 EUR") && appRow.includes("25 J.") && appRow.includes("privat") && appRow.includes("offen"),
    `Ben: application row: ${appRow}`,
  );
  step(`mortgage: Ben registered ${propertyId} and asked for 360.000,00 EUR (${appId}), inviting Clara`);

  // ── Clara: the shared request, two offers.
  await openMortgage(clara);
  await sections(clara, true, false);
  const market = await textOf(await row(clara, "#marketList", appId));
  check(market.includes("360.000,00 EUR") && market.includes("4,50 %"), `Clara: market row: ${market}`);
  check(market.includes("Netto 5.200,00 EUR/Monat"), `Clara: the invited bank does not see the shared income: ${market}`);
  await listLoaded(clara, "#lenderOffers");
  const offer = async (nominal: string, initial: string, fixed: string, fee: string): Promise<string> => {
    await clara.page.locator(`#offer-for-${appId}`).click();
    await statusMatch(clara, /ins Angebotsformular übernommen/);
    check((await clara.page.locator("#offerApp").inputValue()) === appId, "Clara: the offer form did not take the request");
    check((await clara.page.locator("#offerLoan").inputValue()) === "360.000,00", "Clara: the offer form lacks the loan");
    await clara.page.locator("#offerNominal").fill(nominal);
    await clara.page.locator("#offerInitial").fill(initial);
    await clara.page.locator("#offerFixed").fill(fixed);
    await clara.page.locator("#offerProcessingFee").fill(fee);
    await clara.page.locator("#offerSubmit").click();
    const [, id = "", monthly = ""] = await statusMatch(
      clara,
      /Angebot (mort-offer-\S+): Monatsrate (.+ EUR), Effektivzins \d+,\d+ %\./,
    );
    await rowShows(clara, "#lenderOffers", id, monthly);
    return id;
  };
  // German annuity: loan × (nominal + initial repayment) / 12 — exact for these terms.
  const cheap = await offer("3,2", "2", "10", "");
  const dear = await offer("3,45", "3", "15", "1.500,00");
  check(
    (await textOf(await row(clara, "#lenderOffers", cheap))).includes("1.560,00 EUR"),
    "Clara: offer 1's monthly payment is not 1.560,00 EUR",
  );
  check(
    (await textOf(await row(clara, "#lenderOffers", dear))).includes("1.935,00 EUR"),
    "Clara: offer 2's monthly payment is not 1.935,00 EUR",
  );
  step(`mortgage: Clara offered ${cheap} (3,2 %) and ${dear} (3,45 % + fee)`);

  // ── Ben: both offers side by side, a plan, accept naming Dora, sign.
  await openMortgage(ben);
  await rowShows(ben, "#applicationList", appId, "angeboten");
  await ben.page.locator(`#compare-${appId}`).click();
  const table = ben.page.locator("#offerCompareTable");
  await table.waitFor({ timeout: WAIT_MS });
  check((await textOf(ben.page.locator("#offersFor"))) === appId, "Ben: the comparison names another request");
  const heads = await table.locator("thead th").allTextContents();
  const col = (id: string) => heads.findIndex((h) => h.includes(id)) - 1;
  const [ci, di] = [col(cheap), col(dear)];
  check(ci >= 0 && di >= 0 && heads.length === 3, `Ben: the comparison's columns are ${JSON.stringify(heads)}`);
  const cells = (key: string) => table.locator(`tr[data-row="${key}"] td`).allTextContents();
  const monthly = await cells("monthly");
  check(monthly[ci] === "1.560,00 EUR" && monthly[di] === "1.935,00 EUR", `Ben: monthly payments ${JSON.stringify(monthly)}`);
  const effective = await cells("effective");
  check(
    effective.length === 2 && effective.every((t) => PERCENT.test(t)) && effective[ci] !== effective[di],
    `Ben: effective rates ${JSON.stringify(effective)}`,
  );
  const bestEffective = await table.locator('tr[data-row="effective"] td').nth(ci).getAttribute("class");
  check(bestEffective?.includes("best"), "Ben: the lower effective rate is not marked");
  const fees = await cells("fees");
  check(fees[ci] === "0,00 EUR" && fees[di] === "1.500,00 EUR", `Ben: fees ${JSON.stringify(fees)}`);
  const totals = await cells("total");
  check(totals.length === 2 && totals.every((t) => MONEY.test(t)), `Ben: totals ${JSON.stringify(totals)}`);
  step(`mortgage: Ben compares both offers: payments ${monthly.join(" / ")}, effective ${effective.join(" / ")}`);

  await ben.page.locator(`#plan-${cheap}`).click();
  await ben.page.locator("#planBox").waitFor({ state: "visible", timeout: WAIT_MS });
  const summary = await textOf(ben.page.locator("#planSummary"));
  check(
    summary.startsWith("Monatsrate 1.560,00 EUR") && summary.includes(`Effektivzins ${effective[ci]}`),
    `Ben: plan summary: ${summary}`,
  );
  check((await textOf(ben.page.locator("#planFor"))) === cheap, "Ben: the plan is of another offer");
  const firstMonth = await ben.page.locator("#planRows tr").first().locator("td").allTextContents();
  // Month 1: 360.000,00 × 3,2 % / 12 = 960,00 interest, the rest of 1.560,00 repays.
  check(
    JSON.stringify(firstMonth) === JSON.stringify(["1", "1.560,00 EUR", "960,00 EUR", "600,00 EUR", "359.400,00 EUR"]),
    `Ben: the plan's first month is ${JSON.stringify(firstMonth)}`,
  );
  check((await ben.page.locator("#planYears tr").count()) > 10, "Ben: the plan has no yearly summary");
  await s.shot(ben, "mortgage");

  await ben.page.locator("#acceptNotary").fill(dora.uid);
  await ben.page.locator(`#accept-${cheap}`).click();
  const [, contractId = ""] = await statusMatch(ben, /Angenommen\. Vertrag (mort-contract-\S+) ist entworfen/);
  await rowShows(ben, "#applicationList", appId, "angenommen");
  const draft = await textOf(await row(ben, "#borrowerContracts", contractId));
  check(draft.includes(dora.uid) && draft.includes("Entwurf") && draft.includes("360.000,00 EUR"), `Ben: contract row: ${draft}`);
  check((await ben.page.locator(`#accept-${dear}`).count()) === 0, "Ben: the other offer can still be accepted");
  await ben.page.locator(`#sign-borrower-${contractId}`).click();
  await statusMatch(ben, /^Unterschrieben\. Vertrag: Entwurf\.$/);
  await rowShows(ben, "#borrowerContracts", contractId, "Kreditnehmer ✓ · Bank – · Notar –");
  step(`mortgage: Ben accepted ${cheap} naming Dora and signed ${contractId}`);

  // ── Clara signs; Dora notarizes.
  await openMortgage(clara);
  await rowShows(clara, "#lenderContracts", contractId, "Entwurf");
  await clara.page.locator(`#sign-lender-${contractId}`).click();
  await statusMatch(clara, /^Unterschrieben\. Vertrag: wartet auf Notar\.$/);
  await rowShows(clara, "#lenderContracts", contractId, "Kreditnehmer ✓ · Bank ✓ · Notar –");

  await openMortgage(dora);
  await sections(dora, false, true);
  await rowShows(dora, "#notaryContracts", contractId, "wartet auf Notar");
  await dora.page.locator(`#notarize-${contractId}`).click();
  await statusMatch(dora, /^Beurkundet\. Vertrag: unterschrieben\.$/);
  await rowShows(dora, "#notaryContracts", contractId, "Kreditnehmer ✓ · Bank ✓ · Notar ✓");
  check((await dora.page.locator(`#notarize-${contractId}`).count()) === 0, "Dora: a signed contract offers notarizing again");
  await s.shot(dora, "mortgage-notary");
  step(`mortgage: Clara signed, Dora notarized ${contractId}`);

  // ── Clara issues a tranche of the signed contract.
  await openMortgage(clara);
  await rowShows(clara, "#lenderContracts", contractId, "unterschrieben · vergeben 0,00 EUR");
  await listLoaded(clara, "#lenderTranches");
  await clara.page.locator(`#tranche-for-${contractId}`).click();
  await statusMatch(clara, /Vertrag ins Tranchen-Formular übernommen/);
  check((await clara.page.locator("#trancheContract").inputValue()) === contractId, "Clara: tranche form lacks the contract");
  await clara.page.locator("#trancheNominal").fill("100.000,00");
  await clara.page.locator("#trancheYield").fill("4,1");
  await clara.page.locator("#trancheRisk").fill("A");
  await clara.page.locator("#trancheYears").fill("10");
  await clara.page.locator("#trancheSubmit").click();
  const [, trancheId = ""] = await statusMatch(clara, /Tranche (\S+) ausgegeben\./);
  const issued = await textOf(await row(clara, "#lenderTranches", trancheId));
  check(
    issued.includes(contractId) && issued.includes("100.000,00 EUR") && issued.includes("4,10 %"),
    `Clara: tranche row: ${issued}`,
  );
  await rowShows(clara, "#lenderContracts", contractId, "vergeben 100.000,00 EUR");
  step(`mortgage: Clara issued tranche ${trancheId} of 100.000,00 EUR`);

  // ── Anna subscribes.
  await openMortgage(anna);
  await sections(anna, false, false);
  const open = await textOf(await row(anna, "#openTranches", trancheId));
  check(open.includes("100.000,00 EUR") && open.includes("4,10 %") && open.includes("10 J."), `Anna: open tranche: ${open}`);
  await anna.page.locator(`#subscribe-${trancheId}`).click();
  await statusMatch(anna, new RegExp(`^Tranche ${trancheId} gezeichnet\\.$`));
  await rowShows(anna, "#myTranches", trancheId, "gezeichnet");
  check((await anna.page.locator(`#openTranches tr`, { hasText: trancheId }).count()) === 0, "Anna: the tranche is still open");

  await openMortgage(clara);
  await rowShows(clara, "#lenderTranches", trancheId, anna.uid);
  await s.shot(clara, "mortgage-lender");
  step(`mortgage: Anna subscribed ${trancheId}; Clara sees her as the holder`);
}
