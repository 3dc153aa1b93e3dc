/**
 * Hostile input on EVERY route of the registry (`allRoutes`), so a new route is covered the day
 * it is registered: malformed / non-object / non-UTF-8 / oversized bodies, wrong types and
 * injection strings in every declared field and query parameter, unknown fields, wrong methods.
 *
 * The expected answer is derived from the route's own zod schema: whatever the schema refuses
 * must be exactly `400 validation_failed`; whatever it accepts may succeed or be refused by the
 * handler, but never with a 5xx. Every refusal is `{ok:false, error, code}` and leaves every
 * table exactly as it was (no partial rows); at the end every table still exists.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { allRoutes, app } from "../../src/app";
import type { AnyRoute } from "../../src/http/route";
import { toBase64Url } from "../../src/core/crypto";
import { thinkerIdentity } from "../../src/identity/thinker";
import { checkContract, issueVoucher, json, login, newUid, signedLink, slotAt, testEnv } from "../support/client";

type Who = { uid: string; session: string };
type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
};

const HOUR = 3_600_000;
const RAW = "__raw_json_number__";

// ── hostile values ──────────────────────────────────────────────────────────────────────────

const INJECTION_STRINGS: string[] = [
  "'; DROP TABLE vouchers; --",
  "' OR '1'='1",
  '" OR 1=1 --',
  "1; DELETE FROM voucher_bookings",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\u202Eevil",
  "🙂🙂🙂",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally.
  "${7*7}{{7*7}}",
  "%00%27%22",
  "",
  " ",
  "x".repeat(5_000),
  "y".repeat(20_000),
  "NaN",
  "Infinity",
  "-Infinity",
  "1e999",
  "-1",
  "0.5",
  "9007199254740993",
  "0x1F",
  "null",
  "true",
  "[]",
  "{}",
];

/** JSON numbers that JSON.stringify cannot write (spliced into the text raw). */
const RAW_NUMBERS = ["1e999", "-1e999", "1e308", "-0", "123456789012345678901234567890"];

const WRONG_TYPES: unknown[] = [
  0,
  -1,
  1.5,
  -0.01,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  null,
  [],
  [1, 2],
  {},
  { a: 1 },
  "string",
];

const BODY_TEXTS: string[] = [
  "",
  "   ",
  "{",
  "}",
  "{'single':'quotes'}",
  '{"a":}',
  '{"a":1,}',
  "{}garbage",
  "[]",
  "[{}]",
  "[1,2,3]",
  '"just a string"',
  "null",
  "true",
  "123",
  "-1e999",
  "NaN",
  "undefined",
  "\u0000",
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  `${"[".repeat(5_000)}${"]".repeat(5_000)}`,
  `{"a":${'{"a":'.repeat(2_000)}1${"}".repeat(2_000)}}`,
];

const QUERY_VALUES: string[] = [
  ...INJECTION_STRINGS.filter((s) => s.length < 6_000),
  "-5",
  "1.5",
  "99999999999999999999",
  "100000",
  "0",
  "1e3",
  " 1",
  "2030-13-45T99:99:99Z",
  "9999-12-31T23:59:59.999Z",
  "0000-01-01T00:00:00Z",
  rawCursor('[1e400,"x"]'),
  rawCursor('[-1e400,"x"]'),
  cursorOf([-1, ""]),
  cursorOf([1.5, "\u0000"]),
  cursorOf(["now", 1]),
  cursorOf({ a: 1 }),
  "!!!not-base64!!!",
];

function cursorOf(v: unknown): string {
  return rawCursor(JSON.stringify(v));
}

function rawCursor(text: string): string {
  return toBase64Url(new TextEncoder().encode(text));
}

// ── fixtures ────────────────────────────────────────────────────────────────────────────────

let me: Who;
let other: Who;
let meThinkerId: string;
let fx: { voucherId: string; ownVoucherId: string; bookingId: string; validFrom: number };
let slotCounter = 10;
let tablesBefore: string[] = [];

beforeAll(async () => {
  me = await login();
  other = await login();
  meThinkerId = (await thinkerIdentity(me.uid, testEnv.IDENTITY_HASH_KEY)).thinkerId;
  const theirs = await issueVoucher(other, {}, 24 * 30);
  const mine = await issueVoucher(me, { holderUid: me.uid }, 24 * 30);
  const booked = await json("/api/voucher/book", {
    session: me.session,
    body: { voucherId: theirs.voucher.voucherId, slotId: slotAt(theirs.validFrom, 1), holderUid: me.uid },
  });
  expect(booked.status).toBe(200);
  fx = {
    voucherId: theirs.voucher.voucherId,
    ownVoucherId: mine.voucher.voucherId,
    bookingId: booked.body.booking.bookingId,
    validFrom: theirs.validFrom,
  };
  tablesBefore = await schemaObjects();
});

