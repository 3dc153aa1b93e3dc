// Pure parts of the admin page: money and rate formatting on integer math, query
// strings and API paths, date ranges, chart series, the event-stream merge, the fee edit body, the
// CSV filename and error classification. No DOM, no timers, no I/O: the page module (admin.js)
// owns those, and test/unit/admin-page.test.ts covers these. Types: admin-core.d.ts.

/** Key of the admin token in sessionStorage (never localStorage, never a URL). */
export const TOKEN_KEY = "ts_admin_token_v1";
/** Events kept in the live stream (oldest dropped first). */
export const MAX_EVENTS = 200;
/** Pause between two polls of the event stream. */
export const EVENT_POLL_MS = 3000;
/** Page size of the event poll (the API's maximum). */
export const EVENT_PAGE = 100;
/** Settlements per page of the table. */
export const SETTLEMENT_PAGE = 50;
/** Default chart range: the last this many UTC days, today included. */
export const DEFAULT_DAYS = 30;
/** Longest chart range the page asks for. */
export const MAX_RANGE_DAYS = 366;

const DAY_MS = 86_400_000;

// ── Money ───────────────────────────────────────────────────────────────────────────────────────
// The API sends single amounts (a price, a fee event, a fixed part; at most MAX_AMOUNT or twice
// that) as JSON numbers and every total (settlement totals, fee statistics, reconciliation sums)
// as a decimal string, because a total may pass 2^53 where a JSON number loses digits. Totals are
// therefore only ever handled as BigInt or decimal strings here, never as JS numbers; the one
// float is a chart axis position (chartValue), which is never shown as an amount.

/** Largest single amount the API accepts in minor units (a price, a fee rule's fixed part). */
export const MAX_AMOUNT = 1_000_000_000_000;

// Minor-unit exponents, the same table as src/money/money.ts (the unit test compares both).
const ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
const THREE_DECIMAL = "BHD IQD JOD KWD LYD OMR TND";
const TWO_DECIMAL =
  "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL";
const EXPONENT = new Map([
  ...ZERO_DECIMAL.split(" ").map((c) => [c, 0]),
  ...THREE_DECIMAL.split(" ").map((c) => [c, 3]),
  ...TWO_DECIMAL.split(" ").map((c) => [c, 2]),
]);

/** Every currency code the API accepts. */
export const CURRENCIES = [...EXPONENT.keys()].sort();

/**
 * Minor-unit decimals of an ISO 4217 currency as the API counts them, or undefined if unknown.
 *
 * @param {string} code
 * @returns {number | undefined}
 */
export function currencyExponent(code) {
  return EXPONENT.get(code);
}

/**
 * An integer amount as BigInt, or null if it is not an exact integer (a float, NaN, a number past
 * 2^53 that may have lost digits, "1.5", "1e3", ""). Decimal strings of any realistic length (up to
 * 40 digits) are taken digit for digit.
 *
 * @param {unknown} v
 * @returns {bigint | null}
 */
export function toBigInt(v) {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : null;
  if (typeof v === "string" && /^-?\d{1,40}$/.test(v)) return BigInt(v);
  return null;
}

/**
 * The exact sum of integer amounts (numbers, BigInts or decimal strings) as a decimal string, or
 * null if any of them is not an exact integer.
 *
 * @param {readonly unknown[]} amounts
 * @returns {string | null}
 */
export function sumMinor(amounts) {
  let total = 0n;
  for (const a of amounts) {
    const v = toBigInt(a);
    if (v === null) return null;
    total += v;
  }
  return total.toString();
}

/**
 * Minor units → exact decimal string of major units, by BigInt division (no float):
 * `minorToDecimal(-1205, 2)` → `"-12.05"`, `minorToDecimal(7, 0)` → `"7"`.
 *
 * @param {number | bigint | string} amount integer minor units
 * @param {number} exponent decimals of the currency (0…)
 * @returns {string | null} null if `amount` is not an integer
 */
export function minorToDecimal(amount, exponent) {
  const v = toBigInt(amount);
  if (v === null || !Number.isInteger(exponent) || exponent < 0) return null;
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const scale = 10n ** BigInt(exponent);
  const int = (abs / scale).toString();
  const frac = exponent > 0 ? `.${(abs % scale).toString().padStart(exponent, "0")}` : "";
  return `${neg ? "-" : ""}${int}${frac}`;
}

