// Mortgage area (public/mortgage.html): one page, one section per role. Borrower and investor are
// everyone (the API lets any verified uid register a property, apply and subscribe to tranches);
// the lender and notary sections appear only when `GET /api/me` lists that party role, so nobody
// gets buttons that can only be refused. Row buttons are offered by `contractActions` for the same
// reason. Every figure of an offer (payment, rates, totals, plan) is the server's; money is shown
// with `money`, rates as exact percent text from ppm.
//
// Element ids the browser suite uses:
//   sections: #borrowerSection, #lenderSection, #notarySection, #investorSection, #roleNav
//   borrower: #propertyForm (#propType #propStreet #propZip #propCity #propCountry #propPrice
//     #propOwnCapital #propCurrency #propertySubmit), #propertyList (row button #apply-<propertyId>),
//     #applicationForm (#appProperty #appLoan #appYears #appRateType #appMaxRate #appVisibility
//     #appIncome #appLenders with checkboxes #invite-<lenderUid>, #applicationSubmit),
//     #applicationList (row buttons #compare-<applicationId>, #withdraw-<applicationId>),
//     #offersBox, #acceptNotary, #offerCompare (table #offerCompareTable; per offer #plan-<offerId>,
//     #accept-<offerId>), #planBox (#planSummary #planYears #planRows),
//     #contractNotary, #borrowerContracts (row buttons #sign-borrower-<contractId>,
//     #assign-notary-<contractId> (names the uid in #contractNotary), #cancel-<contractId>)
//   Buttons marked "danger" (#cancel-…, #withdraw-<applicationId>) need two clicks: the first
//   arms them ("Wirklich …?"), the second acts. No browser dialogs anywhere.
//   lender: #marketList (row button #offer-for-<applicationId>), #offerForm (#offerApp #offerLoan
//     #offerCurrency #offerNominal #offerInitial #offerFixed #offerProcessingFee #offerValuationFee
//     #offerValidUntil #offerSubmit), #lenderOffers (#withdraw-offer-<offerId>), #lenderContracts
//     (#sign-lender-<contractId>, #tranche-for-<contractId>, #cancel-<contractId>), #trancheForm
//     (#trancheContract #trancheNominal #trancheCurrency #trancheYield #trancheRisk #trancheYears
//     #trancheSubmit), #lenderTranches (#cancel-tranche-<trancheId>)
//   notary: #notaryContracts (#notarize-<contractId>), #notarizeForm (#notarizeId #notarizeSubmit)
//   investor: #openTranches (#subscribe-<trancheId>), #myTranches
//   #status: progress and the API's error text.

import {
  $,
  api,
  apiPages,
  el,
  fmt,
  money,
  mountShell,
  onSubmit,
  pagedList,
  parseMoney,
  query,
  say,
  showSignedOut,
  withProgress,
} from "./core.js";
import {
  compareOffers,
  contractActions,
  durationText,
  opName,
  percentStringDe,
  percentToRate,
  planExcerpt,
  ratePercent,
  statusDe,
  yearlySummary,
} from "./deals-format.js";

const H = "/api/hypotheken";

/** A table row of plain cells (nodes or text). */
const tr = (/** @type {any[]} */ ...cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c)));
/** A small action button with an id, running `action` with progress. */
function act(id, label, busy, action) {
  const b = el("button", { type: "button", id, class: "small" }, label);
  b.addEventListener("click", () => withProgress(b, busy, action));
  return b;
}
/**
 * A destructive action's button: the first click arms it ("Wirklich …?"), the second runs it, so
 * nothing is lost to a slip and no browser dialog is needed.
 */