/** A valid-looking body per known route; other (new) routes get one synthesised from their schema. */
async function baselineBody(route: AnyRoute): Promise<Record<string, unknown>> {
  const slot = () => slotAt(fx.validFrom, slotCounter++);
  switch (route.id) {
    case "presence.verify":
      return { ...(await signedLink(newUid())) };
    case "presence.heartbeat":
      return { thinker_id: meThinkerId, pair_code: "hostile-baseline", status: "online" };
    case "presence.match":
      return { thinker_id: meThinkerId, pair_code: "hostile-baseline" };
    case "voucher.issue":
      return {
        issuerUid: me.uid,
        title: "hostile baseline",
        validFrom: new Date(fx.validFrom).toISOString(),
        validUntil: new Date(fx.validFrom + 24 * HOUR).toISOString(),
        price: { amount: 1000, currency: "EUR" },
      };
    case "voucher.book":
      return { voucherId: fx.voucherId, slotId: slot(), holderUid: me.uid };
    case "voucher.cancel":
      return { bookingId: fx.bookingId, reason: "hostile" };
    case "voucher.reschedule":
      return { bookingId: fx.bookingId, slotId: slot() };
    case "voucher.redeem":
      return { voucherId: fx.ownVoucherId };
    case "voucher.transfer":
      return { voucherId: fx.ownVoucherId, toUid: other.uid };
    default:
      return synthesise(schemaOf(route.body));
  }
}

/** Required fields of a schema filled with plausible values, guessed from their names and types. */
function synthesise(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const prop = schema.properties?.[name] ?? {};
    const type = typeOf(prop);
    if (/uid$/i.test(name)) out[name] = me.uid;
    else if (/voucherid$/i.test(name)) out[name] = fx.voucherId;
    else if (/bookingid$/i.test(name)) out[name] = fx.bookingId;
    else if (/slotid$/i.test(name)) out[name] = slotAt(fx.validFrom, slotCounter++);
    else if (type === "object") out[name] = synthesise(prop);
    else if (type === "integer" || type === "number") out[name] = 1;
    else if (type === "boolean") out[name] = true;
    else out[name] = "x";
  }
  return out;
}

function baselineQuery(route: AnyRoute): Record<string, string> {
  if (route.id === "slots.available") return { voucherId: fx.voucherId };
  const out: Record<string, string> = {};
  const schema = schemaOf(route.query);
  for (const name of schema.required ?? []) {
    if (/uid$/i.test(name)) out[name] = me.uid;
    else if (/voucherid$/i.test(name)) out[name] = fx.voucherId;
    else if (/bookingid$/i.test(name)) out[name] = fx.bookingId;
    else out[name] = "x";
  }
  return out;
}

function schemaOf(s: z.ZodType | undefined): JsonSchema {
  const json = s ? (z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema) : {};
  // A body that is one object or an array of them (telemetry) is probed through its object form.
  return json.properties ? json : (json.anyOf?.find((alt) => alt.properties) ?? json);
}

function typeOf(s: JsonSchema): string | undefined {
  if (typeof s.type === "string") return s.type;
  if (Array.isArray(s.type)) return s.type.find((t) => t !== "null");
  for (const alt of s.anyOf ?? []) {
    const t = typeOf(alt);
    if (t && t !== "null") return t;
  }
  return undefined;
}

/** Dotted paths of every declared body field, nested objects included (`price`, `price.amount`). */
function fieldPaths(schema: JsonSchema, prefix = ""): string[] {
  const paths: string[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    paths.push(path);
    const objectSchema = prop.properties ? prop : prop.anyOf?.find((a) => a.properties);
    if (objectSchema) paths.push(...fieldPaths(objectSchema, path));
  }
  return paths;
}

