/**
 * `POST /api/telemetry`: portal telemetry (page views, clicks) stored compactly, without making
 * telemetry a write amplifier.
 *
 * - One request = one INSERT statement, whatever its item count: the items travel as ONE JSON
 *   parameter and `INSERT … SELECT … FROM json_each(?)` writes them (D1 caps bound parameters per
 *   statement, which a multi-row VALUES list would hit at twenty items).
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
import { telemetryEvents } from "../db/schema";
import { clientIp } from "../http/admin";
import { IsolateWindow } from "../http/read-limit";
import type { HandlerContext, HandlerResult } from "../http/route";
import { Uid } from "../identity/schemas";

/** Requests per minute and caller (the original's limit). */
export const TELEMETRY_PER_MIN = 300;
/** Items per request (the portal flushes at 10). */
export const MAX_TELEMETRY_ITEMS = 50;
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

/** Handler of `POST /api/telemetry`. */
export async function ingestTelemetry(ctx: HandlerContext<z.output<typeof TelemetryBody>, undefined>): Promise<HandlerResult> {
  const { db, now } = ctx;
  const items = Array.isArray(ctx.body) ? ctx.body : [ctx.body];
  if (ctx.verified && items.some((i) => i.actorUid && i.actorUid !== ctx.caller)) {
    throw forbidden("uid_mismatch", "actorUid does not match the verified session");
  }
  const callerKey = await telemetryCallerKey(ctx);
  window.hit(`telemetry|${callerKey}`, TELEMETRY_PER_MIN, now);
  const rows = JSON.stringify(items.map((i) => ({ t: i.type, p: i.path ?? null, m: i.meta ? JSON.stringify(i.meta) : "{}" })));
  // Column order of the table: seq (NULL: the next rowid), type, path, caller key, meta, created.
  const insert = db
    .insert(telemetryEvents)
    .select(sql`SELECT NULL, json_extract(value, '$.t'), json_extract(value, '$.p'), ${callerKey},
      json_extract(value, '$.m'), ${now} FROM json_each(${rows})`);
  return ctx.commit([insert], { body: { ok: true, stored: items.length } });
}
