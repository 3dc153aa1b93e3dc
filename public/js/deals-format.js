// Pure formatting and decision helpers of the deal pages (mortgage, legal hub, telbank, manifest):
// rates as exact percent text, offer comparison, plan summaries, which contract actions a person
// may take, per-post sync results, crypto amounts and hashes. No DOM and no fetch here, so the
// unit tests import this module as it is served. Rates and amounts never pass through float
// arithmetic: a rate is moved into parts per million by shifting its decimal digits as text,
// amounts are summed as BigInt.

/** 1 = 100 %, in parts per million (the API stores every rate as integer ppm). */
export const PPM_PER_UNIT = 1_000_000n;

/**
 * A rate as the API answers it (a decimal fraction, JSON number or decimal string: 0.0325) →
 * integer parts per million (32500), by moving the decimal digits as text. The API's rates have at
 * most six decimals; a seventh, a sign or anything else that is not a plain decimal gives null.
 * @param {number | string | null | undefined} rate
 * @returns {number | null}
 */
export function rateToPpm(rate) {
  if (rate === null || rate === undefined) return null;
  if (typeof rate === "number" && !Number.isFinite(rate)) return null;
  // String(number) is its shortest decimal form; very small numbers print with an exponent.
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(String(rate).trim());
  if (!m) return null;
  const intPart = m[1] ?? "0";
  let frac = m[2] ?? "";
  let digits = intPart + frac;
  // Position of the decimal point counted from the left of `digits`, moved by the exponent.
  let point = intPart.length + Number(m[3] ?? "0");
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  digits = digits.padEnd(point, "0");
  frac = digits.slice(point).replace(/0+$/, "");
  if (frac.length > 6) return null;
  const ppm = BigInt(digits.slice(0, point) || "0") * PPM_PER_UNIT + BigInt(frac.padEnd(6, "0"));
  return ppm > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(ppm);
}

/**
 * Parts per million → German percent text, exact: at least `minDecimals` places, more only where
 * the value has them (32000 → "3,20 %", 32474 → "3,2474 %", 1 → "0,0001 %").
 * @param {number | null | undefined} ppm
 * @param {number} [minDecimals]
 */
export function ppmPercent(ppm, minDecimals = 2) {
  if (ppm === null || ppm === undefined || !Number.isSafeInteger(ppm)) return "–";
  const neg = ppm < 0;
  // 1 % = 10 000 ppm, so the percent value has exactly four decimal places.
  const digits = String(Math.abs(ppm)).padStart(5, "0");
  const whole = digits.slice(0, -4);
  let frac = digits.slice(-4).replace(/0+$/, "");
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, "0");
  return `${neg ? "-" : ""}${whole}${frac ? `,${frac}` : ""} %`;
}

/** A rate of the API (decimal fraction) as German percent text ("3,25 %"); "–" when absent. */
export const ratePercent = (/** @type {number | string | null | undefined} */ rate) => ppmPercent(rateToPpm(rate));

/**
 * The server's exact effective-rate percent string ("3.2678", four decimals) as German text
 * ("3,2678 %"), digits unchanged.
 * @param {string | null | undefined} text
 */
export function percentStringDe(text) {
  if (!text || !/^\d+(\.\d+)?$/.test(text)) return "–";
  return `${text.replace(".", ",")} %`;
}

/**
 * A percent typed by a person ("3,25", "3.25", "3,25 %") → the API's decimal-fraction string
 * ("0.0325"), by text; null when it is not a percent from 0 to 100 with at most four decimals
 * (a fifth would be a seventh decimal of the fraction, which the API refuses).
 * @param {string} text
 * @returns {string | null}
 */
export function percentToRate(text) {
  const m = /^(\d{1,3})(?:[.,](\d{1,4}))?$/.exec(text.trim().replace(/\s*%$/, ""));
  if (!m) return null;
  const ppm = BigInt(m[1] ?? "0") * 10_000n + BigInt((m[2] ?? "").padEnd(4, "0"));
  if (ppm > PPM_PER_UNIT) return null;
  const s = ppm.toString().padStart(7, "0");
  const frac = s.slice(-6).replace(/0+$/, "");
  return frac ? `${s.slice(0, -6)}.${frac}` : s.slice(0, -6);
}

/**
 * Months → German duration ("29 Jahre 11 Monate", "1 Jahr", "5 Monate").
 * @param {number} months
 */