function withValue(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  const keys = path.split(".");
  let cur: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    cur[k] = next && typeof next === "object" && !Array.isArray(next) ? next : {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = keys.at(-1) ?? path;
  // Own property even for "__proto__"-like names.
  Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

// ── probing ─────────────────────────────────────────────────────────────────────────────────

let snapshotQuery: { tables: string[]; stmts: D1PreparedStatement[] } | null = null;

/** Row count (and sum of `updated_at` where present) of every table but the rate-limit counters. */
async function snapshot(): Promise<Record<string, string>> {
  if (!snapshotQuery) {
    const tables = (
      await testEnv.DB.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT IN ('d1_migrations', 'rate_limits') ORDER BY name",
      ).all<{ name: string }>()
    ).results.map((r) => r.name);
    const stmts: D1PreparedStatement[] = [];
    for (const t of tables) {
      const cols = (await testEnv.DB.prepare(`SELECT name FROM pragma_table_info('${t}')`).all<{ name: string }>()).results;
      const updated = cols.some((c) => c.name === "updated_at") ? "total(updated_at)" : "0";
      stmts.push(testEnv.DB.prepare(`SELECT count(*) || ':' || ${updated} AS v FROM "${t}"`));
    }
    snapshotQuery = { tables, stmts };
  }
  const { tables, stmts } = snapshotQuery;
  const results = await testEnv.DB.batch<{ v: string }>(stmts);
  return Object.fromEntries(tables.map((t, i) => [t, results[i]?.results[0]?.v ?? "?"]));
}

async function schemaObjects(): Promise<string[]> {
  const rows = await testEnv.DB.prepare(
    "SELECT type || ':' || name AS o FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY o",
  ).all<{ o: string }>();
  return rows.results.map((r) => r.o);
}

interface Expectation {
  /** Exact status and code when the outcome is known (schema refusal, 413, …). */
  status?: number;
  code?: string;
}

interface Outcome {
  status: number;
  body: Record<string, unknown> | null;
}

/**
 * Sends one request and checks the invariants: never 5xx, JSON error shape on 4xx, no table
 * changed by a refused request.
 */
async function probe(
  label: string,
  route: AnyRoute,
  init: { method?: string; search?: string; body?: BodyInit; headers?: Record<string, string> },
  want: Expectation = {},
): Promise<Outcome> {
  // What a JSON client sends; the login refuses any other content type before reading the body.
  const json: Record<string, string> = init.body === undefined ? {} : { "content-type": "application/json" };
  const headers: Record<string, string> = { authorization: await bearerFor(route), ...json, ...init.headers };
  const before = await snapshot();
  const method = init.method ?? route.method;
  const res = await app.request(
    `http://localhost${route.path}${init.search ?? ""}`,
    { method, headers, body: init.body },
    testEnv,
  );
  // Hostile input gets only answers the OpenAPI document declares (status, envelope, code).
  await checkContract(method, `${route.path}${init.search ?? ""}`, res);
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  const ctx = `${route.method} ${route.path} — ${label}`;
  expect(res.status, `${ctx}: 5xx ${text.slice(0, 300)}`).toBeLessThan(500);
  if (want.status !== undefined) {
    expect({ ctx, status: res.status, code: safeJson(text)?.code }, text.slice(0, 300)).toEqual({
      ctx,
      status: want.status,
      code: want.code,
    });
  }
  if (res.status >= 400) {
    expect(type, ctx).toMatch(/^application\/json/);
    const body = safeJson(text);
    expect(body, `${ctx}: ${text.slice(0, 200)}`).toMatchObject({
      ok: false,
      error: expect.any(String),
      code: expect.any(String),
    });
    expect(await snapshot(), `${ctx}: a refused request changed a table`).toEqual(before);
    return { status: res.status, body };
  }
  // Success bodies that are documents, not JSON: the docs page, the settlements CSV export.
  if (type.startsWith("text/html") || type.startsWith("text/csv")) return { status: res.status, body: null };
  expect(type, ctx).toMatch(/^application\/json/);
  const body = safeJson(text);
  if (body && "ok" in body) expect(body.ok, `${ctx}: ${text.slice(0, 200)}`).toBe(true);
  return { status: res.status, body };
}

/**
 * The credential a route accepts: the admin token for admin routes (otherwise every probe would
 * stop at 401 before validation), the user session for all others.
 */
/** The admin token, or a session: a fresh one for logout (which ends the session it is sent with). */
async function bearerFor(route: AnyRoute): Promise<string> {
  if (route.auth === "admin") return `Bearer ${testEnv.ADMIN_TOKEN}`;
  return `Bearer ${route.id === "presence.logout" ? (await login()).session : me.session}`;
}

function safeJson(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** What the route's own schema says about a body text: refused → 400 with a known code. */
function bodyExpectation(route: AnyRoute, text: string): Expectation {
  let value: unknown;
  if (text.trim() === "") value = {};
  else {
    try {
      value = JSON.parse(text);
    } catch {
      return { status: 400, code: "invalid_json" };
    }
  }
  // Well-formed JSON.stringify escapes exactly the lone surrogates as \udXXX.
  if (/\\ud[89a-f][0-9a-f]{2}/.test(JSON.stringify(value) ?? "")) {
    return { status: 400, code: "invalid_encoding" };
  }
  return route.body?.safeParse(value).success ? {} : { status: 400, code: "validation_failed" };
}

function queryExpectation(route: AnyRoute, params: URLSearchParams): Expectation {
  if (!route.query) return {};
  return route.query.safeParse(Object.fromEntries(params)).success ? {} : { status: 400, code: "validation_failed" };
}

/** JSON text of `body`, with RAW placeholders replaced by raw number literals. */
function bodyText(body: unknown, raw?: string): string {
  const text = JSON.stringify(body);
  return raw === undefined ? text : text.replace(`"${RAW}"`, raw);
}

async function probeBody(route: AnyRoute, label: string, text: string) {
  return probe(label, route, { body: text, headers: { "content-type": "application/json" } }, bodyExpectation(route, text));
}

// ── the tests, per route ────────────────────────────────────────────────────────────────────

const ALLOWED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

describe.each(allRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))("%s", (_name, route) => {
  if (route.body) {
    it("malformed JSON and non-object bodies → 4xx JSON", async () => {
      for (const text of BODY_TEXTS) await probeBody(route, `body ${JSON.stringify(text.slice(0, 30))}`, text);
    });

    it("wrong types in every declared field → 400 when the schema refuses them", async () => {
      const paths = fieldPaths(schemaOf(route.body));
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths) {
        for (const value of WRONG_TYPES) {
          const text = bodyText(withValue(await baselineBody(route), path, value));
          await probeBody(route, `${path}=${JSON.stringify(value)}`, text);
        }
        for (const raw of RAW_NUMBERS) {
          const text = bodyText(withValue(await baselineBody(route), path, RAW), raw);
          await probeBody(route, `${path}=${raw} (raw)`, text);
        }
      }
    });

    it("injection strings in every declared field → never 5xx, refusals leave no rows", async () => {
      for (const path of fieldPaths(schemaOf(route.body))) {
        for (const s of INJECTION_STRINGS) {
          const text = bodyText(withValue(await baselineBody(route), path, s));
          await probeBody(route, `${path}=${JSON.stringify(s.slice(0, 30))}`, text);
        }
      }
    });

    it("unknown fields → 400 validation_failed", async () => {
      for (const extra of ["unknownField", "status", "__proto__", "constructor", "'; DROP TABLE vouchers; --", ""]) {
        if (fieldPaths(schemaOf(route.body)).includes(extra)) continue;
        const text = bodyText(withValue(await baselineBody(route), extra, "x"));
        await probe(`unknown field ${JSON.stringify(extra)}`, route, { body: text }, { status: 400, code: "validation_failed" });
      }
    });

    it("1 MB bodies → 413 body_too_large, also with a lying or missing Content-Length", async () => {
      const big = JSON.stringify({ ...(await baselineBody(route)), padding: "p".repeat(1024 * 1024) });
      const want = { status: 413, code: "body_too_large" };
      await probe("1 MB", route, { body: big }, want);
      await probe("1 MB, Content-Length: 10", route, { body: big, headers: { "content-length": "10" } }, want);
      await probe("1 MB, Content-Length: 0", route, { body: big, headers: { "content-length": "0" } }, want);
      await probe("1 MB, Content-Length: -1", route, { body: big, headers: { "content-length": "-1" } }, want);
      const bytes = new TextEncoder().encode(big);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 16_384) c.enqueue(bytes.slice(i, i + 16_384));
          c.close();
        },
      });
      await probe("1 MB stream without Content-Length", route, { body: stream }, want);
      // Well above the 32 KB cap but far from 1 MB is refused too.
      const near = JSON.stringify({ p: "q".repeat(40_000) });
      await probe("40 KB", route, { body: near }, want);
    });

    it("non-UTF-8 bytes → 400 invalid_encoding", async () => {
      const enc = new TextEncoder();
      const samples: Array<[string, number[]]> = [
        ["0xFF 0xFE", [0xff, 0xfe]],
        ["overlong /", [0xc0, 0xaf]],
        ["lone continuation", [0x80]],
        ["encoded surrogate", [0xed, 0xa0, 0x80]],
        ["truncated sequence", [0xe2, 0x82]],
        ["latin-1 é", [0xe9]],
      ];
      for (const [label, bad] of samples) {
        const body = new Uint8Array([...enc.encode('{"x":"'), ...bad, ...enc.encode('"}')]);
        await probe(`non-UTF-8 ${label}`, route, { body }, { status: 400, code: "invalid_encoding" });
      }
    });
  }

  // A query schema without parameters (`/ws`) still refuses unknown ones, tested below.
  if (route.query && Object.keys(schemaOf(route.query).properties ?? {}).length > 0) {
    it("hostile values in every query parameter → 400 when the schema refuses them", async () => {
      const names = Object.keys(schemaOf(route.query).properties ?? {});
      for (const name of names) {
        for (const value of QUERY_VALUES) {
          const params = new URLSearchParams({ ...baselineQuery(route), [name]: value });
          await probe(
            `?${name}=${JSON.stringify(value.slice(0, 30))}`,
            route,
            { search: `?${params}` },
            queryExpectation(route, params),
          );
        }
      }
    });
  }

  if (route.query) {
    it("unknown and missing query parameters → 400", async () => {
      const params = new URLSearchParams({ ...baselineQuery(route), unknownParam: "1" });
      await probe("unknown parameter", route, { search: `?${params}` }, { status: 400, code: "validation_failed" });
      const required = schemaOf(route.query).required ?? [];
      for (const name of required) {
        const p = new URLSearchParams(baselineQuery(route));
        p.delete(name);
        await probe(`missing ${name}`, route, { search: `?${p}` }, { status: 400, code: "validation_failed" });
      }
    });
  }

  it("junk in the URL query and headers → never 5xx", async () => {
    const base = route.query ? baselineQuery(route) : {};
    const junk = `?${new URLSearchParams(base)}&${encodeURIComponent("'; DROP TABLE vouchers; --")}=1&%00=%00&a[]=1&a[]=2&x=%E0%A4%A`;
    const body = route.method === "POST" ? JSON.stringify(await baselineBody(route)) : undefined;
    await probe("junk query", route, { search: junk, body });
    await probe("junk headers", route, {
      body: route.method === "POST" ? JSON.stringify(await baselineBody(route)) : undefined,
      search: route.query ? `?${new URLSearchParams(base)}` : "",
      headers: {
        authorization: "Bearer '; DROP TABLE vouchers; --",
        cookie: "ts_session=<script>; ts_session=../../etc/passwd",
        "x-mot-user": "../../etc/passwd",
        "x-request-id": "'; DROP TABLE events; --",
        "cf-connecting-ip": "'; DROP TABLE rate_limits; --",
        "content-type": "text/plain",
      },
    });
  });

  it("a wrong method → 405 method_not_allowed with Allow", async () => {
    // Every method the path serves (PUT and DELETE of one resource share it) is named in Allow.
    const served = allRoutes.filter((r) => r.path === route.path).map((r) => r.method as string);
    const wrong = ALLOWED_METHODS.filter((m) => !served.includes(m) && !(served.includes("GET") && m === "HEAD"));
    for (const method of wrong) {
      const hasBody = method !== "GET";
      const authorization = await bearerFor(route);
      const before = await snapshot();
      const res = await app.request(
        `http://localhost${route.path}`,
        {
          method,
          headers: { authorization },
          body: hasBody ? JSON.stringify(await baselineBody(route)) : undefined,
        },
        testEnv,
      );
      expect({ method, status: res.status }).toEqual({ method, status: 405 });
      await checkContract(method, route.path, res);
      expect(res.headers.get("allow")).toBe(served.join(", "));
      expect(await res.json()).toMatchObject({ ok: false, code: "method_not_allowed", error: expect.any(String) });
      expect(await snapshot()).toEqual(before);
    }
  });
});

