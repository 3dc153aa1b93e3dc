/**
 * `GET /api/admin/events`: the audit log, newest first, with Stripe-style filters.
 *
 * Every filter combination is one index range scan ordered by the index itself, so a page costs
 * O(limit) rows however large the log is (`test/api/admin-monitoring.test.ts` checks each plan
 * with EXPLAIN QUERY PLAN):
 *
 * | filters | index |
 * |---|---|
 * | none / time only | primary key (`id`), the time window as an id range |
 * | `type` exact | `ix_events_type (type, id)` |
 * | `type` prefix (`voucher.*`) | `ix_events_type`: a skip scan finds the prefix's distinct types, then one `(type, id)` range of at most `limit + 1` rows per type, merged |
 * | `subject_id` (± `type`) | `ix_events_subject (subject_id, id)`, type as a residual filter (a subject has few events) |
 *
 * Time filters become id bounds (see `time.ts`), `starting_after` an upper id bound; `created_at`
 * is re-checked as a residual filter (`+created_at`: never used as an index, which would force a sort).
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, rawStatement } from "../db/client";
import { eventIdAt } from "./time";

/** A type filter: one type, or every type under a dotted prefix (`voucher.*` → `voucher.`). */
export type TypeFilter = { exact: string } | { prefix: string };

/** Parsed filters of one events page. */
export interface EventFilter {
  limit: number;
  type?: TypeFilter | undefined;
  subjectId?: string | undefined;
  /** `created[gte]` / `created[lt]`, epoch ms. */
  createdGte?: number | undefined;
  createdLt?: number | undefined;
  /** Event id: the page holds events older than it (the last id of the previous page). */
  startingAfter?: string | undefined;
}

/** An event in the original admin API's shape (`GET /api/admin/events` items), meta parsed. */
export interface EventItem {
  id: string;
  type: string;
  actorId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  meta: Record<string, unknown>;
  createdAt: string;
}

/** The raw row the queries select. */
export interface EventRow {
  id: string;
  type: string;
  actor_uid: string | null;
  subject_type: string | null;
  subject_id: string | null;
  meta: string;
  created_at: number;
}

/** `?type=` value → filter: `a.b.*` is the prefix `a.b.`, anything else an exact type. */
export function parseTypeFilter(raw: string): TypeFilter {
  return raw.endsWith(".*") ? { prefix: raw.slice(0, -1) } : { exact: raw };
}

/** Every event id has the form `ev-…`: the widest id range, so even an unfiltered page is a range scan. */
const ID_FLOOR = "ev-";
const ID_CEILING = "ev."; // "." follows "-": the first string after every "ev-…"

/** The id window `[lower, upper)` of a filter (time bounds and cursor folded together). */
export function idWindow(f: EventFilter): { lower: string; upper: string } {
  const uppers = [ID_CEILING];
  if (f.createdLt !== undefined) uppers.push(eventIdAt(f.createdLt));
  if (f.startingAfter !== undefined) uppers.push(f.startingAfter);
  const lower = f.createdGte !== undefined ? eventIdAt(f.createdGte) : ID_FLOOR;
  return { lower: lower > ID_FLOOR ? lower : ID_FLOOR, upper: uppers.reduce((a, b) => (b < a ? b : a)) };
}

const COLUMNS = sql.raw("id, type, actor_uid, subject_type, subject_id, meta, created_at");

/**
 * The SQL of one page (`limit + 1` rows, newest first: the extra row only says there is more).
 * Pure: exported so the test can EXPLAIN exactly what the route runs.
 */
export function eventsPageSql(f: EventFilter): SQL {
  const { lower, upper } = idWindow(f);
  const take = f.limit + 1;
  const window = sql`id >= ${lower} AND id < ${upper}${createdResidual(f)}`;
  if (f.subjectId !== undefined) {
    return sql`SELECT ${COLUMNS} FROM events INDEXED BY ix_events_subject
      WHERE subject_id = ${f.subjectId}${typeResidual(f.type)} AND ${window}
      ORDER BY id DESC LIMIT ${take}`;
  }
  if (f.type && "exact" in f.type) {
    return sql`SELECT ${COLUMNS} FROM events INDEXED BY ix_events_type
      WHERE type = ${f.type.exact} AND ${window} ORDER BY id DESC LIMIT ${take}`;
  }
  if (f.type) {
    const [lo, hi] = prefixRange(f.type.prefix);
    // Skip scan: each step seeks the next distinct type of the prefix in ix_events_type. Then, per
    // type, the newest `take` rows of the window (a correlated, LIMITed range of (type, id));
    // only those few rows are merged and sorted.
    return sql`WITH RECURSIVE types(type) AS (
        SELECT (SELECT type FROM events WHERE type >= ${lo} AND type < ${hi} ORDER BY type LIMIT 1)
        UNION ALL
        SELECT (SELECT e.type FROM events e WHERE e.type > types.type AND e.type < ${hi} ORDER BY e.type LIMIT 1)
        FROM types WHERE types.type IS NOT NULL
      )
      SELECT ${sql.raw("ev.id, ev.type, ev.actor_uid, ev.subject_type, ev.subject_id, ev.meta, ev.created_at")}
      FROM types CROSS JOIN events ev
      WHERE types.type IS NOT NULL AND ev.rowid IN (
        SELECT rowid FROM events INDEXED BY ix_events_type
        WHERE events.type = types.type AND ${window} ORDER BY id DESC LIMIT ${take})
      ORDER BY ev.id DESC LIMIT ${take}`;
  }
  return sql`SELECT ${COLUMNS} FROM events WHERE ${window} ORDER BY id DESC LIMIT ${take}`;
}

/** `[lo, hi)` of the strings starting with `prefix`. */
function prefixRange(prefix: string): [string, string] {
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`];
}

function typeResidual(t: TypeFilter | undefined): SQL {
  if (!t) return sql``;
  if ("exact" in t) return sql` AND type = ${t.exact}`;
  const [lo, hi] = prefixRange(t.prefix);
  return sql` AND type >= ${lo} AND type < ${hi}`;
}

function createdResidual(f: EventFilter): SQL {
  const gte = f.createdGte !== undefined ? sql` AND +created_at >= ${f.createdGte}` : sql``;
  const lt = f.createdLt !== undefined ? sql` AND +created_at < ${f.createdLt}` : sql``;
  return sql`${gte}${lt}`;
}

/** A stored event row in the API's shape. Meta that is not a JSON object shows as `{}`. */
export function toEventItem(r: EventRow): EventItem {
  return {
    id: r.id,
    type: r.type,
    actorId: r.actor_uid,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    meta: parseMeta(r.meta),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

function parseMeta(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One page of events: `has_more` and `nextCursor` (the last id, for `starting_after`) when more match. */
export async function listEvents(db: Db, f: EventFilter) {
  const { results } = await rawStatement(db, eventsPageSql(f)).all<EventRow>();
  const items = results.slice(0, f.limit).map(toEventItem);
  const hasMore = results.length > f.limit;
  return { ok: true as const, items, has_more: hasMore, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
}
