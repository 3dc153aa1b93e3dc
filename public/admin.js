// Admin dashboard over the admin API: health, charts (uPlot, vendored into
// /vendor/ by `npm run vendor`), settlements with invoice/pay and CSV export, settlement runs, fee
// rules with inline edit, and the live event stream. Plain ES module, no framework.
//
// The admin token is kept only in sessionStorage (gone when the tab closes, never in
// localStorage, never in a URL) and sent as `Authorization: Bearer`; a 401/503 drops it and asks
// again. Every value from the API reaches the DOM through textContent / value, never innerHTML.
// Pure logic (money formatting, paths, merging, filenames) lives in admin-core.js.

import * as core from "/admin-core.js";

const $ = (id) => document.getElementById(id);

/** Thrown after an auth failure: the page already switched to the token form. */
class AuthError extends Error {}
/** A non-auth API error, with the code and details of the JSON body. */
class ApiError extends Error {
  constructor(status, info, body) {
    super(info.message);
    this.status = status;
    this.code = info.code;
    this.body = body;
  }
}

const state = {
  token: sessionStorage.getItem(core.TOKEN_KEY),
  filters: {},
  cursor: null,
  /** Settlements shown, by id (the table rows carry data-id). */
  settlements: new Map(),
  fees: [],
  events: [],
  eventType: "",
  paused: false,
  pollTimer: 0,
  /** Bumped when polling restarts (new filter, new token), so a stale poll drops its result. */
  pollGen: 0,
  charts: [],
};

// ── Small DOM helpers ───────────────────────────────────────────────────────────────────────────

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c);
  return node;
}
const cell = (text, className = "") => el("td", { textContent: text ?? "–", className });
function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "muted";
}
const fmtTime = (iso) =>
  iso ? new Date(iso).toLocaleString("de-DE", { dateStyle: "short", timeStyle: "medium", timeZone: "UTC" }) : "–";
const STATUS_LABEL = { open: "offen", invoiced: "in Rechnung", paid: "bezahlt" };
const ACTION_LABEL = { invoice: "Rechnung stellen", pay: "Als bezahlt markieren" };

/** Runs an async UI action; shows its error (auth errors were already handled). */
function guarded(fn) {
  return (...args) =>
    Promise.resolve()
      .then(() => fn(...args))
      .catch((err) => {
        if (!(err instanceof AuthError)) say(err.message, true);
      });
}

// ── API ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * Fetches an admin route with the bearer token. `raw: true` returns the Response (CSV).
 * Errors: AuthError after 401/503-not-configured (token dropped, form shown), else ApiError.
 */
async function api(path, { method = "GET", body, raw = false } = {}) {
  if (!state.token) throw askToken("Bitte Admin-Token eingeben.");
  const headers = { authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  if (res.ok && raw) return res;
  const data = await res.json().catch(() => null);
  if (res.ok && data?.ok !== false) return data;
  const info = core.describeError(res.status, data);
  if (info.auth) throw askToken(info.message);
  throw new ApiError(res.status, info, data);
}

// ── Token ───────────────────────────────────────────────────────────────────────────────────────

/** Drops the token, stops polling and shows the token form with `message`. Returns an AuthError. */
function askToken(message = "") {
  state.token = null;
  sessionStorage.removeItem(core.TOKEN_KEY);
  stopPolling();
  $("app").hidden = true;
  $("login").hidden = false;
  $("forget").hidden = true;
  $("who").textContent = "Kein Admin-Token.";
  $("loginError").textContent = message;
  $("tokenInput").value = "";
  $("tokenInput").focus();
  return new AuthError(message);
}

function useToken(token) {
  state.token = token;
  sessionStorage.setItem(core.TOKEN_KEY, token);
  $("login").hidden = true;
  $("app").hidden = false;
  $("forget").hidden = false;
  $("loginError").textContent = "";
  $("who").textContent = "Angemeldet (Token nur in dieser Sitzung gespeichert).";
}

$("tokenForm").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("tokenInput").value.trim();
  $("tokenInput").value = "";
  if (!core.validToken(token)) {
    $("loginError").textContent = "Das Token muss 1–512 Zeichen ohne Leerzeichen haben.";
    return;
  }
  useToken(token);
  loadAll();
});

$("forget").addEventListener("click", () => {
  askToken("Token vergessen.");
  say("");
});

// ── Health ──────────────────────────────────────────────────────────────────────────────────────