describe("values that pass validation are stored verbatim (parameterised SQL)", () => {
  it("injection strings as voucher title / description / terms round-trip exactly", async () => {
    // Ill-formed UTF-16 (a lone surrogate) cannot be stored as UTF-8; it is checked for "no 5xx" above.
    const accepted = INJECTION_STRINGS.filter((s) => s.length >= 1 && s.length <= 200 && !/\p{Cs}/u.test(s));
    for (const s of accepted) {
      const r = await json("/api/voucher/issue", {
        session: me.session,
        body: { issuerUid: me.uid, title: s, description: s, terms: { note: s } },
      });
      expect(r.status, JSON.stringify(s)).toBe(200);
      const row = (
        await testEnv.DB.prepare("SELECT title, description, terms FROM vouchers WHERE id = ?")
          .bind(r.body.voucher.voucherId)
          .all<{ title: string; description: string; terms: string }>()
      ).results[0];
      // Compared as JSON text: a failure message must itself be valid UTF-8.
      const shown = JSON.stringify(s);
      expect(JSON.stringify(row?.title)).toBe(shown);
      expect(JSON.stringify(row?.description)).toBe(shown);
      expect(JSON.stringify(JSON.parse(row?.terms ?? "{}").note)).toBe(shown);
      expect(JSON.stringify(r.body.voucher.title)).toBe(shown);
    }
  });
});