export function durationText(months) {
  const y = Math.floor(months / 12);
  const m = months % 12;
  const parts = [];
  if (y) parts.push(`${y} ${y === 1 ? "Jahr" : "Jahre"}`);
  if (m || !y) parts.push(`${m} ${m === 1 ? "Monat" : "Monate"}`);
  return parts.join(" ");
}

/**
 * What the borrower pays over the whole plan: all payments plus the upfront fees, summed as
 * BigInt (a decimal string of minor units, as `money` takes it).
 * @param {{figures: {totalAmountPaid: {amount: number, currency: string}}, fees: {total: number}}} offer
 * @returns {{amount: string, currency: string}}
 */
export function totalCost(offer) {
  const paid = offer.figures.totalAmountPaid;
  return { amount: (BigInt(paid.amount) + BigInt(offer.fees.total)).toString(), currency: paid.currency };
}

/**
 * The rows of the side-by-side offer comparison, every figure the server's. Each row has a label,
 * one cell per offer (`text` to show, `sort` to compare, lower is better) and `best`: the indices
 * of the lowest value where lower is better for the borrower (rate, total cost, fees), else [].
 * `money` formats an amount (the page passes core.js's).
 * @param {any[]} offers
 * @param {(p: {amount: number | string, currency: string}) => string} money
 * @returns {{key: string, label: string, cells: string[], best: number[]}[]}
 */
export function compareOffers(offers, money) {
  /** @type {{key: string, label: string, cells: string[], best: number[]}[]} */
  const rows = [];
  /**
   * @param {string} key
   * @param {string} label
   * @param {(o: any) => string} text
   * @param {((o: any) => bigint) | null} sortKey lower is better; null: no best marked
   */
  const add = (key, label, text, sortKey) => {
    let best = /** @type {number[]} */ ([]);
    if (sortKey && offers.length > 1) {
      const keys = offers.map(sortKey);
      const min = keys.reduce((a, b) => (b < a ? b : a));
      best = keys.flatMap((k, i) => (k === min ? [i] : []));
      if (best.length === offers.length) best = [];
    }
    rows.push({ key, label, cells: offers.map(text), best });
  };
  const ppmOf = (/** @type {any} */ r) => BigInt(rateToPpm(r) ?? 0);
  add("loan", "Darlehen", (o) => money(o.loan), null);
  add("monthly", "Monatliche Rate", (o) => money(o.figures.monthlyPayment), null);
  add(
    "nominal",
    "Sollzins",
    (o) => ratePercent(o.interest.nominalRate),
    (o) => ppmOf(o.interest.nominalRate),
  );
  add(
    "effective",
    "Effektivzins",
    (o) => percentStringDe(o.interest.effectiveRatePercent),
    (o) => ppmOf(o.interest.effectiveRate),
  );
  add("initial", "Anfängliche Tilgung", (o) => ratePercent(o.repayment.initialRate), null);
  add("fixed", "Zinsbindung", (o) => `${o.interest.fixedYears} ${o.interest.fixedYears === 1 ? "Jahr" : "Jahre"}`, null);
  add(
    "remaining",
    "Restschuld nach Zinsbindung",
    (o) => money(o.figures.remainingDebtAtFixedEnd),
    (o) => BigInt(o.figures.remainingDebtAtFixedEnd.amount),
  );
  add(
    "term",
    "Laufzeit bis zur Tilgung",
    (o) => durationText(o.figures.numberOfPayments),
    (o) => BigInt(o.figures.numberOfPayments),
  );
  add(
    "fees",
    "Gebühren bei Auszahlung",
    (o) => money({ amount: o.fees.total, currency: o.loan.currency }),
    (o) => BigInt(o.fees.total),
  );
  add(
    "interestTotal",
    "Zinsen gesamt",
    (o) => money(o.figures.totalInterest),
    (o) => BigInt(o.figures.totalInterest.amount),
  );
  add(
    "total",
    "Gesamtkosten (Raten + Gebühren)",
    (o) => money(totalCost(o)),
    (o) => BigInt(totalCost(o).amount),
  );
  add("validUntil", "Gültig bis", (o) => String(o.validity.validUntil).slice(0, 10), null);
  return rows;
}

/**
 * Amortization plan rows grouped per year of the loan (months 1–12 = year 1): sums of payment,
 * interest and principal, the balance after the year's last payment.
 * @param {{month: number, payment: number, interest: number, principal: number, balance: number}[]} rows
 * @returns {{year: number, months: number, payments: number, interest: number, principal: number, balance: number}[]}
 */
