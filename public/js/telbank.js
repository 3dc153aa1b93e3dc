// Telbank (public/telbank.html): log a fiat ↔ crypto transfer, list mine (newest first, filtered
// by direction and wallet, paged) and close one as settled or failed. The crypto amount is sent as
// the decimal string the person typed, checked by the API's own rule and never parsed into a
// number; the fiat amount goes through `parseMoney` into minor units.
//
// Element ids the browser suite uses: #transferForm (#tDirection #tNetwork #tWallet #tAmount
// #tSymbol #tFiat #tCurrency #tAccount #tNote #transferSubmit); #transferFilter (#fDirection
// #fWallet #filterSubmit); #failReason; #transferList (rows data-id; #settle-<id>, and
// #fail-<id> which needs two clicks: the first arms it, the second marks the transfer failed with
// the reason in #failReason); #status.

import { $, api, el, fmt, money, mountShell, onSubmit, paged, parseMoney, say, showSignedOut, withProgress } from "./core.js";
import { cryptoAmountInput, opName, statusDe } from "./deals-format.js";

function start() {
  let filter = { direction: "", walletAddress: "" };

  async function refresh() {
    const container = $("transferList");
    try {
      await paged(
        container,
        async (cursor) => {
          const s = new URLSearchParams();
          if (filter.direction) s.set("direction", filter.direction);
          if (filter.walletAddress) s.set("walletAddress", filter.walletAddress);
          if (cursor) s.set("cursor", cursor);
          const r = await api(`/api/telbank/transfers?${s}`);
          return { items: r.items, nextCursor: r.nextCursor };
        },
        render,
        {
          empty:
            filter.direction || filter.walletAddress ? "Keine Überweisung passt zum Filter." : "Noch keine Überweisung erfasst.",
        },
      );
    } catch (err) {
      container.replaceChildren(
        el("tr", {}, el("td", { colSpan: 9, class: "error" }, err instanceof Error ? err.message : String(err))),
      );
    }
  }

  /** Closes a transfer; the op name is per transfer and target, so a reload retries the same write. */
  async function close(t, status) {
    const reason = $("failReason").value.trim();
    const body = { status, ...(status === "failed" && reason ? { reason } : {}) };
    const r = await api(`/api/telbank/transfers/${encodeURIComponent(t.id)}/status`, {
      body,
      op: `telbank.status:${t.id}:${status}`,
    });
    say(`Überweisung ${r.transfer.id}: ${statusDe(r.transfer.status)}.`);
    await refresh();
  }

  function render(t) {
    const actions = [];
    if (t.status === "logged") {
      const settle = el("button", { type: "button", id: `settle-${t.id}`, class: "small" }, "Abgeschlossen");
      settle.addEventListener("click", () => withProgress(settle, "Markiere abgeschlossen", () => close(t, "settled")));
      const fail = el("button", { type: "button", id: `fail-${t.id}`, class: "small danger" }, "Fehlgeschlagen");
      fail.addEventListener("click", () => {
        // Closing is final: the first click arms the button, the second acts.
        if (fail.dataset.armed !== "1") {
          fail.dataset.armed = "1";
          fail.textContent = "Wirklich fehlgeschlagen?";
          return;
        }
        withProgress(fail, "Markiere fehlgeschlagen", () => close(t, "failed"));
      });
      actions.push(settle, fail);
    }
    return el(
      "tr",
      { dataset: { id: t.id } },
      el("td", {}, fmt(t.createdAt), el("br"), el("span", { class: "muted mono" }, t.id)),
      el("td", {}, t.direction === "in" ? "Eingang" : "Ausgang"),
      el("td", { class: "mono" }, `${t.cryptoAmount} ${t.cryptoSymbol}`),
      el("td", {}, money({ amount: t.fiatAmount, currency: t.fiatCurrency })),
      el("td", {}, t.network ?? "–", el("br"), el("span", { class: "mono" }, t.walletAddress ?? "")),
      el("td", { class: "mono" }, t.externalAccount ?? "–"),
      el("td", {}, t.label ?? ""),
      el("td", {}, statusDe(t.status), t.statusReason ? el("span", { class: "muted" }, ` (${t.statusReason})`) : null),
      el("td", {}, el("div", { class: "actions" }, ...actions)),
    );
  }

  onSubmit($("transferForm"), "Erfasse Überweisung", async () => {
    const cryptoAmount = cryptoAmountInput($("tAmount").value);
    if (cryptoAmount === null) {
      throw new Error("Krypto-Betrag: eine Dezimalzahl mit Punkt, ohne Vorzeichen, Exponent oder führende Nullen (z. B. 0.5).");
    }
    const fiatAmount = parseMoney($("tFiat").value);
    if (fiatAmount === null) throw new Error("Fiat-Betrag: bitte einen Betrag wie 1.234,56 eingeben.");
    const opt = (id) => $(id).value.trim() || undefined;
    const body = {
      direction: $("tDirection").value,
      cryptoAmount,
      cryptoSymbol: $("tSymbol").value.trim(),
      fiatAmount,
      fiatCurrency: $("tCurrency").value.trim().toUpperCase(),
      ...(opt("tNetwork") ? { network: opt("tNetwork") } : {}),
      ...(opt("tWallet") ? { walletAddress: opt("tWallet") } : {}),
      ...(opt("tAccount") ? { externalAccount: opt("tAccount") } : {}),
      ...(opt("tNote") ? { label: opt("tNote") } : {}),
    };
    const r = await api("/api/telbank/transfers", { body, op: opName("telbank.transfer", body) });
    say(`Erfasst: ${r.transfer.cryptoAmount} ${r.transfer.cryptoSymbol} (${r.transfer.id}).`);
    $("transferForm").reset();
    await refresh();
  });

  onSubmit($("transferFilter"), "Lade Überweisungen", async () => {
    filter = { direction: $("fDirection").value, walletAddress: $("fWallet").value.trim() };
    await refresh();
    say("");
  });

  withProgress(null, "Lade Überweisungen", refresh).then(() => say(""));
}

// Last, so every helper above is initialised before the page starts.
const me = await mountShell("/telbank.html");
if (!me) showSignedOut();
else start();
