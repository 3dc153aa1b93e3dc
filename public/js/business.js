// Business area (public/business.html), for issuers: their vouchers, the bookings of them (cancel
// as issuer), and the statistics of `GET /api/voucher/stats?from&to` (voucher counts, bookings,
// cancellations and redemptions per day, utilization). The statistics are rendered from the keys
// the API answers, so a counter it adds shows up without a change here.
//
// Element ids the browser suite uses: #statsForm, #statsFrom, #statsTo, #statsLoad, #statsTotals,
// #statsUtil (`dd[data-key]`), #perDay (rows `tr[data-day]`), #bizVouchers (rows
// `tr[data-voucher-id]`, button `button[data-action=redeem]`), #bizBookings (rows
// `tr[data-booking-id]`, button `button[data-action=cancel]`), "Mehr laden" #bizVouchers-more /
// #bizBookings-more, #status.

import {
  $,
  api,
  apiPages,
  el,
  fmt,
  money,
  mountShell,
  pagedList,
  ppmPercent,
  ready,
  say,
  showListError,
  showSignedOut,
  withProgress,
} from "./core.js";

/** German labels of the counters the statistics route answers; unknown keys are shown as they are. */
const LABELS = {
  issued: "ausgestellt",
  booked: "gebucht",
  redeemed: "eingelöst",
  consumed: "eingelöst",
  cancelled: "storniert",
  expired: "abgelaufen",
  rescheduled: "verschoben",
  bookings: "Buchungen",
  cancellations: "Stornos",
  redemptions: "Einlösungen",
  reschedules: "Verschiebungen",
  bookedSlots: "gebuchte Termine",
  offeredSlots: "angebotene Termine",
  ratePpm: "Auslastung",
  total: "gesamt",
};
const label = (k) => LABELS[k] ?? k;

const me = await mountShell("/business.html");
if (!me) showSignedOut();
else await start(me);
ready();

async function start(me) {
  const day = (d) => d.toISOString().slice(0, 10);
  const today = new Date();
  $("statsFrom").value = day(new Date(today.getTime() - 30 * 86_400_000));
  $("statsTo").value = day(new Date(today.getTime() + 86_400_000));

  function facts(node, obj) {
    const entries = Object.entries(obj ?? {}).filter(([, v]) => typeof v !== "object" || v === null);
    node.replaceChildren(
      ...entries.flatMap(([k, v]) => [
        el("dt", {}, label(k)),
        el("dd", { dataset: { key: k } }, k === "ratePpm" || k.endsWith("Ppm") ? ppmPercent(v ?? 0) : String(v ?? "–")),
      ]),
    );
    if (entries.length === 0) node.append(el("dd", { class: "muted" }, "Keine Angaben."));
  }

  async function loadStats() {
    const q = new URLSearchParams();
    if ($("statsFrom").value) q.set("from", $("statsFrom").value);
    if ($("statsTo").value) q.set("to", $("statsTo").value);
    try {
      const s = await api(`/api/voucher/stats?${q}`);
      facts($("statsTotals"), s.vouchers);
      facts($("statsUtil"), s.utilization);
      const rows = Array.isArray(s.perDay) ? s.perDay : [];
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)).filter((k) => k !== "day"))];
      $("perDayHead").replaceChildren(el("tr", {}, el("th", {}, "Tag"), ...cols.map((c) => el("th", {}, label(c)))));
      $("perDay").replaceChildren(
        ...rows.map((r) =>
          el(
            "tr",
            { dataset: { day: r.day } },
            el("td", {}, r.day),
            ...cols.map((c) => el("td", { class: "num" }, String(r[c] ?? 0))),
          ),
        ),
      );
      if (rows.length === 0)
        $("perDay").append(
          el("tr", {}, el("td", { colSpan: cols.length + 1, class: "muted" }, "Keine Buchungen in diesem Zeitraum.")),
        );
      say("");
    } catch (err) {
      showListError($("perDay"), err);
      $("statsTotals").replaceChildren();
      $("statsUtil").replaceChildren();
      say(`Statistik: ${err instanceof Error ? err.message : err}`, true);
    }
  }

  $("statsForm").addEventListener("submit", (e) => {
    e.preventDefault();
    withProgress($("statsLoad"), "Lade Statistik", loadStats);
  });

  const STATUS = {
    issued: "ausgestellt",
    booked: "gebucht",
    consumed: "eingelöst",
    cancelled: "storniert",
    expired: "abgelaufen",
  };

  function actionButton(label, name, id, run) {
    const b = el("button", { type: "button", dataset: { action: name }, id: `${name}-${id}` }, label);
    b.addEventListener("click", () => withProgress(b, label, run));
    return b;
  }

  const voucherRow = (v) =>
    el(
      "tr",
      { dataset: { voucherId: v.voucherId, status: v.status } },
      el("td", {}, v.title),
      el("td", {}, el("code", {}, v.voucherId)),
      el("td", {}, STATUS[v.status] ?? v.status),
      el("td", { class: "num" }, money(v.price)),
      el("td", {}, v.holderUid ?? "–"),
      el(
        "td",
        { class: "actions" },
        v.status === "issued" || v.status === "booked"
          ? actionButton("Einlösen", "redeem", v.voucherId, async () => {
              await api("/api/voucher/redeem", { body: { voucherId: v.voucherId }, op: `redeem:${v.voucherId}` });
              await refresh();
              say(`${v.title} eingelöst.`);
            })
          : null,
      ),
    );

  const bookingRow = (b) =>
    el(
      "tr",
      { dataset: { bookingId: b.bookingId, status: b.status } },
      el("td", {}, el("code", {}, b.voucherId)),
      el("td", {}, b.holderUid),
      el("td", {}, fmt(b.slotStart)),
      el("td", {}, b.status),
      el(
        "td",
        { class: "actions" },
        b.status === "booked"
          ? actionButton("Stornieren", "cancel", b.bookingId, async () => {
              await api("/api/voucher/cancel", { body: { bookingId: b.bookingId }, op: `cancel:${b.bookingId}` });
              await refresh();
              say("Storniert.");
            })
          : null,
      ),
    );

  /** One paged list of the issuer's own vouchers or bookings. */
  const list = (id, path, render, empty) => pagedList($(id), apiPages(path, { issuerUid: me.uid, limit: "20" }), render, empty);

  async function refresh() {
    await Promise.all([
      list("bizVouchers", "/api/voucher/list", voucherRow, "Du hast noch keine Voucher ausgestellt."),
      list("bizBookings", "/api/voucher/bookings", bookingRow, "Noch keine Buchungen deiner Voucher."),
      loadStats(),
    ]);
  }

  await refresh();
}
