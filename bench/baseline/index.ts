/**
 * Baseline Worker of `npm run bench`: the floor a D1-backed route can reach on the same local
 * stack (workerd + miniflare D1), with exactly ONE D1 statement per request and no framework.
 *
 * - `POST /insert` `{key, slot}`: one `INSERT` of a 14-column row (the width of a `voucher_bookings`
 *   row) into `bench_rows` (primary key + one secondary index); answers `{ok:true, id}`.
 * - `GET /select?key=…`: one `SELECT slot_start … WHERE key = ? ORDER BY slot_start` served by the
 *   index `(key, slot_start)`; for `select-key` that is 1,000 rows; answers `{ok:true, items:[…]}`.
 * - `GET /select-items?key=…`: the same SELECT, answered in the item shape of
 *   `GET /api/slots/available` (`{slotId, voucherId, start, end}` with ISO instants, ~148 KB for
 *   1,000 rows instead of ~14 KB): what the same data costs in the app's wire format. Not part of
 *   the ratios; bench/runtime-profile.ts measures it to split the slots gap into work and format.
 * - `PUT /r2put?key=…`: the request body streamed into the R2 bucket `BUCKET` with one `put` (the
 *   body's length is known from its Content-Length, which R2 needs for a stream); answers
 *   `{ok:true, key, size}`. The floor of the legal hub's upload.
 *
 * The table and the 1,000 rows are created by `schema.sql` before the Worker starts.
 */

interface BaselineEnv {
  DB: D1Database;
  BUCKET: R2Bucket;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const HOUR = 3_600_000;

async function insert(req: Request, env: BaselineEnv): Promise<Response> {
  const body = (await req.json()) as { key?: unknown; slot?: unknown };
  const key = typeof body.key === "string" ? body.key : "insert-key";
  const slot = typeof body.slot === "number" ? body.slot : 0;
  const now = Date.now();
  const id = `ins-${crypto.randomUUID()}`;
  const start = 1893456000000 + slot * HOUR;
  await env.DB.prepare(
    `INSERT INTO bench_rows (id, key, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason, origin_id, from_id, to_id, created_at, cancelled_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'booked', NULL, ?1, NULL, NULL, ?7, NULL, ?7)`,
  )
    .bind(id, key, "benchIssuerUid000000001", "benchHolderUid000000001", start, start + HOUR, now)
    .run();
  return new Response(JSON.stringify({ ok: true, id }), { headers: JSON_HEADERS });
}

async function select(url: URL, env: BaselineEnv): Promise<Response> {
  const key = url.searchParams.get("key") ?? "select-key";
  const { results } = await env.DB.prepare("SELECT slot_start FROM bench_rows WHERE key = ?1 ORDER BY slot_start")
    .bind(key)
    .all<{ slot_start: number }>();
  return new Response(JSON.stringify({ ok: true, items: results.map((r) => r.slot_start) }), { headers: JSON_HEADERS });
}

async function selectItems(url: URL, env: BaselineEnv): Promise<Response> {
  const key = url.searchParams.get("key") ?? "select-key";
  const { results } = await env.DB.prepare("SELECT slot_start FROM bench_rows WHERE key = ?1 ORDER BY slot_start")
    .bind(key)
    .all<{ slot_start: number }>();
  const items = results.map((r) => {
    const start = new Date(r.slot_start).toISOString();
    return { slotId: `slot-${start}`, voucherId: key, start, end: new Date(r.slot_start + HOUR).toISOString() };
  });
  return new Response(JSON.stringify({ ok: true, items, nextSlotId: null }), { headers: JSON_HEADERS });
}

async function r2put(req: Request, url: URL, env: BaselineEnv): Promise<Response> {
  const key = url.searchParams.get("key") ?? `r2put-${crypto.randomUUID()}`;
  if (!req.body || req.headers.get("content-length") === null) {
    return new Response(JSON.stringify({ ok: false, error: "a body with Content-Length is required" }), {
      status: 411,
      headers: JSON_HEADERS,
    });
  }
  const object = await env.BUCKET.put(key, req.body);
  return new Response(JSON.stringify({ ok: true, key, size: object?.size ?? 0 }), { headers: JSON_HEADERS });
}

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/insert") return insert(req, env);
    if (req.method === "GET" && url.pathname === "/select") return select(url, env);
    if (req.method === "GET" && url.pathname === "/select-items") return selectItems(url, env);
    if (req.method === "PUT" && url.pathname === "/r2put") return r2put(req, url, env);
    return new Response(JSON.stringify({ ok: false, error: "not found" }), { status: 404, headers: JSON_HEADERS });
  },
} satisfies ExportedHandler<BaselineEnv>;
