/**
 * `POST /api/telemetry`: portal telemetry (page views, clicks) stored compactly, without making
 * telemetry a write amplifier — and without slowing bookings: a burst of telemetry must not take
 * D1's single writer away from the requests that move money.
 *
 * - **Batched per isolate, one row per caller.** An accepted request's items join the isolate's
 *   buffer ({@link TelemetryBuffer}, `./buffer.ts`) and the answer goes out at once; no D1 write
 *   happens in the request. The first item into an empty buffer schedules a flush
 *   {@link FLUSH_MS} later (in `waitUntil`); a buffer reaching its item or byte cap is flushed at
 *   once (also in `waitUntil`). One flush is ONE `INSERT … SELECT … FROM json_each(?)` statement
 *   with the waiting items as ONE JSON parameter (D1 caps bound parameters per statement, which a
 *   multi-row VALUES list would hit at twenty rows), writing one `telemetry_batches` row per
 *   caller that holds the caller's items as a JSON array. So a burst of N requests costs about
 *   one D1 transaction per second and isolate instead of N, and one row (plus its index entry)
 *   per caller and second instead of two per item: row writes are what the single writer spends
 *   its time on, and a booking's rows must not queue behind page views.
 * - **Best effort.** A flush that fails is logged (`telemetry flush failed`) and its items dropped;
 *   an isolate evicted with items waiting loses them. The loss window is at most one flush
 *   interval (or one cap's worth) of items per isolate. `stored` in the answer counts the items
 *   accepted into the batch, not items already written.
 * - **Without an execution context** (`app.request` in tests, no `waitUntil`), a request writes
 *   its own items itself, with the same statement, in its own commit: nothing would run after the
 *   answer.
 * - **Erasure stays airtight.** A verified caller's items are grouped by session (a session
 *   belongs to one life of its thinker row, `./buffer.ts`), and the flush inserts a `uid:` group
 *   only while that thinker row still exists un-erased and is not younger than the group's first
 *   item (erasure renames the row and marks it deleted; a later verify of the same uid creates a
 *   new one). Items buffered when their person is erased therefore never land; erasure deletes
 *   the rows that landed before it. Before a verified request's items join the buffer, the
 *   request's session check runs (`ctx.settle()`), so a logged-out or erased session is refused
 *   as before. Anonymous (`ip:`) groups have no such condition.
 * - No audit event. The original wrote one `telemetry.event` audit row per item, doubling every
 *   telemetry write and flooding the audit log (kept for months) with page views; the telemetry
 *   row is its own record and the sweep deletes it after a short retention.
 * - No idempotency record (a lost or repeated page view is harmless; a stored response would be a
 *   second write) and no D1 rate-limit counter: the limit of {@link TELEMETRY_PER_MIN} requests
 *   per minute and caller is counted in the isolate's memory (`IsolateWindow` of
 *   `src/http/read-limit.ts`), so a refused burst costs no D1 write at all.
 * - The caller is recorded as `uid:<uid>` only for a verified session; otherwise (anonymous, or a
 *   uid merely asserted under AUTH_MODE=compat) as a keyed hash of the client address, so the
 *   table holds no raw addresses. `actorUid` is accepted as an alias of the verified caller (403
 *   `uid_mismatch` if it names someone else) and ignored without a session.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import * as z from "zod";
import { identityHashKey } from "../core/config";
import { forbidden } from "../core/errors";
import { hmac, toHex } from "../core/crypto";
import type { Logger } from "../core/log";
import { type Db, createDb, errorText } from "../db/client";
import { telemetryBatches } from "../db/schema";
import { clientIp } from "../http/admin";
import { IsolateWindow } from "../http/read-limit";
import type { HandlerContext, HandlerResult } from "../http/route";
import { Uid } from "../identity/schemas";
import { type AddOutcome, TelemetryBuffer, type TelemetryRow, encodeRows } from "./buffer";

/** Requests per minute and caller (the original's limit). */
export const TELEMETRY_PER_MIN = 300;
/** Items per request (the portal flushes at 10). */
export const MAX_TELEMETRY_ITEMS = 50;
/** How long the first row into an empty buffer waits for others before the flush, ms. */
export const FLUSH_MS = 1_000;
/** Largest `meta` of one item, serialised. */
export const MAX_TELEMETRY_META_BYTES = 1_024;

/** One telemetry item as the portal sends it. */
export const TelemetryItem = z.strictObject({
  type: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
  path: z.string().max(512).nullable().optional(),
  actorUid: Uid.nullable().optional(),
  meta: z
    .record(z.string(), z.unknown())
    .refine((o) => JSON.stringify(o).length <= MAX_TELEMETRY_META_BYTES, {
      message: `must serialise to at most ${MAX_TELEMETRY_META_BYTES} bytes`,
    })
    .nullable()
    .optional(),
});