/** `GET /api/health` (public) and `GET /api/admin/stats/presence`: one line per check. */
async function loadHealth() {
  const list = $("health");
  let res;
  let data = null;
  try {
    res = await fetch("/api/health", { cache: "no-store", credentials: "omit" });
    data = await res.json().catch(() => null);
  } catch (err) {
    list.replaceChildren(el("dt", { textContent: "API" }), el("dd", {}, badge("nicht erreichbar", "bad")));
    throw new Error(`Health: ${err.message}`);
  }
  const healthy = res.ok && data?.ok === true;
  const at = data?.at ? ` · Stand ${fmtTime(data.at)} UTC` : "";
  const rows = [
    el("dt", { textContent: "API" }),
    el("dd", {}, badge(healthy ? "OK" : "gestört", healthy ? "ok" : "bad"), ` HTTP ${res.status}${at}`),
  ];
  for (const line of core.healthLines(data)) {
    rows.push(
      el("dt", { textContent: line.label }),
      el("dd", {}, badge(line.ok ? "OK" : "Achtung", line.ok ? "ok" : "bad"), ` ${line.text}`),
    );
  }
  list.replaceChildren(...rows);
  const presence = await api("/api/admin/stats/presence");
  list.append(el("dt", { textContent: "Präsenz" }), el("dd", { textContent: core.presenceLine(presence) }));
}

function badge(text, kind) {
  return el("span", { className: `badge ${kind}`, textContent: text });
}

$("healthReload").addEventListener("click", guarded(loadHealth));

// ── Charts ──────────────────────────────────────────────────────────────────────────────────────

const PALETTE = ["#3b6fd8", "#d8703b", "#3ba86f", "#a83bd8", "#d83b6f", "#6f6f6f"];

function drawChart(container, opts, data) {
  const width = Math.max(280, container.clientWidth || 480);
  const chart = new window.uPlot({ width, height: 240, ...opts }, data, container);
  state.charts.push({ chart, container });
  return chart;
}

const utcTz = (ts) => window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
const dayValue = (_u, v) => (v == null ? "–" : core.utcDay(v * 1000));
/** Half a day of room on both ends, so the first and last day's bars are drawn whole. */
const dayPadded = (_u, min, max) => [min - 43_200, max + 43_200];
const sum = (list) => list.reduce((a, b) => a + b, 0);

/**
 * `GET /api/admin/stats/vouchers` (bookingsPerDay: booked / cancelled / rescheduled per UTC day)
 * and `GET /api/admin/stats/fees` (days: net fee amounts per UTC day and currency; totals;
 * settlement totals by status) for the chosen range → two charts, the totals table and the
 * accessible data table.
 */
async function loadCharts() {
  const range = core.rangeInstants({ from: $("rangeFrom").value, to: $("rangeTo").value });
  if (!range.ok) throw new Error(range.error);
  const qs = core.queryString({ from: range.from, to: range.to });
  const [vouchers, fees] = await Promise.all([api(`/api/admin/stats/vouchers${qs}`), api(`/api/admin/stats/fees${qs}`)]);
  const days = core.daysBetween(range.fromMs, range.toMs);
  const bookings = core.bookingSeries(vouchers.bookingsPerDay ?? [], days);
  const feeData = core.feeSeries(fees.days ?? [], days);

  for (const { chart } of state.charts) chart.destroy();
  state.charts = [];
  $("bookingsChart").replaceChildren();
  $("feesChart").replaceChildren();
  if (!window.uPlot) throw new Error("Diagrammbibliothek fehlt (/vendor/uPlot.iife.min.js): npm run vendor ausführen.");
  drawChart(
    $("bookingsChart"),
    {
      tzDate: utcTz,
      scales: { x: { time: true, range: dayPadded }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: "Anzahl" }],
      series: [
        { label: "Tag (UTC)", value: dayValue },
        {
          label: "Buchungen",
          stroke: PALETTE[0],
          fill: "rgba(59,111,216,.25)",
          paths: window.uPlot.paths.bars({ size: [0.7, 40] }),
          points: { show: false },
        },
        { label: "Stornos", stroke: PALETTE[1], width: 2, points: { size: 5 } },
        { label: "Umbuchungen", stroke: PALETTE[2], width: 2, dash: [6, 4], points: { size: 5 } },
      ],
    },
    bookings,
  );
  drawChart(
    $("feesChart"),
    {
      tzDate: utcTz,
      scales: { x: { time: true, range: dayPadded } },
      axes: [{}, { label: "Gebühren netto (Haupteinheit)", size: 70 }],
      series: [
        { label: "Tag (UTC)", value: dayValue },
        ...feeData.currencies.map((c, k) => ({
          label: c,
          stroke: PALETTE[k % PALETTE.length],
          width: 2,
          // The legend shows the exact amount of the hovered day, not the chart's float.
          value: (_u, _v, _si, idx) => (idx == null ? "–" : core.formatMoney(feeData.perDay[k]?.[idx] ?? "0", c)),
        })),
      ],
    },
    [feeData.x, ...feeData.series],
  );

  const [, booked, cancelled, rescheduled] = bookings;
  $("bookingsSummary").textContent =
    `${sum(booked)} Buchungen, ${sum(cancelled)} Stornos, ${sum(rescheduled)} Umbuchungen vom ${days[0]} bis ${days[days.length - 1]} (UTC).`;
  $("feesSummary").textContent = feeData.totals.length
    ? `Netto: ${feeData.totals.map((t) => core.formatMoney(t.amount, t.currency)).join(" · ")}`
    : "Keine Gebühren im Zeitraum.";
  renderFeeTotals(fees);

  // The same numbers as a table, one row per day (exact amounts).
  $("statsTable").replaceChildren(
    ...days.map((d, i) =>
      el(
        "tr",
        {},
        cell(d),
        cell(`${booked[i] ?? 0} / ${cancelled[i] ?? 0} / ${rescheduled[i] ?? 0}`, "num"),
        cell(
          feeData.currencies
            .map((c, k) => ((feeData.perDay[k]?.[i] ?? "0") === "0" ? "" : core.formatMoney(feeData.perDay[k]?.[i] ?? "0", c)))
            .filter(Boolean)
            .join(" · ") || "–",
          "num",
        ),
      ),
    ),
  );
}