export function yearlySummary(rows) {
  /** @type {{year: number, months: number, payments: number, interest: number, principal: number, balance: number}[]} */
  const years = [];
  for (const r of rows) {
    const year = Math.ceil(r.month / 12);
    let y = years[years.length - 1];
    if (!y || y.year !== year) {
      y = { year, months: 0, payments: 0, interest: 0, principal: 0, balance: r.balance };
      years.push(y);
    }
    // Integers of minor units: every sum stays far below 2^53 (the plan's bounds), so it is exact.
    y.months += 1;
    y.payments += r.payment;
    y.interest += r.interest;
    y.principal += r.principal;
    y.balance = r.balance;
  }
  return years;
}

/**
 * The first `head` and last `tail` rows of a plan, and how many lie between (a plan can have
 * 1 200 rows; the page shows this excerpt and the yearly summary).
 * @template T
 * @param {T[]} rows
 * @param {number} [head]
 * @param {number} [tail]
 * @returns {{head: T[], tail: T[], hidden: number}}
 */
export function planExcerpt(rows, head = 12, tail = 3) {
  if (rows.length <= head + tail) return { head: rows.slice(), tail: [], hidden: 0 };
  return { head: rows.slice(0, head), tail: rows.slice(rows.length - tail), hidden: rows.length - head - tail };
}

/**
 * The contract actions a person may take, so the page never offers a button that can only be
 * refused: signatures of borrower and lender on a draft, the notary's on a contract waiting for
 * it (a notary who is no party, and the named one if any), cancel and naming a notary for the
 * parties while unsigned, tranches for the lender of a signed contract.
 * @param {{status: string, borrowerUid: string, lenderId: string, notaryUid: string | null, signedByBorrower: boolean, signedByLender: boolean}} c
 * @param {string} uid
 * @param {readonly string[]} roles
 * @returns {("signed-by-borrower" | "signed-by-lender" | "signed-by-notary" | "assign-notary" | "cancel" | "issue-tranche")[]}
 */
export function contractActions(c, uid, roles) {
  /** @type {("signed-by-borrower" | "signed-by-lender" | "signed-by-notary" | "assign-notary" | "cancel" | "issue-tranche")[]} */
  const out = [];
  const isBorrower = c.borrowerUid === uid;
  const isLender = c.lenderId === uid;
  const open = c.status === "draft" || c.status === "pending-notary";
  if (isBorrower && c.status === "draft" && !c.signedByBorrower) out.push("signed-by-borrower");
  if (isLender && c.status === "draft" && !c.signedByLender && roles.includes("lender")) out.push("signed-by-lender");
  if (
    c.status === "pending-notary" &&
    roles.includes("notary") &&
    !isBorrower &&
    !isLender &&
    (c.notaryUid === null || c.notaryUid === uid)
  )
    out.push("signed-by-notary");
  if ((isBorrower || isLender) && open && c.notaryUid === null) out.push("assign-notary");
  if ((isBorrower || isLender) && open) out.push("cancel");
  if (isLender && c.status === "signed" && roles.includes("lender")) out.push("issue-tranche");
  return out;
}

/** German labels of the deal statuses (applications, offers, contracts, tranches, transfers). */
export const STATUS_DE = Object.freeze({
  open: "offen",
  offered: "angeboten",
  accepted: "angenommen",
  withdrawn: "zurückgezogen",
  declined: "abgelehnt",
  expired: "abgelaufen",
  draft: "Entwurf",
  "pending-notary": "wartet auf Notar",
  signed: "unterschrieben",
  cancelled: "storniert",
  subscribed: "gezeichnet",
  logged: "erfasst",
  settled: "abgeschlossen",
  failed: "fehlgeschlagen",
});

/**
 * A status in German (the code itself when unknown).
 * @param {string} status
 */
export const statusDe = (status) => /** @type {Record<string, string>} */ (STATUS_DE)[status] ?? status;

/** German labels of the per-post outcomes of a manifest submission. */
export const SYNC_LABELS = Object.freeze({
  created: "neu angelegt",
  updated: "aktualisiert",
  unchanged: "unverändert",
  conflict: "Konflikt",
  invalid: "ungültig",
});

/**
 * One line per submitted post: its label and, for a conflict or an invalid post, the reason.
 * @param {{index: number, clientId: string | null, status: string, version?: number, baseVersion?: number, errors?: string[]}} r
 * @returns {{label: string, reason: string}}
 */
