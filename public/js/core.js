// The portal's shared kernel: one fetch wrapper (session cookie, idempotency keys saved before a
// write is sent, the API's JSON error shape), progress and error display, cursor paging, money and
// date formatting, the page shell (header with identity and the area navigation). Every area page
// (public/*.html → public/js/<area>.js) imports only this module and its own helpers.
// Plain ES module, no build step, no inline script (the pages' CSP forbids it).

const PENDING_KEY = "ts_pending_ops_v1";
/** The uid the offline manifest created and the verified link confirmed (same key as the original clients). */
export const UID_KEY = "mot_user_id_v1";

/** An answer of the API that is not `ok`: HTTP status, the machine `code` and the human `error`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} [details]
   */
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function pendingOps() {
  try {
    return JSON.parse(localStorage.getItem(PENDING_KEY) || "{}");
  } catch {
    return {};
  }
}

/**
 * The idempotency key of operation `op`, created and saved BEFORE the request is sent: a reload
 * or a retry of the same operation reuses it, so a write can never happen twice.
 * @param {string} op a name that identifies the operation (e.g. `book:<voucherId>:<slotId>`)
 */
export function opKey(op) {
  const pending = pendingOps();
  pending[op] ??= crypto.randomUUID();
  localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  return pending[op];
}

/** Forgets operation `op`'s key once the server gave a final answer. */
export function opDone(op) {
  const pending = pendingOps();
  delete pending[op];
  localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

/**
 * Calls the API on this origin. `body` makes it a JSON write (POST unless `method` says otherwise);
 * `op` names the operation for its idempotency key. Resolves to the parsed `ok` answer; throws
 * {@link ApiError} with the API's `code` and `error` text otherwise.
 * @param {string} path
 * @param {{method?: string, body?: unknown, op?: string, form?: FormData, headers?: Record<string,string>}} [init]
 */
export async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  /** @type {RequestInit} */
  const req = { credentials: "same-origin", headers, method: init.method ?? "GET" };
  if (init.form) {
    req.method = init.method ?? "POST";
    req.body = init.form;
  } else if (init.body !== undefined) {
    req.method = init.method ?? "POST";
    headers["content-type"] = "application/json";
    req.body = JSON.stringify(init.body);
  }
  if (init.op) headers["idempotency-key"] = opKey(init.op);
  let res;
  try {
    res = await fetch(path, req);
  } catch {
    throw new ApiError(0, "network", "Keine Verbindung zum Server. Bitte erneut versuchen.");
  }
  const data = await res.json().catch(() => null);
  // A final answer (success or a refusal that a retry would repeat) ends the operation; a 5xx or
  // a 409 idempotency conflict keeps the key so the retry is recognised.
  if (init.op && res.status < 500 && !(res.status === 409 && data?.code === "idempotency_request_in_flight")) opDone(init.op);
  if (!res.ok || !data || data.ok === false) {
    throw new ApiError(res.status, data?.code ?? "http_error", data?.error ?? `HTTP ${res.status}`, data?.details);
  }
  return data;
}

/** `document.getElementById`, typed loosely for plain JS. */
export const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

/**
 * Creates an element: `el("button", {type: "button", onclick}, "Text")`. Properties are assigned,
 * `dataset`/`class` handled; children are nodes or text (never parsed as HTML).
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|number|null|undefined|false)} children
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("aria-") || k === "role" || k === "for") node.setAttribute(k, String(v));
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

/**
 * Shows a message in the page's status line (`#status`, role=status): errors in red.
 * @param {string} text
 * @param {boolean} [isError]
 */
export function say(text, isError = false) {
  const s = $("status");
  if (!s) return;
  s.textContent = text;
  s.className = isError ? "error" : "muted";
}

/**
 * Runs an async action with visible progress: the trigger is disabled and marked busy, the status
 * line says `busyText`; on failure the API's `error` text is shown. Returns the action's result,
 * or undefined after a shown error.
 * @template T
 * @param {HTMLElement | null} trigger
 * @param {string} busyText
 * @param {() => Promise<T>} action
 * @returns {Promise<T | undefined>}
 */
export async function withProgress(trigger, busyText, action) {
  if (trigger) {
    trigger.setAttribute("aria-busy", "true");
    /** @type {any} */ (trigger).disabled = true;
  }
  say(`${busyText} …`);
  try {
    const result = await action();
    return result;
  } catch (err) {
    say(err instanceof Error ? err.message : String(err), true);
    return undefined;
  } finally {
    if (trigger) {
      trigger.removeAttribute("aria-busy");
      /** @type {any} */ (trigger).disabled = false;
    }
  }
}