/** Per currency: fee charges, reversals and net of the range; settlements of the range by status. */
function renderFeeTotals(body) {
  /** @type {Map<string, {fees?: any, settled?: any}>} */
  const byCurrency = new Map();
  const entry = (c) => byCurrency.get(c) ?? byCurrency.set(c, {}).get(c);
  for (const t of body?.totals ?? []) entry(t.currency).fees = t;
  for (const t of body?.settlements ?? []) entry(t.currency).settled = t;
  const money = (tally, c) => (tally ? core.formatMoney(tally.amount, c) : "–");
  const counted = (tally, c) => (tally ? `${core.formatMoney(tally.amount, c)} (${tally.count})` : "–");
  const rows = [...byCurrency.keys()].sort().map((c) => {
    const { fees, settled } = byCurrency.get(c);
    return el(
      "tr",
      {},
      cell(c),
      cell(fees ? counted(fees.charges, c) : "–", "num"),
      cell(fees ? counted(fees.reversals, c) : "–", "num"),
      cell(fees ? core.formatMoney(fees.net, c) : "–", "num"),
      cell(money(settled?.open, c), "num"),
      cell(money(settled?.invoiced, c), "num"),
      cell(money(settled?.paid, c), "num"),
    );
  });
  $("feeTotals").replaceChildren(
    ...(rows.length
      ? rows
      : [el("tr", {}, el("td", { colSpan: 7, textContent: "Keine Gebühren im Zeitraum.", className: "muted" }))]),
  );
}

$("rangeForm").addEventListener(
  "submit",
  guarded(async (e) => {
    e.preventDefault();
    await loadCharts();
  }),
);

let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const { chart, container } of state.charts) chart.setSize({ width: Math.max(280, container.clientWidth), height: 240 });
  }, 150);
});

// ── Settlements ─────────────────────────────────────────────────────────────────────────────────

function settlementRow(s) {
  const tr = el("tr", {});
  tr.dataset.id = s.id;
  const period = el("td", { textContent: core.periodLabel(s.periodFrom, s.periodTo) });
  period.title = s.id;
  const status = el("td", {}, el("span", { className: `badge ${s.status}`, textContent: STATUS_LABEL[s.status] ?? s.status }));
  const when = s.paidAt ?? s.invoicedAt;
  if (when) status.title = `${s.paidAt ? "bezahlt" : "in Rechnung"} am ${fmtTime(when)} UTC`;
  const actions = el("td", {});
  const action = core.nextAction(s.status);
  if (action) {
    const b = el("button", { type: "button", textContent: ACTION_LABEL[action] });
    b.setAttribute(
      "aria-label",
      `${ACTION_LABEL[action]}: ${s.payerUid}, ${core.periodLabel(s.periodFrom, s.periodTo)}, ${core.formatMoney(s.totalAmount, s.currency)}`,
    );
    b.addEventListener(
      "click",
      guarded(() => act(s.id, action)),
    );
    actions.append(b);
  }
  tr.append(
    period,
    cell(s.payerUid),
    cell(s.beneficiaryId),
    cell(core.formatMoney(s.totalAmount, s.currency), "num"),
    cell(String(s.itemCount), "num"),
    status,
    actions,
  );
  return tr;
}