function armed(id, label, confirmLabel, busy, action) {
  const b = el("button", { type: "button", id, class: "small danger" }, label);
  b.addEventListener("click", () => {
    if (b.dataset.armed !== "1") {
      b.dataset.armed = "1";
      b.textContent = confirmLabel;
      return;
    }
    delete b.dataset.armed;
    b.textContent = label;
    withProgress(b, busy, action);
  });
  return b;
}
/** A typed amount in minor units, or a thrown message naming the field. */
function amountOf(input, label, { optional = false } = {}) {
  const text = input.value.trim();
  if (!text && optional) return undefined;
  const v = parseMoney(text);
  if (v === null || v < 0) throw new Error(`${label}: bitte einen Betrag wie 1.234,56 eingeben.`);
  return v;
}
/** A typed percent as the API's decimal-fraction string, or a thrown message. */
function rateOf(input, label, { optional = false } = {}) {
  const text = input.value.trim();
  if (!text && optional) return undefined;
  const r = percentToRate(text);
  if (r === null)
    throw new Error(`${label}: bitte einen Prozentsatz von 0 bis 100 mit höchstens vier Nachkommastellen eingeben.`);
  return r;
}
/** A date input (local day) as the end of that day, ISO-8601. */
const endOfDay = (/** @type {string} */ value) => new Date(`${value}T23:59:59`).toISOString();
const currencyOf = (input) => input.value.trim().toUpperCase();
/** A page loader of a `/api/hypotheken` list (see core's `apiPages`). */
const pageLoader = (path, params, key) => apiPages(`${H}${path}`, params, key);
const signatures = (c) =>
  [
    c.signedByBorrower ? "Kreditnehmer ✓" : "Kreditnehmer –",
    c.signedByLender ? "Bank ✓" : "Bank –",
    c.signedByNotary ? "Notar ✓" : "Notar –",
  ].join(" · ");