/**
 * Integer minor units formatted as the currency's major units, e.g. `formatMoney(123456, "EUR")`
 * → `"1.234,56 €"` (de-DE). The exact decimal string goes into `Intl.NumberFormat` (which formats
 * decimal strings without converting them to a float), so no amount is ever rounded. Unknown
 * currency or a non-integer amount: the raw value with a note, never a guess.
 *
 * @param {number | bigint | string} amount integer minor units
 * @param {string} currency ISO 4217
 * @param {string} [locale]
 * @returns {string}
 */
export function formatMoney(amount, currency, locale = "de-DE") {
  const exp = currencyExponent(currency);
  const decimal = exp === undefined ? null : minorToDecimal(amount, exp);
  if (exp === undefined || decimal === null) return `${String(amount)} ${currency} (Minor Units)`;
  const nf = new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: exp,
    maximumFractionDigits: exp,
  });
  return nf.format(/** @type {any} */ (decimal));
}

/**
 * A rate in parts per million as a percentage, exactly: `formatPpm(20000)` → `"2 %"`,
 * `formatPpm(12345)` → `"1,2345 %"` (de-DE).
 *
 * @param {number} ppm integer 0…1 000 000
 * @param {string} [locale]
 * @returns {string}
 */
export function formatPpm(ppm, locale = "de-DE") {
  const decimal = minorToDecimal(ppm, 6);
  if (decimal === null) return `${String(ppm)} ppm`;
  const nf = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 4 });
  return nf.format(/** @type {any} */ (decimal));
}

/**
 * Minor units → a JS number of major units, ONLY for chart axes (never shown as an amount, never
 * sent back, never summed): the nearest float to the exact decimal, so a total past 2^53 is drawn
 * at the right height. NaN for anything that is not an exact integer.
 *
 * @param {number | bigint | string} amount integer minor units
 * @param {string} currency
 * @returns {number}
 */
export function chartValue(amount, currency) {
  const decimal = minorToDecimal(amount, currencyExponent(currency) ?? 0);
  return decimal === null ? Number.NaN : Number.parseFloat(decimal);
}

// ── Query strings and paths ─────────────────────────────────────────────────────────────────────

/**
 * `?a=1&b=x` from the entries whose value is not undefined, null or "" (in the given order);
 * "" when none is left. Keys and values are percent-encoded (`created[gte]` → `created%5Bgte%5D`).
 *
 * @param {Record<string, string | number | boolean | null | undefined>} params
 * @returns {string}
 */
export function queryString(params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    qs.append(k, String(v));
  }
  const s = qs.toString();
  return s ? `?${s}` : "";
}

/**
 * The settlement filters the page offers, trimmed; currency upper-cased; unknown status dropped.
 *
 * @param {{ status?: string; currency?: string; payer?: string }} f
 * @returns {{ status?: "open" | "invoiced" | "paid"; currency?: string; payer?: string }}
 */
export function cleanFilters(f) {
  /** @type {{ status?: "open" | "invoiced" | "paid"; currency?: string; payer?: string }} */
  const out = {};
  const status = (f.status ?? "").trim();
  if (status === "open" || status === "invoiced" || status === "paid") out.status = status;
  const currency = (f.currency ?? "").trim().toUpperCase();
  if (currency) out.currency = currency;
  const payer = (f.payer ?? "").trim();
  if (payer) out.payer = payer;
  return out;
}

/**
 * `GET /api/admin/settlements` with filters, page size and the cursor of the previous page.
 *
 * @param {{ status?: string; currency?: string; payer?: string }} filters
 * @param {string | null} [cursor]
 * @param {number} [limit]
 * @returns {string}
 */
export function settlementsPath(filters, cursor = null, limit = SETTLEMENT_PAGE) {
  const f = cleanFilters(filters);
  return `/api/admin/settlements${queryString({ status: f.status, currency: f.currency, payer: f.payer, limit, cursor })}`;
}

/**
 * `GET /api/admin/settlements/export.csv` with the same filters as the table.
 *
 * @param {{ status?: string; currency?: string; payer?: string }} filters
 * @returns {string}
 */
export function exportPath(filters) {
  const f = cleanFilters(filters);
  return `/api/admin/settlements/export.csv${queryString({ status: f.status, currency: f.currency, payer: f.payer })}`;
}

/**
 * Path of a settlement action, the id percent-encoded.
 *
 * @param {string} id
 * @param {"invoice" | "pay"} action
 * @returns {string}
 */
export function actionPath(id, action) {
  return `/api/admin/settlements/${encodeURIComponent(id)}/${action}`;
}