/** The body: one item or an array of them. */
export const TelemetryBody = z.union([TelemetryItem, z.array(TelemetryItem).min(1).max(MAX_TELEMETRY_ITEMS)]);

/** The telemetry limiter of this isolate. */
const window = new IsolateWindow();

/** The `caller_key` of a request: the verified uid, else a keyed hash of the client address. */
export async function telemetryCallerKey(ctx: Pick<HandlerContext<unknown, unknown>, "caller" | "verified" | "env" | "req">) {
  if (ctx.verified && ctx.caller) return `uid:${ctx.caller}`;
  const digest = await hmac(identityHashKey(ctx.env), `telemetry|${clientIp(ctx.req)}`);
  return `ip:${toHex(digest).slice(0, 32)}`;
}

/** The rows waiting in this isolate for their flush. */
const buffer = new TelemetryBuffer();

/**
 * The one statement writing `json` (`TakenBatch` of `./buffer.ts`): one table row per group, in
 * the order the groups arrived; columns seq (NULL: the next rowid), caller key, items, item count,
 * created. A `uid:` group is written only while its thinker row exists un-erased and was created
 * no later than the group's first item (see the module comment).
 */
function insertTelemetry(db: Db, json: string) {
  const field = (key: string) => sql.raw(`json_extract(value, '$.${key}')`);
  return db.insert(telemetryBatches).select(sql`SELECT NULL, ${field("k")}, ${field("i")}, ${field("n")}, ${field("c")}
    FROM json_each(${json})
    WHERE substr(${field("k")}, 1, 4) <> 'uid:' OR EXISTS (
      SELECT 1 FROM thinkers WHERE thinkers.id = ${field("h")} AND thinkers.deleted_at IS NULL
        AND thinkers.created_at <= ${field("c")})
    ORDER BY key`);
}

/**
 * Writes every waiting row with one statement, on the D1 binding itself: the flush may run after
 * the answer (in `waitUntil`) and carries other requests' rows, so it uses nothing of the request
 * that happens to run it. Never rejects: a failure is logged and the rows are dropped.
 */
async function flushTelemetry(env: Env, log: Logger): Promise<void> {
  const batch = buffer.take();
  if (batch.count === 0) return;
  try {
    await insertTelemetry(createDb(env.DB), batch.json);
  } catch (err) {
    log("error", "telemetry flush failed", { items: batch.count, rows: batch.groups, error: errorText(err) });
  }
}

/** Acts on what the buffer answered: a flush now, a flush after {@link FLUSH_MS}, or nothing. */
function scheduleFlush(outcome: AddOutcome, waitUntil: (p: Promise<unknown>) => void, env: Env, log: Logger): void {
  if (outcome === "flush") {
    waitUntil(flushTelemetry(env, log));
  } else if (outcome === "schedule") {
    const interval = new Promise((done) => setTimeout(done, FLUSH_MS));
    waitUntil(interval.then(() => flushTelemetry(env, log)));
  }
}

/** Handler of `POST /api/telemetry`. */
export async function ingestTelemetry(ctx: HandlerContext<z.output<typeof TelemetryBody>, undefined>): Promise<HandlerResult> {
  const { now } = ctx;
  const items = Array.isArray(ctx.body) ? ctx.body : [ctx.body];
  if (ctx.verified && items.some((i) => i.actorUid && i.actorUid !== ctx.caller)) {
    throw forbidden("uid_mismatch", "actorUid does not match the verified session");
  }
  const callerKey = await telemetryCallerKey(ctx);
  window.hit(`telemetry|${callerKey}`, TELEMETRY_PER_MIN, now);
  const thinkerId = ctx.session?.thinkerId ?? null;
  const session = ctx.verified && ctx.session ? `${ctx.session.gen}:${ctx.session.expiresAt}` : null;
  const rows: TelemetryRow[] = items.map((i) => ({
    type: i.type,
    path: i.path ?? null,
    callerKey,
    meta: i.meta ? JSON.stringify(i.meta) : "{}",
    createdAt: now,
    thinkerId,
    session,
  }));
  const result = { body: { ok: true, stored: items.length } };
  // No execution context: nothing runs after the answer, so the request writes its own rows.
  if (!ctx.waitUntil) return ctx.commit([insertTelemetry(ctx.db, encodeRows(rows))], result);
  // The session check first: a revoked session's rows must not join the batch.
  await ctx.settle();
  scheduleFlush(buffer.add(rows), ctx.waitUntil, ctx.env, ctx.log);
  return result;
}