describe("routing", () => {
  it("an unknown /api path → 404 JSON", async () => {
    for (const path of [
      "/api/nope",
      "/api/voucher/nope",
      "/api/voucher/issue/extra",
      "/api/presence/debug",
      "/api/VOUCHER/ISSUE",
      "/api/voucher/..%2F..%2Fetc%2Fpasswd",
      "/api/%00",
      `/api/${encodeURIComponent("'; DROP TABLE vouchers; --")}`,
    ]) {
      for (const method of ["GET", "POST"]) {
        const res = await app.request(`http://localhost${path}`, { method, body: method === "POST" ? "{}" : undefined }, testEnv);
        expect({ path, method, status: res.status }).toEqual({ path, method, status: 404 });
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        expect(await res.json()).toMatchObject({ ok: false, code: "not_found", error: expect.any(String) });
      }
    }
  });
});

describe("documentation", () => {
  it("GET /api/openapi.json lists every route with its method and request schema", async () => {
    const r = await json("/api/openapi.json");
    expect(r.status).toBe(200);
    const doc = r.body as { openapi: string; paths: Record<string, Record<string, any>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of allRoutes) {
      // The document writes path parameters the OpenAPI way: `:roomId` → `{roomId}`.
      const op = doc.paths[route.path.replace(/:(\w+)/g, "{$1}")]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op.operationId).toBe(route.id);
      if (route.body) {
        expect(op.requestBody?.content?.["application/json"]?.schema, route.id).toEqual(
          z.toJSONSchema(route.body, { io: "input", unrepresentable: "any" }),
        );
      } else {
        // No JSON body; a route that streams another kind (the legal hub's multipart upload) documents it as such.
        expect(op.requestBody?.content?.["application/json"], route.id).toBeUndefined();
      }
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; required: boolean }>;
      const querySchema = schemaOf(route.query);
      for (const name of Object.keys(querySchema.properties ?? {})) {
        const p = params.find((x) => x.in === "query" && x.name === name);
        expect(p, `${route.id} ?${name}`).toBeDefined();
        expect(p?.required).toBe(querySchema.required?.includes(name) ?? false);
      }
      if (route.method === "POST" && (route.idempotent ?? true)) {
        expect(
          params.some((x) => x.in === "header" && x.name === "Idempotency-Key"),
          route.id,
        ).toBe(true);
      }
    }
    // Nothing documented that is not served.
    const served = new Set(allRoutes.map((x) => `${x.method.toLowerCase()} ${x.path.replace(/:(\w+)/g, "{$1}")}`));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) expect(served.has(`${method} ${path}`), `${method} ${path}`).toBe(true);
    }
  });

  it("GET /api/docs returns an HTML page that loads the OpenAPI document", async () => {
    const res = await app.request("http://localhost/api/docs", {}, testEnv);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain("/api/openapi.json");
  });
});

describe("afterwards", () => {
  it("every table and index still exists, and the fixtures are intact", async () => {
    expect(await schemaObjects()).toEqual(tablesBefore);
    const voucher = await json(`/api/slots/available?voucherId=${fx.voucherId}`, { session: me.session });
    expect(voucher.status).toBe(200);
    const templates = await json("/api/voucher/templates");
    expect(templates.status).toBe(200);
    expect((templates.body.items as unknown[]).length).toBeGreaterThanOrEqual(5);
  });
});