/**
 * The action a settlement in `status` allows: open → invoice, invoiced → pay, paid → none.
 *
 * @param {string} status
 * @returns {"invoice" | "pay" | null}
 */
export function nextAction(status) {
  if (status === "open") return "invoice";
  if (status === "invoiced") return "pay";
  return null;
}

/**
 * Download name of the CSV export: `settlements[-status][-currency][-payer]-<UTC stamp>.csv`,
 * reduced to `A-Z a-z 0-9 . _ -` so no filter value can shape a path.
 *
 * @param {{ status?: string; currency?: string; payer?: string }} filters
 * @param {number} now epoch ms
 * @returns {string}
 */
export function csvFilename(filters, now) {
  const f = cleanFilters(filters);
  const parts = ["settlements", f.status, f.currency, f.payer?.slice(0, 40)].filter(Boolean);
  const stamp = new Date(now)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  const name = [...parts, stamp].join("-").replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${name}.csv`;
}

// ── Dates ───────────────────────────────────────────────────────────────────────────────────────

/**
 * `YYYY-MM-DD` of the UTC day containing `ms`.
 *
 * @param {number} ms
 * @returns {string}
 */
export function utcDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Epoch ms of a `YYYY-MM-DD` UTC midnight, or null if it is not a real date (Feb 30, "2026-1-5").
 *
 * @param {string} day
 * @returns {number | null}
 */
export function dayStart(day) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isNaN(ms) || utcDay(ms) !== day ? null : ms;
}

/**
 * The default range: the last `days` UTC days, today included.
 *
 * @param {number} now epoch ms
 * @param {number} [days]
 * @returns {{ from: string; to: string }} inclusive UTC days
 */
export function defaultRange(now, days = DEFAULT_DAYS) {
  return { from: utcDay(now - (days - 1) * DAY_MS), to: utcDay(now) };
}

/**
 * Inclusive UTC days → the half-open instant range `[from 00:00Z, day after to 00:00Z)` the API
 * takes, or an error text (German, for the page).
 *
 * @param {{ from: string; to: string }} range
 * @param {number} [maxDays]
 * @returns {{ ok: true; from: string; to: string; fromMs: number; toMs: number; days: number } | { ok: false; error: string }}
 */
export function rangeInstants(range, maxDays = MAX_RANGE_DAYS) {
  const from = dayStart(range.from);
  const last = dayStart(range.to);
  if (from === null || last === null) return { ok: false, error: "Bitte gültige Daten (JJJJ-MM-TT) angeben." };
  if (last < from) return { ok: false, error: "„Von“ muss vor oder gleich „Bis“ sein." };
  const toMs = last + DAY_MS;
  const days = (toMs - from) / DAY_MS;
  if (days > maxDays) return { ok: false, error: `Höchstens ${maxDays} Tage.` };
  return { ok: true, from: new Date(from).toISOString(), to: new Date(toMs).toISOString(), fromMs: from, toMs, days };
}

/**
 * Every UTC day of `[fromMs, toMs)` as `YYYY-MM-DD`.
 *
 * @param {number} fromMs a UTC midnight
 * @param {number} toMs
 * @returns {string[]}
 */
export function daysBetween(fromMs, toMs) {
  const out = [];
  for (let t = fromMs; t < toMs; t += DAY_MS) out.push(utcDay(t));
  return out;
}

/**
 * A settlement period `[from, to)` for people: whole UTC days as inclusive days
 * (`2026-11-21` for one day, `2026-11-01 – 2026-11-07` for a week), anything else as UTC instants
 * to the minute (`2026-11-22 00:00 – 2026-11-22 08:16 UTC`).
 *
 * @param {string} from ISO instant
 * @param {string} to ISO instant, exclusive
 * @returns {string}
 */
export function periodLabel(from, to) {
  const a = toMs(from);
  const b = toMs(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return `${from} – ${to}`;
  if (a % DAY_MS === 0 && b % DAY_MS === 0 && b > a) {
    const first = utcDay(a);
    const last = utcDay(b - DAY_MS);
    return first === last ? first : `${first} – ${last}`;
  }
  const minute = (ms) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  return `${minute(a)} – ${minute(b)} UTC`;
}

/**
 * An instant (ISO string or epoch ms) as epoch ms, NaN if neither.
 *
 * @param {unknown} v
 * @returns {number}
 */
export function toMs(v) {
  if (typeof v === "number") return v;
  if (typeof v === "string") return /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.NaN;
}

// ── Errors ──────────────────────────────────────────────────────────────────────────────────────

/**
 * What an API error means for the page. `auth: true` (401 `admin_unauthorized`, 503
 * `admin_not_configured`): drop the token and ask again. The message is German, for the page.
 *
 * @param {number} status HTTP status
 * @param {unknown} body the parsed JSON error body, or anything else
 * @returns {{ auth: boolean; code: string; message: string }}
 */
export function describeError(status, body) {
  const b = body && typeof body === "object" ? /** @type {Record<string, unknown>} */ (body) : {};
  const code = typeof b.code === "string" ? b.code : `http_${status}`;
  const text = typeof b.error === "string" ? b.error : `HTTP ${status}`;
  const req = typeof b.requestId === "string" ? `, Anfrage ${b.requestId}` : "";
  if (status === 401 || code === "admin_unauthorized")
    return { auth: true, code, message: `Admin-Token fehlt oder ist falsch (HTTP ${status}).` };
  if (code === "admin_not_configured")
    return {
      auth: true,
      code,
      message: `Die Admin-API ist nicht konfiguriert: ADMIN_TOKEN ist nicht gesetzt (HTTP ${status}; lokal: die Zeile aus .dev.vars.example in .dev.vars übernehmen und neu starten).`,
    };
  return { auth: false, code, message: `${text} (${code}, HTTP ${status}${req})` };
}

/**
 * Whether a typed token can be sent at all (the API takes 1–512 non-space characters).
 *
 * @param {string} token
 * @returns {boolean}
 */
export function validToken(token) {
  return /^\S{1,512}$/.test(token);
}

// ── Health ──────────────────────────────────────────────────────────────────────────────────────

const HEALTH_LABEL = { d1: "D1", migrations: "Migrationen", settlement: "Abrechnungslauf" };
const RUN_STATUS = { ok: "aktuell", stale: "überfällig (> 26 h)", failed: "fehlgeschlagen", never: "noch kein Lauf" };

/**
 * A duration for people: `42 s`, `5 min`, `3 h`, `2 d` (rounded down).
 *
 * @param {number} seconds
 * @returns {string}
 */
export function ageText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/**
 * The checks of `GET /api/health` (`{ok, at, checks: {d1, migrations, settlement, …}}`) as one line
 * each: a label, ok or not, and a German description. Unknown checks are shown as compact JSON.
 *
 * @param {unknown} body
 * @returns {{ label: string; ok: boolean; text: string }[]}
 */
export function healthLines(body) {
  const checks = body && typeof body === "object" ? /** @type {any} */ (body).checks : null;
  if (!checks || typeof checks !== "object") return [];
  return Object.entries(checks).map(([name, raw]) => {
    const c = raw && typeof raw === "object" ? /** @type {any} */ (raw) : {};
    const ok = c.ok === true;
    const label = /** @type {Record<string, string>} */ (HEALTH_LABEL)[name] ?? name;
    if (typeof c.error === "string") return { label, ok, text: c.error };
    if (name === "d1") return { label, ok, text: ok ? "antwortet" : "keine Antwort" };
    if (name === "migrations") {
      const parts = [`${c.applied ?? "?"} von ${c.expected ?? "?"} angewendet`];
      if (c.latest) parts.push(`neueste ${c.latest}`);
      if (Array.isArray(c.pending) && c.pending.length) parts.push(`ausstehend: ${c.pending.join(", ")}`);
      if (Array.isArray(c.unknown) && c.unknown.length) parts.push(`unbekannt: ${c.unknown.join(", ")}`);
      return { label, ok, text: parts.join(" · ") };
    }
    if (name === "settlement") {
      const status = /** @type {Record<string, string>} */ (RUN_STATUS)[c.status] ?? String(c.status ?? "?");
      const run = c.lastRun;
      if (!run) return { label, ok, text: status };
      const age = typeof c.ageSeconds === "number" ? `, vor ${ageText(c.ageSeconds)}` : "";
      return { label, ok, text: `${status}: zuletzt ${periodLabel(run.periodFrom, run.periodTo)} (${run.status})${age}` };
    }
    return { label, ok, text: metaText(c) };
  });
}

/**
 * `GET /api/admin/stats/presence` as one line.
 *
 * @param {unknown} body
 * @returns {string}
 */
export function presenceLine(body) {
  const b = body && typeof body === "object" ? /** @type {any} */ (body) : {};
  const active = Number.isFinite(b.activeSessions) ? b.activeSessions : 0;
  const window = Number.isFinite(b.windowSeconds) ? b.windowSeconds : 60;
  const online = b.statuses?.online ?? 0;
  const offline = b.statuses?.offline ?? 0;
  const codes = Array.isArray(b.pairCodes) ? b.pairCodes.length : 0;
  return `${active} aktiv (letzte ${window} s) · ${online} online · ${offline} offline · ${codes} Pair-Codes`;
}

// ── Fee rules ───────────────────────────────────────────────────────────────────────────────────

export const ROUNDING_MODES = ["half_up", "half_even", "floor", "ceil"];

/**
 * The `PUT /api/admin/fees/:id` body for an inline edit: only the fields that changed, plus
 * `expectedVersion` (the version the row was read at), or an error text. Numbers are parsed as
 * integers from the inputs' text (no floats): `ratePpm` 0…1 000 000, `fixedAmount` minor units
 * 0…MAX_AMOUNT; an empty currency means "any" (null).
 *
 * @param {{ ratePpm: number; fixedAmount: number; currency: string | null; rounding: string; active: boolean; version: number }} rule
 * @param {{ ratePpm: string; fixedAmount: string; currency: string; rounding: string; active: boolean }} form
 * @returns {{ ok: true; body: Record<string, unknown> } | { ok: false; error: string }}
 */
export function feeUpdateBody(rule, form) {
  /** @type {Record<string, unknown>} */
  const body = {};
  const rate = form.ratePpm.trim();
  if (!/^\d{1,7}$/.test(rate) || Number(rate) > 1_000_000) return { ok: false, error: "Rate: ganze Zahl 0 … 1 000 000 ppm." };
  if (Number(rate) !== rule.ratePpm) body.ratePpm = Number(rate);
  const fixed = form.fixedAmount.trim();
  if (!/^\d{1,13}$/.test(fixed) || Number(fixed) > MAX_AMOUNT)
    return { ok: false, error: `Fixbetrag: ganze Zahl 0 … ${MAX_AMOUNT} in Minor Units.` };
  if (Number(fixed) !== rule.fixedAmount) body.fixedAmount = Number(fixed);
  const cur = form.currency.trim().toUpperCase();
  if (cur && currencyExponent(cur) === undefined) return { ok: false, error: `Unbekannte Währung ${cur}.` };
  if ((cur || null) !== rule.currency) body.currency = cur || null;
  if (!ROUNDING_MODES.includes(form.rounding)) return { ok: false, error: "Unbekannte Rundung." };
  if (form.rounding !== rule.rounding) body.rounding = form.rounding;
  if (form.active !== rule.active) body.active = form.active;
  if (Object.keys(body).length === 0) return { ok: false, error: "Keine Änderung." };
  body.expectedVersion = rule.version;
  return { ok: true, body };
}

// ── Event stream ────────────────────────────────────────────────────────────────────────────────

/**
 * Newest first: later `createdAt`, then the larger (time-sortable) id.
 *
 * @param {{ id: string; createdAt: unknown }} a
 * @param {{ id: string; createdAt: unknown }} b
 * @returns {number}
 */
export function newestFirst(a, b) {
  const d = toMs(b.createdAt) - toMs(a.createdAt);
  if (d !== 0 && !Number.isNaN(d)) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Merges polled events into the shown list: deduplicated by id (a re-polled event replaces its
 * copy in place of adding one), newest first, at most `cap`. `added` lists the ids that are new.
 *
 * @template {{ id: string; createdAt: unknown }} E
 * @param {readonly E[]} current newest first
 * @param {readonly E[]} incoming any order
 * @param {number} [cap]
 * @returns {{ items: E[]; added: string[] }}
 */
export function mergeEvents(current, incoming, cap = MAX_EVENTS) {
  const byId = new Map(current.map((e) => [e.id, e]));
  /** @type {string[]} */
  const added = [];
  for (const e of incoming) {
    if (!e || typeof e.id !== "string") continue;
    if (!byId.has(e.id)) added.push(e.id);
    byId.set(e.id, e);
  }
  const items = [...byId.values()].sort(newestFirst).slice(0, Math.max(0, cap));
  const kept = new Set(items.map((e) => e.id));
  return { items, added: added.filter((id) => kept.has(id)) };
}

/**
 * The next poll of `GET /api/admin/events`: everything created at or after the newest shown
 * event (`created[gte]`, inclusive, so an event of the same millisecond is never lost; the merge
 * drops the repeats), or the newest page when nothing is shown yet.
 *
 * @param {readonly { id: string; createdAt: unknown }[]} shown newest first
 * @param {{ type?: string; startingAfter?: string | null; limit?: number }} [opts]
 * @returns {string}
 */
export function eventsPollPath(shown, opts = {}) {
  const newest = shown[0];
  const ms = newest ? toMs(newest.createdAt) : Number.NaN;
  return `/api/admin/events${queryString({
    limit: opts.limit ?? EVENT_PAGE,
    type: opts.type?.trim() || undefined,
    "created[gte]": Number.isNaN(ms) ? undefined : new Date(ms).toISOString(),
    starting_after: opts.startingAfter ?? undefined,
  })}`;
}

/**
 * Whether a poll must fetch another page: the page was full, the API says there is more, and
 * none of its events was already shown (so a gap may lie between it and the shown list).
 *
 * @param {{ items: readonly { id: string }[]; hasMore?: boolean }} page
 * @param {ReadonlySet<string>} shownIds
 * @param {number} [limit]
 * @returns {boolean}
 */
export function needsNextPage(page, shownIds, limit = EVENT_PAGE) {
  if (page.hasMore === false) return false;
  if (page.items.length < limit) return false;
  return page.items.every((e) => !shownIds.has(e.id));
}

/**
 * One line of an event's details (meta as compact JSON, cut at `max` characters).
 *
 * @param {unknown} meta
 * @param {number} [max]
 * @returns {string}
 */
export function metaText(meta, max = 160) {
  let s;
  try {
    s = typeof meta === "string" ? meta : JSON.stringify(meta ?? {});
  } catch {
    s = String(meta);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// ── Chart series ────────────────────────────────────────────────────────────────────────────────

/**
 * `bookingsPerDay` of `GET /api/admin/stats/vouchers` → uPlot data
 * `[x (epoch seconds of each UTC day), booked, cancelled, rescheduled]`; days without a row count 0,
 * rows outside `days` are ignored, repeated days add up.
 *
 * @param {readonly { day: string; booked?: number; cancelled?: number; rescheduled?: number }[]} rows
 * @param {readonly string[]} days every day of the range, ascending
 * @returns {[number[], number[], number[], number[]]}
 */
export function bookingSeries(rows, days) {
  const index = new Map(days.map((d, i) => [d, i]));
  const booked = days.map(() => 0);
  const cancelled = days.map(() => 0);
  const rescheduled = days.map(() => 0);
  const add = (/** @type {number[]} */ list, /** @type {number} */ i, /** @type {unknown} */ n) => {
    if (typeof n === "number" && Number.isFinite(n)) list[i] = (list[i] ?? 0) + n;
  };
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    add(booked, i, r.booked);
    add(cancelled, i, r.cancelled);
    add(rescheduled, i, r.rescheduled);
  }
  return [days.map((d) => (dayStart(d) ?? 0) / 1000), booked, cancelled, rescheduled];
}

/**
 * `days` of `GET /api/admin/stats/fees` (one row per UTC day × currency, `net` = charges +
 * reversals in minor units) → one chart series per currency (major units, for the axis only), the
 * exact net per day and currency and the exact total per currency (BigInt sums of minor units, as
 * decimal strings).
 *
 * @param {readonly { day: string; currency: string; net: number | bigint | string }[]} rows
 * @param {readonly string[]} days every day of the range, ascending
 * @returns {{ x: number[]; currencies: string[]; series: number[][]; perDay: string[][]; totals: { currency: string; amount: string }[] }}
 */
export function feeSeries(rows, days) {
  const index = new Map(days.map((d, i) => [d, i]));
  /** @type {Map<string, bigint[]>} */
  const perCurrency = new Map();
  for (const r of rows) {
    const i = index.get(r.day);
    const v = toBigInt(r.net);
    if (i === undefined || v === null || typeof r.currency !== "string") continue;
    let list = perCurrency.get(r.currency);
    if (!list) {
      list = days.map(() => 0n);
      perCurrency.set(r.currency, list);
    }
    list[i] = (list[i] ?? 0n) + v;
  }
  const currencies = [...perCurrency.keys()].sort();
  const exact = currencies.map((c) => perCurrency.get(c) ?? []);
  return {
    x: days.map((d) => (dayStart(d) ?? 0) / 1000),
    currencies,
    series: exact.map((list, k) => list.map((v) => chartValue(v, currencies[k] ?? ""))),
    perDay: exact.map((list) => list.map((v) => v.toString())),
    totals: currencies.map((c, k) => ({ currency: c, amount: (exact[k] ?? []).reduce((a, b) => a + b, 0n).toString() })),
  };
}