/**
 * Runs a form's submit through {@link withProgress} (its submit button shows the progress) instead
 * of the browser's own submission.
 * @param {HTMLFormElement} form
 * @param {string} busyText
 * @param {() => Promise<unknown>} action
 */
export function onSubmit(form, busyText, action) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    withProgress(form.querySelector("button[type=submit]"), busyText, action);
  });
}

/** A button whose click runs `action` with progress. */
export function button(label, action, busyText = label) {
  const b = el("button", { type: "button" }, label);
  b.addEventListener("click", () => withProgress(b, busyText, action));
  return b;
}

/**
 * Cursor paging for a list: renders the first page into `container` and a "Mehr laden" button
 * while the API returns a `nextCursor`. `load(cursor)` fetches one page and returns
 * `{items, nextCursor}`; `render(item)` makes one node (a `<tr>` for a `<tbody>`).
 * @param {HTMLElement} container
 * @param {(cursor: string | null) => Promise<{items: any[], nextCursor?: string | null}>} load
 * @param {(item: any) => Node} render
 * @param {{empty?: string, more?: HTMLElement}} [opts] `more`: where the button goes (default after the container's table)
 */
export async function paged(container, load, render, opts = {}) {
  const moreBox = opts.more ?? container.closest("table")?.parentElement ?? container.parentElement;
  const id = `${container.id || "list"}-more`;
  document.getElementById(id)?.remove();
  const first = await load(null);
  container.replaceChildren(...first.items.map(render));
  if (first.items.length === 0 && opts.empty) {
    const cols = container.closest("table")?.querySelectorAll("thead th").length ?? 1;
    container.append(
      container.tagName === "TBODY"
        ? el("tr", {}, el("td", { colSpan: cols, class: "muted" }, opts.empty))
        : el("p", { class: "muted" }, opts.empty),
    );
  }
  let cursor = first.nextCursor ?? null;
  if (!cursor || !moreBox) return;
  const more = el("button", { type: "button", id, class: "more" }, "Mehr laden");
  more.addEventListener("click", () =>
    withProgress(more, "Lade weitere", async () => {
      const page = await load(cursor);
      container.append(...page.items.map(render));
      cursor = page.nextCursor ?? null;
      if (!cursor) more.remove();
      say("");
    }),
  );
  moreBox.append(more);
}

/**
 * A query string of `params`, leaving out empty values (`undefined`, `null`, `""`).
 * @param {Record<string, string | number | null | undefined>} params
 */
export function query(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, String(v));
  return s.toString();
}

/**
 * A page loader for {@link paged}: GET `path` with `params` and the cursor; the items are the
 * answer's `key` list. A list is narrowed by the server's own filters, never by dropping items in
 * the browser (a page could then come back empty with more to load).
 * @param {string} path
 * @param {Record<string, string | number | null | undefined>} [params]
 * @param {string} [key]
 */
export function apiPages(path, params = {}, key = "items") {
  return async (/** @type {string | null} */ cursor) => {
    const page = await api(`${path}?${query({ ...params, cursor })}`);
    return { items: page[key], nextCursor: page.nextCursor ?? null };
  };
}

/**
 * {@link paged}, with a failure shown in place of the list's rows, so one list's error leaves the
 * page's other lists loading.
 * @param {HTMLElement} container
 * @param {(cursor: string | null) => Promise<{items: any[], nextCursor?: string | null}>} load
 * @param {(item: any) => Node} render
 * @param {string} [empty]
 */
export async function pagedList(container, load, render, empty) {
  try {
    await paged(container, load, render, { empty });
  } catch (err) {
    showListError(container, err);
  }
}

/** Minor units as a decimal string with two places, by string arithmetic (money never passes through a float). */
export function money(p) {
  if (!p || p.amount === undefined || p.amount === null) return "–";
  const raw = String(p.amount);
  const neg = raw.startsWith("-");
  const digits = (neg ? raw.slice(1) : raw).padStart(3, "0");
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return `${neg ? "-" : ""}${whole},${digits.slice(-2)} ${p.currency ?? ""}`.trim();
}

/**
 * Parses a euro amount typed by a person ("1.234,56", "1234.5", "360000") into integer minor units
 * as a string of digits, without floats; null when it is not an amount with at most two decimals.
 * @param {string} text
 * @returns {number | null}
 */