function replaceRow(s, flash = true) {
  state.settlements.set(s.id, s);
  const old = [...$("settlements").rows].find((r) => r.dataset.id === s.id);
  const row = settlementRow(s);
  if (flash) row.classList.add("flash");
  if (old) old.replaceWith(row);
  return row;
}

async function act(id, action) {
  const s = state.settlements.get(id);
  if (!s) return;
  const what = action === "invoice" ? "in Rechnung stellen (Summe wird eingefroren)" : "als bezahlt markieren";
  if (
    !window.confirm(
      `Abrechnung ${core.formatMoney(s.totalAmount, s.currency)} von ${s.payerUid} (${core.periodLabel(s.periodFrom, s.periodTo)}) ${what}?`,
    )
  )
    return;
  const row = [...$("settlements").rows].find((r) => r.dataset.id === id);
  row?.classList.add("busy");
  for (const b of row?.querySelectorAll("button") ?? []) b.disabled = true;
  try {
    const { settlement } = await api(core.actionPath(id, action), { method: "POST", body: {} });
    replaceRow(settlement);
    say(
      `Abrechnung ${STATUS_LABEL[settlement.status] ?? settlement.status}: ${core.formatMoney(settlement.totalAmount, settlement.currency)} von ${settlement.payerUid}.`,
    );
  } catch (err) {
    if (err instanceof AuthError) throw err;
    // 409 invalid_transition: someone else changed it; show why and the current state.
    const fresh = await api(`/api/admin/settlements/${encodeURIComponent(id)}`).catch(() => null);
    if (fresh?.settlement) replaceRow(fresh.settlement);
    else row?.classList.remove("busy");
    for (const b of row?.querySelectorAll("button") ?? []) b.disabled = false;
    throw err;
  }
}

function readFilters() {
  return core.cleanFilters({ status: $("fStatus").value, currency: $("fCurrency").value, payer: $("fPayer").value });
}

async function loadSettlements(more = false) {
  if (!more) {
    state.filters = readFilters();
    state.cursor = null;
  }
  const page = await api(core.settlementsPath(state.filters, more ? state.cursor : null));
  if (!more) {
    state.settlements.clear();
    $("settlements").replaceChildren();
  }
  for (const s of page.items) state.settlements.set(s.id, s);
  $("settlements").append(...page.items.map((s) => settlementRow(s)));
  if (!more && page.items.length === 0)
    $("settlements").append(
      el("tr", {}, el("td", { colSpan: 7, className: "muted", textContent: "Keine Abrechnungen für diese Filter." })),
    );
  state.cursor = page.nextCursor ?? null;
  $("more").hidden = !state.cursor;
  $("settlementsInfo").textContent = `${state.settlements.size} angezeigt${state.cursor ? ", weitere vorhanden" : ""}.`;
}

$("filterForm").addEventListener(
  "submit",
  guarded(async (e) => {
    e.preventDefault();
    await loadSettlements();
  }),
);
$("more").addEventListener(
  "click",
  guarded(() => loadSettlements(true)),
);

$("csv").addEventListener(
  "click",
  guarded(async () => {
    // The token cannot go into a link, so the CSV is fetched with the header and saved from a Blob.
    const filters = readFilters();
    const res = await api(core.exportPath(filters), { raw: true });
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: core.csvFilename(filters, Date.now()) });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(`CSV gespeichert (${blob.size} Bytes).`);
  }),
);

/** The run's per-currency settlement totals (decimal strings from the API, formatted exactly). */
const runTotals = (run) => {
  const list = (run.reconciliation ?? []).map((r) => core.formatMoney(r.settlementTotal, r.currency));
  return list.length ? ` (Summen: ${list.join(" · ")})` : "";
};