export function syncResultText(r) {
  const label = /** @type {Record<string, string>} */ (SYNC_LABELS)[r.status] ?? r.status;
  let reason = "";
  if (r.status === "conflict") {
    reason =
      r.baseVersion === undefined
        ? `Der Server hat eine neuere Fassung (Version ${r.version ?? "?"}); nichts überschrieben.`
        : `Der Server hat Version ${r.version ?? "?"}, deine Fassung beruht auf Version ${r.baseVersion}; nichts überschrieben.`;
  } else if (r.status === "invalid") {
    reason = (r.errors ?? []).join("; ") || "ungültiger Beitrag";
  } else if (r.version !== undefined) {
    reason = `Version ${r.version}`;
  }
  return { label, reason };
}

/**
 * How many posts ended in each outcome, in a fixed order, e.g. "2 neu angelegt, 1 Konflikt".
 * @param {{status: string}[]} results
 */
export function syncSummary(results) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const parts = Object.entries(SYNC_LABELS)
    .filter(([k]) => counts[k])
    .map(([k, label]) => `${counts[k]} ${label}`);
  return parts.length ? parts.join(", ") : "keine Beiträge";
}

/**
 * Reads an offline export file's text: `{source, version, posts: [...]}`. The posts themselves
 * are judged by the server (a bad post only marks that post invalid); here only the envelope is
 * checked so a wrong file gets a clear message before anything is sent.
 * @param {string} text
 * @returns {{ok: true, value: {source: string, version: number, posts: unknown[]}} | {ok: false, error: string}}
 */
export function parseExport(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: "Die Datei ist kein JSON." };
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    return { ok: false, error: "Die Datei ist kein Manifest-Export ({source, version, posts})." };
  }
  if (typeof data.source !== "string" || data.source.length === 0 || data.source.length > 100) {
    return { ok: false, error: "Im Export fehlt die Quelle (source, 1–100 Zeichen)." };
  }
  if (!Number.isSafeInteger(data.version) || data.version < 1) {
    return { ok: false, error: "Im Export fehlt die Version (version, eine ganze Zahl ab 1)." };
  }
  if (!Array.isArray(data.posts)) return { ok: false, error: "Im Export fehlt die Liste der Beiträge (posts)." };
  if (data.posts.length > 100) {
    return { ok: false, error: `Der Export hat ${data.posts.length} Beiträge; höchstens 100 pro Übertragung.` };
  }
  return { ok: true, value: { source: data.source, version: data.version, posts: data.posts } };
}

/**
 * A crypto amount as a person typed it, checked by the API's own rule (a plain decimal: no sign,
 * exponent, leading zeros or bare point) and returned trimmed; null otherwise. It stays a string:
 * parsing it into a number would lose digits.
 * @param {string} text
 * @returns {string | null}
 */
export function cryptoAmountInput(text) {
  const t = text.trim();
  return /^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(t) && t.length <= 80 ? t : null;
}

/**
 * Bytes → lower-case hex (a SHA-256 digest from `crypto.subtle.digest`).
 * @param {ArrayBuffer | Uint8Array} bytes
 */
export function toHex(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares a digest computed in the browser with the stored one.
 * @param {string} computedHex
 * @param {string} storedHex
 * @returns {{ok: boolean, text: string}}
 */
export function hashVerdict(computedHex, storedHex) {
  const ok = /^[0-9a-f]{64}$/i.test(storedHex) && computedHex.toLowerCase() === storedHex.toLowerCase();
  return ok
    ? { ok, text: "Prüfsumme stimmt" }
    : {
        ok,
        text: `Prüfsumme stimmt NICHT: berechnet ${computedHex}, gespeichert ${storedHex}. Die Datei nicht verwenden.`,
      };
}

/**
 * A byte count in German units (integer arithmetic, one decimal): "980 B", "1,5 KB", "20,0 MB".
 * @param {number} n
 */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let div = 1024;
  let i = 0;
  while (i < units.length - 1 && n >= div * 1024) {
    div *= 1024;
    i++;
  }
  const tenths = Math.floor((n * 10) / div);
  return `${Math.floor(tenths / 10)},${tenths % 10} ${units[i]}`;
}

/**
 * The idempotency operation name of a write whose content is the form's (a new property, an
 * application, an offer …): the same content gives the same name, so a reload and a resubmit of
 * the same form reuses the saved key and the write happens once, while changed content is a new
 * operation. The name carries a 64-bit FNV-1a hash of the JSON instead of the JSON itself.
 * @param {string} prefix
 * @param {unknown} value
 */
export function opName(prefix, value) {
  const text = JSON.stringify(value) ?? "";
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return `${prefix}:${h1.toString(16).padStart(8, "0")}${h2.toString(16).padStart(8, "0")}`;
}