function start(me) {
  const roles = me.roles ?? [];
  const isLender = roles.includes("lender");
  const isNotary = roles.includes("notary");
  $("roleNav").hidden = false;
  $("borrowerSection").hidden = false;
  $("investorSection").hidden = false;
  $("roleNavLender").hidden = !isLender;
  $("roleNavNotary").hidden = !isNotary;
  // Sections of roles the person does not hold leave the page, so no button of theirs exists.
  if (isLender) $("lenderSection").hidden = false;
  else $("lenderSection").remove();
  if (isNotary) $("notarySection").hidden = false;
  else $("notarySection").remove();

  const validDefault = new Date(Date.now() + 14 * 86_400_000);
  if ($("offerValidUntil")) $("offerValidUntil").value = validDefault.toISOString().slice(0, 10);

  // ---------- contracts, rendered for each role's view ----------
  /** The buttons of one contract row for this person. */
  function contractButtons(c) {
    const out = [];
    const sign = (action, id, label) =>
      act(id, label, "Unterschreibe", async () => {
        const r = await api(`${H}/vertrag/update-status`, {
          body: { contractVoucherId: c.voucherId, action },
          op: `mortgage.sign:${c.voucherId}:${action}`,
        });
        const done = action === "signed-by-notary" ? "Beurkundet" : "Unterschrieben";
        say(r.alreadySigned ? `${done} war schon erfolgt.` : `${done}. Vertrag: ${statusDe(r.contract.status)}.`);
        await refreshContracts();
      });
    for (const a of contractActions(c, me.uid, roles)) {
      if (a === "signed-by-borrower") out.push(sign(a, `sign-borrower-${c.voucherId}`, "Unterschreiben"));
      if (a === "signed-by-lender") out.push(sign(a, `sign-lender-${c.voucherId}`, "Unterschreiben"));
      if (a === "signed-by-notary") out.push(sign(a, `notarize-${c.voucherId}`, "Beurkunden"));
      if (a === "assign-notary")
        out.push(
          act(`assign-notary-${c.voucherId}`, "Notar benennen", "Benenne Notar", async () => {
            const notaryUid = $("contractNotary").value.trim();
            if (!notaryUid) throw new Error("Bitte die uid des Notars ins Feld „Notar“ über der Vertragsliste eintragen.");
            await api(`${H}/vertrag/update-status`, {
              body: { contractVoucherId: c.voucherId, action: a, notaryUid },
              op: `mortgage.assign:${c.voucherId}:${notaryUid}`,
            });
            say("Notar benannt.");
            await refreshContracts();
          }),
        );
      if (a === "cancel")
        out.push(
          armed(`cancel-${c.voucherId}`, "Stornieren", "Wirklich stornieren?", "Storniere", async () => {
            await api(`${H}/vertrag/update-status`, {
              body: { contractVoucherId: c.voucherId, action: a },
              op: `mortgage.cancel:${c.voucherId}`,
            });
            say("Vertrag storniert.");
            await refreshContracts();
          }),
        );
      if (a === "issue-tranche")
        out.push(
          act(`tranche-for-${c.voucherId}`, "Tranche ausgeben", "Bereite vor", async () => {
            $("trancheContract").value = c.voucherId;
            $("trancheCurrency").value = c.loan.currency;
            $("trancheNominal").focus();
            say("Vertrag ins Tranchen-Formular übernommen.");
          }),
        );
    }
    return el("div", { class: "actions" }, ...out);
  }
  /** The contracts in which the person is `role`, paged by the server. */
  function contractList(container, role, render, empty) {
    return pagedList(container, pageLoader("/vertrag/list", { role }, "contracts"), render, empty);
  }
  async function refreshContracts() {
    const jobs = [
      contractList(
        $("borrowerContracts"),
        "borrower",
        (c) =>
          tr(c.voucherId, c.lenderId, money(c.loan), c.notaryUid ?? "–", signatures(c), statusDe(c.status), contractButtons(c)),
        "Noch kein Vertrag. Ein Vertrag entsteht, wenn du ein Angebot annimmst.",
      ),
    ];
    if (isLender)
      jobs.push(
        contractList(
          $("lenderContracts"),
          "lender",
          (c) =>
            tr(
              c.voucherId,
              c.borrowerUid,
              money(c.loan),
              c.notaryUid ?? "–",
              signatures(c),
              `${statusDe(c.status)}${c.status === "signed" ? ` · vergeben ${money(c.tranchedAmount)}` : ""}`,
              contractButtons(c),
            ),
          "Noch kein Vertrag als Bank.",
        ),
      );
    if (isNotary)
      jobs.push(
        contractList(
          $("notaryContracts"),
          "notary",
          (c) => tr(c.voucherId, c.borrowerUid, c.lenderId, money(c.loan), signatures(c), statusDe(c.status), contractButtons(c)),
          "Kein Vertrag nennt dich als Notar.",
        ),
      );
    await Promise.all(jobs);
  }

  // ---------- borrower ----------
  async function refreshProperties() {
    await pagedList(
      $("propertyList"),
      pageLoader("/property/list", {}, "items"),
      (p) =>
        tr(
          p.propertyId,
          `${p.address.street}, ${p.address.zip} ${p.address.city} (${p.address.country})`,
          money(p.purchasePrice),
          money(p.ownCapital),
          act(`apply-${p.propertyId}`, "Finanzierung anfragen", "Bereite vor", async () => {
            $("appProperty").value = p.propertyId;
            $("appLoan").focus();
            say(`Immobilie ${p.propertyId} gewählt.`);
          }),
        ),
      "Noch keine Immobilie registriert.",
    );
    // The application form's choice: the first 100 properties (a person rarely has more).
    try {
      const r = await api(`${H}/property/list?limit=100`);
      const chosen = $("appProperty").value;
      $("appProperty").replaceChildren(
        ...r.items.map((p) => el("option", { value: p.propertyId }, `${p.propertyId} – ${p.address.city}`)),
      );
      if (chosen) $("appProperty").value = chosen;
    } catch (err) {
      say(err instanceof Error ? err.message : String(err), true);
    }
  }

  onSubmit($("propertyForm"), "Registriere Immobilie", async () => {
    const currency = currencyOf($("propCurrency"));
    const body = {
      type: $("propType").value,
      address: {
        street: $("propStreet").value.trim(),
        zip: $("propZip").value.trim(),
        city: $("propCity").value.trim(),
        country: $("propCountry").value.trim().toUpperCase(),
      },
      purchasePrice: { amount: amountOf($("propPrice"), "Kaufpreis"), currency },
      ownCapital: { amount: amountOf($("propOwnCapital"), "Eigenkapital"), currency },
    };
    const r = await api(`${H}/property`, { body, op: opName("mortgage.property", body) });
    say(`Immobilie ${r.propertyId} registriert.`);
    $("propertyForm").reset();
    await refreshProperties();
    $("appProperty").value = r.propertyId;
  });

  async function loadLenders() {
    await pagedList(
      $("appLenders"),
      async (cursor) => {
        const r = await api(`${H}/lenders?${query({ cursor })}`);
        // A bank cannot be invited to its own application.
        return { items: r.items.filter((l) => l.uid !== me.uid), nextCursor: r.nextCursor };
      },
      (l) =>
        el(
          "label",
          { class: "check" },
          el("input", { type: "checkbox", id: `invite-${l.uid}`, value: l.uid, name: "invite" }),
          ` ${l.displayName} (${l.uid})`,
        ),
      "Keine Bank im Verzeichnis.",
    );
  }

  onSubmit($("applicationForm"), "Stelle Anfrage", async () => {
    const propertyId = $("appProperty").value;
    if (!propertyId) throw new Error("Bitte zuerst eine Immobilie registrieren und wählen.");
    const years = Number($("appYears").value);
    if (!Number.isInteger(years) || years < 1 || years > 40) throw new Error("Laufzeit: 1 bis 40 Jahre.");
    const property = await api(`${H}/property/${encodeURIComponent(propertyId)}`);
    const invitedLenders = [...document.querySelectorAll("#appLenders input[name=invite]:checked")].map((i) => i.value);
    const income = amountOf($("appIncome"), "Nettoeinkommen", { optional: true });
    const maxRate = rateOf($("appMaxRate"), "Höchstzins", { optional: true });
    const body = {
      propertyId,
      desiredLoan: { amount: amountOf($("appLoan"), "Darlehen"), currency: property.property.purchasePrice.currency },
      desiredDurationYears: years,
      desiredRateType: $("appRateType").value,
      visibility: $("appVisibility").value,
      ...(maxRate !== undefined ? { maxInterestRate: maxRate } : {}),
      ...(invitedLenders.length ? { invitedLenders } : {}),
      ...(income !== undefined ? { meta: { netIncomeMonthly: income } } : {}),
    };
    const r = await api(`${H}/anfrage`, { body, op: opName("mortgage.application", body) });
    say(`Anfrage ${r.applicationId} gestellt.`);
    await refreshApplications();
  });

  async function refreshApplications() {
    await pagedList(
      $("applicationList"),
      pageLoader("/anfrage/list", { role: "borrower" }, "applications"),
      (a) => {
        const open = a.status === "open" || a.status === "offered";
        return tr(
          a.applicationId,
          a.propertyId,
          money(a.desiredLoan),
          `${a.desiredDurationYears} J.`,
          a.visibility === "market" ? "Marktplatz" : "privat",
          statusDe(a.status),
          el(
            "div",
            { class: "actions" },
            act(`compare-${a.applicationId}`, "Angebote", "Lade Angebote", () => showOffers(a)),
            open
              ? armed(`withdraw-${a.applicationId}`, "Zurückziehen", "Wirklich zurückziehen?", "Ziehe zurück", async () => {
                  await api(`${H}/anfrage/withdraw`, {
                    body: { applicationId: a.applicationId },
                    op: `mortgage.withdraw:${a.applicationId}`,
                  });
                  say("Anfrage zurückgezogen.");
                  await refreshApplications();
                })
              : null,
          ),
        );
      },
      "Noch keine Anfrage.",
    );
  }

  /** Every offer of one application, side by side (all pages: an application has few offers). */
  async function showOffers(app) {
    const offers = [];
    let cursor = null;
    do {
      const r = await api(
        `${H}/angebot/list?${query({ applicationId: app.applicationId, role: "borrower", limit: "100", cursor })}`,
      );
      offers.push(...r.offers);
      cursor = r.nextCursor;
    } while (cursor && offers.length < 500);
    $("offersBox").hidden = false;
    $("planBox").hidden = true;
    $("offersFor").textContent = app.applicationId;
    const box = $("offerCompare");
    if (offers.length === 0) {
      box.replaceChildren(
        el(
          "p",
          { class: "muted" },
          "Noch kein Angebot. Banken sehen deine Anfrage, wenn sie auf dem Marktplatz steht oder mit ihnen geteilt ist.",
        ),
      );
      say("");
      return;
    }
    const rows = compareOffers(offers, money);
    const canAccept = app.status === "open" || app.status === "offered";
    const head = el(
      "tr",
      {},
      el("th", {}, ""),
      ...offers.map((o) =>
        el(
          "th",
          { scope: "col" },
          o.voucherId,
          el("br"),
          el("span", { class: "muted" }, `${o.issuerId} · ${statusDe(o.status)}`),
        ),
      ),
    );
    const body = rows.map((r) =>
      el(
        "tr",
        { dataset: { row: r.key } },
        el("th", { scope: "row" }, r.label),
        ...r.cells.map((text, i) => el("td", { class: r.best.includes(i) ? "best" : undefined }, text)),
      ),
    );
    const buttons = el(
      "tr",
      {},
      el("th", {}, ""),
      ...offers.map((o) =>
        el(
          "td",
          {},
          el(
            "div",
            { class: "actions" },
            act(`plan-${o.voucherId}`, "Tilgungsplan", "Lade Tilgungsplan", () => showPlan(o)),
            canAccept && o.status === "offered"
              ? act(`accept-${o.voucherId}`, "Annehmen", "Nehme an", async () => {
                  const notaryUid = $("acceptNotary").value.trim();
                  const r = await api(`${H}/angebot/accept`, {
                    body: { voucherId: o.voucherId, ...(notaryUid ? { notaryUid } : {}) },
                    op: `mortgage.accept:${o.voucherId}`,
                  });
                  await Promise.all([refreshApplications(), refreshContracts()]);
                  await showOffers({ ...app, status: "accepted" });
                  say(`Angenommen. Vertrag ${r.contractVoucherId} ist entworfen – jetzt unterschreiben.`);
                })
              : null,
          ),
        ),
      ),
    );
    box.replaceChildren(
      el("table", { id: "offerCompareTable", class: "compare" }, el("thead", {}, head), el("tbody", {}, ...body, buttons)),
    );
    say(`${offers.length} Angebot(e).`);
  }

  /** The amortization plan of one offer: summary, yearly sums, the first and last months. */
  async function showPlan(offer) {
    const plan = await api(`${H}/angebot/${encodeURIComponent(offer.voucherId)}/plan`);
    const m = (amount) => money({ amount, currency: plan.currency });
    $("planBox").hidden = false;
    $("planFor").textContent = offer.voucherId;
    $("planSummary").textContent =
      `Monatsrate ${m(plan.monthlyPayment)} · ${plan.rows.length} Raten (${durationText(plan.rows.length)}) · ` +
      `Zinsen gesamt ${m(plan.totals.interest)} · gezahlt gesamt ${m(plan.totals.payments)} · ` +
      `Sollzins ${ratePercent(offer.interest.nominalRate)} · Effektivzins ${percentStringDe(offer.interest.effectiveRatePercent)}`;
    $("planYears").replaceChildren(
      ...yearlySummary(plan.rows).map((y) =>
        tr(
          y.months === 12 ? String(y.year) : `${y.year} (${y.months} Mon.)`,
          m(y.payments),
          m(y.interest),
          m(y.principal),
          m(y.balance),
        ),
      ),
    );
    const ex = planExcerpt(plan.rows, 12, 3);
    const row = (r) => tr(String(r.month), m(r.payment), m(r.interest), m(r.principal), m(r.balance));
    $("planRows").replaceChildren(
      ...ex.head.map(row),
      ...(ex.hidden ? [el("tr", {}, el("td", { colSpan: 5, class: "muted" }, `… ${ex.hidden} weitere Monate …`))] : []),
      ...ex.tail.map(row),
    );
    $("planBox").scrollIntoView({ behavior: "smooth", block: "start" });
    say("");
  }

  // ---------- lender ----------
  async function refreshMarket() {
    await pagedList(
      $("marketList"),
      pageLoader("/anfrage/list", { role: "lender" }, "applications"),
      (a) =>
        tr(
          a.applicationId,
          money(a.desiredLoan),
          `${a.desiredDurationYears} J. (${a.desiredRateType === "fixed" ? "fest" : "variabel"})`,
          a.maxInterestRate === null ? "–" : ratePercent(a.maxInterestRate),
          a.financialsShared
            ? a.meta?.netIncomeMonthly !== undefined
              ? `Netto ${money({ amount: a.meta.netIncomeMonthly, currency: a.desiredLoan.currency })}/Monat`
              : "geteilt"
            : "nicht geteilt",
          statusDe(a.status),
          a.status === "open" || a.status === "offered"
            ? act(`offer-for-${a.applicationId}`, "Angebot machen", "Bereite vor", async () => {
                $("offerApp").value = a.applicationId;
                $("offerLoan").value = money(a.desiredLoan).replace(/\s*[A-Z]{3}$/, "");
                $("offerCurrency").value = a.desiredLoan.currency;
                $("offerNominal").focus();
                say(`Anfrage ${a.applicationId} ins Angebotsformular übernommen.`);
              })
            : "",
        ),
      "Keine Anfrage auf dem Marktplatz oder mit dir geteilt.",
    );
  }

  async function refreshLenderOffers() {
    await pagedList(
      $("lenderOffers"),
      pageLoader("/angebot/list", { role: "lender" }, "offers"),
      (o) =>
        tr(
          o.voucherId,
          o.applicationId,
          money(o.loan),
          money(o.figures.monthlyPayment),
          ratePercent(o.interest.nominalRate),
          percentStringDe(o.interest.effectiveRatePercent),
          statusDe(o.status),
          o.status === "offered"
            ? act(`withdraw-offer-${o.voucherId}`, "Zurückziehen", "Ziehe zurück", async () => {
                await api(`${H}/angebot/withdraw`, {
                  body: { voucherId: o.voucherId },
                  op: `mortgage.offer.withdraw:${o.voucherId}`,
                });
                say("Angebot zurückgezogen.");
                await refreshLenderOffers();
              })
            : "",
        ),
      "Noch kein Angebot abgegeben.",
    );
  }

  if (isLender) {
    onSubmit($("offerForm"), "Gebe Angebot ab", async () => {
      const fixedYears = Number($("offerFixed").value);
      if (!Number.isInteger(fixedYears) || fixedYears < 1 || fixedYears > 40) throw new Error("Zinsbindung: 1 bis 40 Jahre.");
      if (!$("offerValidUntil").value) throw new Error("Bitte ein Gültigkeitsdatum wählen.");
      const processingFee = amountOf($("offerProcessingFee"), "Bearbeitungsgebühr", { optional: true });
      const valuationFee = amountOf($("offerValuationFee"), "Schätzgebühr", { optional: true });
      const body = {
        applicationId: $("offerApp").value.trim(),
        loan: { amount: amountOf($("offerLoan"), "Darlehen"), currency: currencyOf($("offerCurrency")) },
        interest: { nominalRate: rateOf($("offerNominal"), "Sollzins"), fixedYears },
        repayment: { initialRate: rateOf($("offerInitial"), "Anfängliche Tilgung") },
        ...(processingFee || valuationFee
          ? { fees: { ...(processingFee ? { processingFee } : {}), ...(valuationFee ? { valuationFee } : {}) } }
          : {}),
        validity: { validUntil: endOfDay($("offerValidUntil").value) },
      };
      const r = await api(`${H}/angebot`, { body, op: opName("mortgage.offer", body) });
      say(
        `Angebot ${r.voucherId}: Monatsrate ${money(r.offer.figures.monthlyPayment)}, Effektivzins ${percentStringDe(r.offer.interest.effectiveRatePercent)}.`,
      );
      await Promise.all([refreshLenderOffers(), refreshMarket()]);
    });

    onSubmit($("trancheForm"), "Gebe Tranche aus", async () => {
      const durationYears = Number($("trancheYears").value);
      if (!Number.isInteger(durationYears) || durationYears < 1 || durationYears > 40)
        throw new Error("Laufzeit: 1 bis 40 Jahre.");
      const body = {
        contractVoucherId: $("trancheContract").value.trim(),
        nominalAmount: { amount: amountOf($("trancheNominal"), "Nominal"), currency: currencyOf($("trancheCurrency")) },
        expectedYield: rateOf($("trancheYield"), "Rendite"),
        riskClass: $("trancheRisk").value.trim(),
        durationYears,
      };
      const r = await api(`${H}/tranche/issue`, { body, op: opName("mortgage.tranche", body) });
      say(`Tranche ${r.voucherId} ausgegeben.`);
      await Promise.all([refreshLenderTranches(), refreshContracts(), refreshInvestor()]);
    });
  }

  async function refreshLenderTranches() {
    await pagedList(
      $("lenderTranches"),
      pageLoader("/tranche/list", { scope: "mine", role: "issuer" }, "tranches"),
      (t) =>
        tr(
          t.voucherId,
          t.contractVoucherId,
          money(t.nominalAmount),
          ratePercent(t.expectedYield),
          t.holderUid ?? "–",
          statusDe(t.status),
          t.status === "offered"
            ? act(`cancel-tranche-${t.voucherId}`, "Zurückziehen", "Ziehe zurück", async () => {
                await api(`${H}/tranche/cancel`, {
                  body: { voucherId: t.voucherId },
                  op: `mortgage.tranche.cancel:${t.voucherId}`,
                });
                say("Tranche zurückgezogen.");
                await Promise.all([refreshLenderTranches(), refreshContracts()]);
              })
            : "",
        ),
      "Noch keine Tranche ausgegeben.",
    );
  }

  // ---------- notary ----------
  if (isNotary) {
    onSubmit($("notarizeForm"), "Beurkunde", async () => {
      const id = $("notarizeId").value.trim();
      const r = await api(`${H}/vertrag/update-status`, {
        body: { contractVoucherId: id, action: "signed-by-notary" },
        op: `mortgage.sign:${id}:signed-by-notary`,
      });
      say(r.alreadySigned ? "Bereits beurkundet." : `Beurkundet: ${statusDe(r.contract.status)}.`);
      $("notarizeForm").reset();
      await refreshContracts();
    });
  }

  // ---------- investor ----------
  async function refreshInvestor() {
    await Promise.all([
      pagedList(
        $("openTranches"),
        pageLoader("/tranche/list", { scope: "open" }, "tranches"),
        (t) =>
          tr(
            t.voucherId,
            money(t.nominalAmount),
            ratePercent(t.expectedYield),
            t.riskClass,
            `${t.durationYears} J.`,
            fmt(t.validity.validUntil),
            // The issuing bank cannot take its own tranche.
            t.issuerId === me.uid
              ? el("span", { class: "muted" }, "eigene")
              : act(`subscribe-${t.voucherId}`, "Zeichnen", "Zeichne", async () => {
                  const r = await api(`${H}/tranche/subscribe`, {
                    body: { voucherId: t.voucherId },
                    op: `mortgage.subscribe:${t.voucherId}`,
                  });
                  say(r.alreadySubscribed ? "Bereits gezeichnet." : `Tranche ${t.voucherId} gezeichnet.`);
                  await refreshInvestor();
                }),
          ),
        "Keine offene Tranche.",
      ),
      pagedList(
        $("myTranches"),
        pageLoader("/tranche/list", { scope: "mine", role: "holder" }, "tranches"),
        (t) =>
          tr(
            t.voucherId,
            money(t.nominalAmount),
            ratePercent(t.expectedYield),
            t.riskClass,
            t.subscribedAt ? fmt(t.subscribedAt) : "–",
            statusDe(t.status),
          ),
        "Noch keine Tranche gezeichnet.",
      ),
    ]);
  }

  const jobs = [refreshProperties(), loadLenders(), refreshApplications(), refreshContracts(), refreshInvestor()];
  if (isLender) jobs.push(refreshMarket(), refreshLenderOffers(), refreshLenderTranches());
  withProgress(null, "Lade Hypothekendaten", () => Promise.all(jobs)).then(() => say(""));
}

// Last, so every helper above is initialised before the page starts.
const me = await mountShell("/mortgage.html");
if (!me) showSignedOut();
else start(me);