$("runForm").addEventListener(
  "submit",
  guarded(async (e) => {
    e.preventDefault();
    const range = core.rangeInstants({ from: $("runFrom").value, to: $("runTo").value });
    if (!range.ok) throw new Error(range.error);
    $("runResult").textContent = "Läuft …";
    try {
      const { run } = await api("/api/admin/settlements/run", { method: "POST", body: { from: range.from, to: range.to } });
      $("runResult").textContent =
        run.status === "done"
          ? `Fertig (${run.periodId}): ${run.assigned} Gebührenereignisse zugeordnet, ${run.settlements} Abrechnungen im Zeitraum${runTotals(run)}, ${run.durationMs} ms.`
          : `Status ${run.status}.`;
    } catch (err) {
      $("runResult").textContent = "";
      throw err;
    }
    await loadSettlements();
  }),
);

// ── Fee rules ───────────────────────────────────────────────────────────────────────────────────

function feeRow(f) {
  const tr = el("tr", {});
  tr.dataset.id = f.id;
  const label = (text, input) => {
    input.setAttribute("aria-label", `${text} (${f.id})`);
    return input;
  };
  const rate = label(
    "Rate in ppm",
    el("input", { type: "number", min: "0", max: "1000000", step: "1", value: String(f.ratePpm) }),
  );
  const rateHint = el("span", { className: "muted", textContent: ` ${core.formatPpm(f.ratePpm)}` });
  rate.addEventListener("input", () => {
    rateHint.textContent = /^\d{1,7}$/.test(rate.value) ? ` ${core.formatPpm(Number(rate.value))}` : "";
  });
  const fixed = label(
    "Fixbetrag in Minor Units",
    el("input", { type: "number", min: "0", step: "1", value: String(f.fixedAmount) }),
  );
  const currency = label(
    "Währung (leer: jede)",
    el("input", { className: "cur", maxLength: 3, value: f.currency ?? "", placeholder: "jede" }),
  );
  const rounding = label(
    "Rundung",
    el("select", {}, ...core.ROUNDING_MODES.map((m) => new Option(m, m, false, m === f.rounding))),
  );
  const active = label("aktiv", el("input", { type: "checkbox", checked: Boolean(f.active) }));
  const save = el("button", { type: "button", textContent: "Speichern" });
  save.setAttribute("aria-label", `Regel ${f.id} speichern`);
  save.addEventListener(
    "click",
    guarded(async () => {
      const built = core.feeUpdateBody(f, {
        ratePpm: rate.value,
        fixedAmount: fixed.value,
        currency: currency.value,
        rounding: rounding.value,
        active: active.checked,
      });
      if (!built.ok) throw new Error(`${f.id}: ${built.error}`);
      save.disabled = true;
      try {
        const { fee } = await api(`/api/admin/fees/${encodeURIComponent(f.id)}`, { method: "PUT", body: built.body });
        const row = feeRow(fee);
        row.classList.add("flash");
        tr.replaceWith(row);
        say(`Regel ${fee.id} gespeichert (Version ${fee.version}).`);
      } catch (err) {
        save.disabled = false;
        if (err instanceof ApiError && err.code === "version_conflict") {
          await loadFees();
          throw new Error(
            `${f.id} wurde inzwischen geändert (${err.message}). Die Regeln wurden neu geladen; bitte erneut bearbeiten.`,
          );
        }
        throw err;
      }
    }),
  );
  const code = el("code", { className: "id", textContent: f.id });
  const idCell = el("td", {}, code);
  if (f.scope || f.payer) idCell.title = [f.scope, f.payer && `Zahler: ${f.payer}`].filter(Boolean).join(" · ");
  tr.append(
    idCell,
    el("td", {}, rate, rateHint),
    el("td", {}, fixed),
    el("td", {}, currency),
    el("td", {}, rounding),
    el("td", {}, active),
    cell(String(f.version), "num"),
    el("td", {}, save),
  );
  return tr;
}

async function loadFees() {
  const { items } = await api("/api/admin/fees");
  state.fees = items;
  $("fees").replaceChildren(...items.map(feeRow));
}

$("feesReload").addEventListener("click", guarded(loadFees));

// ── Live event stream ───────────────────────────────────────────────────────────────────────────

function eventItem(e, isNew) {
  const li = el("li", { className: isNew ? "new" : "" });
  const time = el("time", { textContent: fmtTime(e.createdAt) });
  time.dateTime = String(e.createdAt ?? "");
  const subject = [e.subjectType, e.subjectId].filter(Boolean).join(" ");
  li.append(
    time,
    el("span", { className: "type", textContent: e.type }),
    el("span", { textContent: subject }),
    el("span", { className: "muted", textContent: e.actorId ? ` · von ${e.actorId}` : "" }),
    el("div", { className: "meta", textContent: core.metaText(e.meta) }),
  );
  return li;
}

