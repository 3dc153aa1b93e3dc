/**
 * Setup of the bench data, through the API where the API can do it (sessions, vouchers to book)
 * and through SQL where it cannot (the 1,000-booking history of the slots voucher).
 */
import { readFileSync } from "node:fs";
import { hmac, toHex } from "../../src/core/crypto";
import { DEMO_MOT } from "../../src/dev/vars";
import type { paths } from "../../public/api-types";

export const HOUR = 3_600_000;

/** A verified identity: its uid and a session token for `Authorization: Bearer`. */
export interface Identity {
  uid: string;
  session: string;
}

/** The values of `.dev.vars.example` (dotenv syntax, the same parser `src/dev/vars.ts` uses). */
export function exampleVars(path = ".dev.vars.example"): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (m?.[1]) vars[m[1]] = m[2] ?? "";
  }
  return vars;
}

/** API paths served with POST (types generated from the OpenAPI document: public/api-types.d.ts). */
export type PostPath = { [P in keyof paths]: paths[P] extends { post: object } ? P : never }[keyof paths];
type PostOperation<P extends PostPath> = paths[P]["post"];
/** The JSON body a POST takes (`undefined` for a route without one). */
export type PostBody<P extends PostPath> =
  PostOperation<P> extends { requestBody: { content: { "application/json": infer B } } } ? B : undefined;
/** The JSON answer of a successful POST. */
export type PostResult<P extends PostPath> =
  PostOperation<P> extends { responses: { 200: { content: { "application/json": infer R } } } } ? R : never;
/** The path parameters of a POST (`/api/rooms/{roomId}/ticket` → `{ roomId }`). */
export type PostParams<P extends PostPath> = PostOperation<P> extends { parameters: { path: infer A } } ? A : never;

/**
 * POSTs to an API path, typed by the generated API types: the body must be the route's request
 * body, the answer is its success body. Throws on a non-200 answer. With `retryLost`, a
 * connection lost before the answer (a keep-alive socket the server closed just as it was reused)
 * is retried: only for calls where a request that did arrive and is sent again does no harm (a
 * second voucher in a pool). No Idempotency-Key is sent: its extra round trip halved the setup's
 * issuing rate and ran the booking pool dry.
 */
export async function postJson<P extends PostPath>(
  base: string,
  path: P,
  req: { body?: PostBody<P>; params?: PostParams<P>; session?: string; retryLost?: boolean } = {},
): Promise<PostResult<P>> {
  const params = (req.params ?? {}) as Record<string, string>;
  const url = `${base}${path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""))}`;
  const headers: Record<string, string> = {};
  if (req.body !== undefined) headers["content-type"] = "application/json";
  if (req.session) headers.authorization = `Bearer ${req.session}`;
  const init = { method: "POST", headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) };
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      if (!req.retryLost || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST ${url} → ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as PostResult<P>;
  }
}

/** Verifies a freshly signed manifest link for `uid` (sig = HMAC-SHA256(secret, mot.uid.ts)). */
export async function login(base: string, uid: string, secret: string): Promise<Identity> {
  const ts = Date.now();
  const sig = toHex(await hmac(secret, `${DEMO_MOT}.${uid}.${ts}`));
  const body = await postJson(base, "/api/presence/verify", { body: { mot: DEMO_MOT, uid, ts, sig } });
  if (!("session" in body)) throw new Error("verify answered without a session (AUTH_MODE=compat's legacy answer?)");
  return { uid, session: body.session };
}

/** Grid of the booking vouchers: from the next full hour + 1 h, 48 hourly slots. */
export function bookingGrid(now: number): { validFrom: number; validUntil: number; slots: number } {
  const validFrom = Math.ceil(now / HOUR) * HOUR + HOUR;
  return { validFrom, validUntil: validFrom + 48 * HOUR, slots: 48 };
}

/** Issues vouchers (priced, so a booking also writes its fee event) until `max` or `budgetMs`. */
export async function issuePool(
  base: string,
  issuer: Identity,
  opts: { concurrency: number; budgetMs: number; max: number; now: number },
): Promise<{ ids: string[]; ms: number }> {
  const grid = bookingGrid(opts.now);
  const body: PostBody<"/api/voucher/issue"> = {
    issuerUid: issuer.uid,
    title: "Bench session",
    durationMinutes: 60,
    validFrom: new Date(grid.validFrom).toISOString(),
    validUntil: new Date(grid.validUntil).toISOString(),
    price: { amount: 5000, currency: "EUR" },
  };
  const ids: string[] = [];
  const started = Date.now();
  const deadline = started + opts.budgetMs;
  let issued = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (issued < opts.max && Date.now() < deadline) {
        issued++;
        const res = await postJson(base, "/api/voucher/issue", { body, session: issuer.session, retryLost: true });
        ids.push(res.voucher.voucherId);
      }
    }),
  );
  return { ids, ms: Date.now() - started };
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * SQL for the slots workload: voucher `voucherId` (issued, 1,100 hourly slots of 60 min, held by
 * `holderUid`) and 1,000 rows of booking history on it: chains of book → reschedule → reschedule →
 * reschedule → cancel (750 `rescheduled`, 250 `cancelled`), each row on its own grid slot. None is
 * `booked`: the unique partial index `ux_bookings_active_voucher` allows at most one active booking
 * per voucher, and the voucher stays `issued` so the route computes its free grid.
 */
export function slotsHistorySql(o: { voucherId: string; issuerUid: string; holderUid: string; now: number }): {
  sql: string;
  validFrom: number;
  gridSlots: number;
} {
  const validFrom = Math.ceil(o.now / HOUR) * HOUR + HOUR;
  const gridSlots = 1100;
  const validUntil = validFrom + gridSlots * HOUR;
  const created = o.now - 30 * 24 * HOUR;
  const lines = [
    `INSERT INTO vouchers (id, issuer_uid, holder_uid, template_id, service_type, title, description, duration_minutes, valid_from, valid_until, price_amount, price_currency, status, transferable, terms, created_at, updated_at)
     VALUES (${q(o.voucherId)}, ${q(o.issuerUid)}, ${q(o.holderUid)}, 'consulting.session', 'consulting.session', 'Bench slots voucher', '', 60, ${validFrom}, ${validUntil}, 5000, 'EUR', 'issued', 1, '{}', ${created}, ${created});`,
  ];
  const CHAIN = 4;
  const rows: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const chainStart = i - (i % CHAIN);
    const last = i % CHAIN === CHAIN - 1;
    const id = (k: number) => `b-bench-hist-${String(k).padStart(4, "0")}`;
    const start = validFrom + i * HOUR;
    const at = created + i * 60_000;
    rows.push(
      `(${q(id(i))}, ${q(o.voucherId)}, ${q(o.issuerUid)}, ${q(o.holderUid)}, ${start}, ${start + HOUR}, ${last ? "'cancelled'" : "'rescheduled'"}, ${last ? "'bench history'" : "NULL"}, ${q(id(chainStart))}, ${i % CHAIN === 0 ? "NULL" : q(id(i - 1))}, ${last ? "NULL" : q(id(i + 1))}, ${at}, ${last ? at + 30_000 : "NULL"}, ${at + 30_000})`,
    );
  }
  for (let i = 0; i < rows.length; i += 250) {
    lines.push(
      `INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason, origin_booking_id, rescheduled_from_id, rescheduled_to_id, created_at, cancelled_at, updated_at) VALUES\n${rows.slice(i, i + 250).join(",\n")};`,
    );
  }
  return { sql: lines.join("\n"), validFrom, gridSlots };
}