export function parseMoney(text) {
  const t = text.trim().replace(/\s/g, "");
  const m = /^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?$/.exec(t) ?? /^(\d+)(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return null;
  const units = BigInt(m[1].replaceAll(".", "")) * 100n + BigInt((m[2] ?? "").padEnd(2, "0") || "0");
  return units > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(units);
}

/**
 * Parts per million as a German percentage with one decimal ("12,3 %"), rounded half up by
 * integer arithmetic (rates never pass through a float).
 * @param {number | string | bigint} ppm a non-negative integer
 */
export function ppmPercent(ppm) {
  const tenths = (BigInt(ppm) + 500n) / 1000n;
  return `${tenths / 10n},${tenths % 10n} %`;
}

/** Date and time in German short form. */
export const fmt = (/** @type {string | number} */ iso) =>
  new Date(iso).toLocaleString("de-DE", { dateStyle: "short", timeStyle: "short" });

/** The portal's areas, in navigation order: [page, label]. */
export const AREAS = [
  ["/", "Identität"],
  ["/presence.html", "Begegnen"],
  ["/rooms.html", "Räume"],
  ["/vouchers.html", "Voucher"],
  ["/business.html", "Geschäft"],
  ["/mortgage.html", "Hypothek"],
  ["/legal.html", "Verträge"],
  ["/telbank.html", "Telbank"],
  ["/manifest.html", "Manifest"],
  ["/me.html", "Meine Daten"],
];

/** The cached answer of {@link whoAmI} for this page load. */
let mePromise;
/**
 * Who is signed in, from `GET /api/me` (null without a valid session). Cached per page load.
 * @returns {Promise<null | {uid: string, thinker_id: string, pair_code: string | null, roles: string[], expiresAt: string, deviceKeys?: {keyId: string, label: string | null, createdAt: string, lastUsedAt: string | null}[]}>}
 */
export function whoAmI() {
  mePromise ??= api("/api/me").then(
    (me) => me,
    (err) => {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
      throw err;
    },
  );
  return mePromise;
}

/** Forgets the cached identity (after verify, logout or erasure). */
export function forgetMe() {
  mePromise = undefined;
}

/**
 * Renders the page shell into `<header id="shell">`: title, the signed-in uid (or a hint to open
 * the portal from the manifest) and the area navigation with `current` marked.
 * @param {string} current the page path of this area
 */
export async function mountShell(current) {
  const header = $("shell");
  const nav = el(
    "nav",
    { "aria-label": "Bereiche" },
    ...AREAS.map(([href, label]) => el("a", { href, "aria-current": href === current ? "page" : undefined }, label)),
  );
  const who = el("p", { id: "who", class: "muted" }, "…");
  header.replaceChildren(el("h1", {}, el("a", { href: "/" }, "Together Systems")), who, nav);
  const me = await whoAmI().catch(() => null);
  if (me) localStorage.setItem(UID_KEY, me.uid);
  who.textContent = me ? `Verifiziert als ${me.uid}` : "Nicht angemeldet. Öffne das Portal aus deinem Offline-Manifest.";
  return me;
}

/**
 * Marks the page ready (`<body data-ready="true">`) once its module has wired every handler:
 * a click before that would submit a form natively. Tests wait for `body[data-ready]`.
 */
export function ready() {
  document.body.dataset.ready = "true";
}

/**
 * The state of a page without a session: why, and the way back in (the identity page, which
 * offers the device-key login or explains how to open the portal from the offline manifest).
 * @param {HTMLElement} [into] where to show it (default: the page's `<main>`)
 */
export function showSignedOut(into = document.querySelector("main")) {
  into?.replaceChildren(
    el(
      "section",
      { id: "signedOut", class: "card" },
      el("h2", {}, "Nicht angemeldet"),
      el(
        "p",
        {},
        "Dieser Bereich braucht eine gültige Sitzung. Öffne das Portal erneut aus deinem Offline-Manifest ",
        "(„Portal öffnen“), oder melde dich auf der ",
        el("a", { href: "/", id: "toIdentity" }, "Identitätsseite"),
        " mit dem Schlüssel dieses Geräts wieder an.",
      ),
    ),
  );
}

/**
 * Shows a list's API error in place of the list (e.g. a route that is not there yet), so the rest
 * of the page keeps working.
 * @param {HTMLElement} container
 * @param {unknown} err
 */
export function showListError(container, err) {
  const text = err instanceof Error ? err.message : String(err);
  const node = el("p", { class: "error" }, `Fehler: ${text}`);
  if (container.tagName === "TBODY") {
    const cols = container.closest("table")?.querySelectorAll("thead th").length ?? 1;
    container.replaceChildren(el("tr", {}, el("td", { colSpan: cols }, node)));
  } else container.replaceChildren(node);
}