function renderEvents(added) {
  const fresh = new Set(added);
  if (state.events.length === 0) {
    $("events").replaceChildren(
      el("li", { className: "muted", textContent: "Noch keine Ereignisse – neue erscheinen hier oben." }),
    );
    return;
  }
  $("events").replaceChildren(...state.events.map((e) => eventItem(e, fresh.has(e.id))));
}

function setEventsState(text) {
  $("eventsState").textContent = text;
}

async function pollEvents() {
  const gen = state.pollGen;
  if (state.paused || !state.token) return;
  if (document.hidden) return schedulePoll();
  try {
    const shown = new Set(state.events.map((e) => e.id));
    const incoming = [];
    let startingAfter = null;
    // Catch up in pages while every event of a full page is new (at most 5 pages per poll).
    for (let pages = 0; pages < 5; pages++) {
      const page = await api(core.eventsPollPath(state.events, { type: state.eventType, startingAfter }));
      if (gen !== state.pollGen) return;
      const items = Array.isArray(page.items) ? page.items : [];
      incoming.push(...items);
      const hasMore = page.has_more ?? page.hasMore ?? (page.nextCursor ? true : undefined);
      if (state.events.length === 0 || !core.needsNextPage({ items, hasMore }, shown)) break;
      startingAfter = page.nextCursor ?? items[items.length - 1]?.id ?? null;
      if (!startingAfter) break;
    }
    const first = state.events.length === 0;
    const { items, added } = core.mergeEvents(state.events, incoming);
    state.events = items;
    // The first page is the backlog; only later arrivals are highlighted.
    if (added.length > 0 || first) renderEvents(first ? [] : added);
    setEventsState(`live · ${state.events.length} angezeigt · zuletzt ${new Date().toLocaleTimeString("de-DE")}`);
  } catch (err) {
    if (err instanceof AuthError || gen !== state.pollGen) return;
    setEventsState(`Fehler: ${err.message} – neuer Versuch in ${core.EVENT_POLL_MS / 1000} s`);
  }
  if (gen === state.pollGen) schedulePoll();
}

function schedulePoll() {
  clearTimeout(state.pollTimer);
  if (!state.paused && state.token) state.pollTimer = setTimeout(pollEvents, core.EVENT_POLL_MS);
}

function stopPolling() {
  state.pollGen++;
  clearTimeout(state.pollTimer);
}

function restartEvents() {
  stopPolling();
  state.events = [];
  renderEvents([]);
  if (!state.paused) pollEvents();
}

$("pause").addEventListener("click", () => {
  state.paused = !state.paused;
  $("pause").setAttribute("aria-pressed", String(state.paused));
  $("pause").textContent = state.paused ? "Fortsetzen" : "Pause";
  if (state.paused) {
    stopPolling();
    setEventsState("pausiert");
  } else {
    stopPolling();
    pollEvents();
  }
});

$("eventsForm").addEventListener("submit", (e) => {
  e.preventDefault();
  state.eventType = $("eventType").value.trim();
  restartEvents();
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.token && !state.paused) {
    stopPolling();
    pollEvents();
  }
});

// ── Start ───────────────────────────────────────────────────────────────────────────────────────

async function loadAll() {
  say("Lade …");
  // Fees first: it checks the token with one request before the rest fans out.
  try {
    await loadFees();
  } catch (err) {
    if (err instanceof AuthError) say("");
    else say(err.message, true);
    return;
  }
  const results = await Promise.allSettled([loadHealth(), loadCharts(), loadSettlements()]);
  const failed = results.filter((r) => r.status === "rejected" && !(r.reason instanceof AuthError));
  if (!state.token) return;
  if (failed.length) say(failed.map((r) => r.reason.message).join(" · "), true);
  else say("Aktuell.");
  restartEvents();
}

function init() {
  const range = core.defaultRange(Date.now());
  $("rangeFrom").value = range.from;
  $("rangeTo").value = range.to;
  // Settlement runs need a period that has ended: default to the 30 days before today.
  const yesterday = Date.now() - 86_400_000;
  const runRange = core.defaultRange(yesterday);
  $("runFrom").value = runRange.from;
  $("runTo").value = runRange.to;
  if (state.token && core.validToken(state.token)) {
    useToken(state.token);
    loadAll();
  } else {
    askToken("");
  }
}

init();
