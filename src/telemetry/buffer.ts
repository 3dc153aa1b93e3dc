/**
 * The isolate's telemetry batch: items accepted by many requests (of many callers) wait here until
 * one statement writes them all. Pure bookkeeping — no timers, no D1: {@link TelemetryBuffer.add}
 * answers what the caller must do next (schedule a flush, flush now, or nothing), and
 * {@link TelemetryBuffer.take} hands over the waiting items as the one JSON parameter the flush
 * statement reads (see `./ingest.ts`).
 *
 * Items are grouped by caller and, for a verified caller, by session: a flush writes ONE table
 * row per group, holding the group's items as a JSON array. A portal sends
 * a batch every few seconds, so a burst of telemetry becomes one row per caller and flush instead
 * of one per item — D1's single writer spends its time on row writes, and these are the rows it
 * would otherwise spend on page views. Erasure and export still find a person's rows by
 * `caller_key`, and the retention sweep by `created_at` (the group's first item: a group's items
 * are at most one flush interval apart, since its first item scheduled the flush).
 *
 * Why by session: the flush keeps a verified group only if its thinker row is un-erased and not
 * younger than the group's first item, and that test must hold for every item of the group. A
 * session is signed after its thinker row was (re)created and is refused once that row is erased,
 * so the items of one session all belong to one life of the row; items of a session from before an
 * erasure and of one after a new verify of the same uid land in different groups, and only the
 * older group is dropped.
 *
 * @module
 */

/** One telemetry item waiting for its flush. */
export interface TelemetryRow {
  type: string;
  path: string | null;
  /** `uid:<uid>` (verified caller) or `ip:<keyed hash>` (anyone else). */
  callerKey: string;
  /** The item's `meta`, serialised JSON object (`{}` when absent). */
  meta: string;
  /** When the request that sent it started, epoch ms. */
  createdAt: number;
  /** The verified caller's thinker row (required for a `uid:` item); `null` for an `ip:` item. */
  thinkerId: string | null;
  /**
   * The verified session that sent it, as text without a newline (its generation and expiry
   * identify it among the sessions of one thinker row); `null` for an `ip:` item.
   */
  session: string | null;
}

/** What the caller of {@link TelemetryBuffer.add} must do. */
export type AddOutcome =
  /** The buffer was empty: schedule a flush after the flush interval. */
  | "schedule"
  /** A cap is reached: flush now (an already scheduled flush then finds fewer items, or none). */
  | "flush"
  /** A flush is already scheduled and no cap is reached. */
  | "wait";

/** When a buffer must be flushed before its interval ends. */
export interface BufferCaps {
  /** Items. */
  maxRows: number;
  /** UTF-8 bytes of the serialised items (the flush's JSON parameter, give or take its frame). */
  maxBytes: number;
}

/**
 * Default caps. 500 items is fifty full portal flushes; 256 KiB keeps the flush's one bound
 * parameter, and the largest row it writes, far below D1's limit for a string value (2 MB). A cap
 * is checked after a request's items are added, so one flush carries at most a cap plus one
 * request: 50 items of at most ~7 KiB each even in the worst encoding (a 512-character path and
 * 1 024 bytes of meta, all escaped or multi-byte), under 0.6 MB in all.
 */
export const DEFAULT_CAPS: BufferCaps = { maxRows: 500, maxBytes: 256 * 1024 };

/** The serialised items of one flush. */
export interface TakenBatch {
  /** Items in the batch. */
  count: number;
  /** Table rows the batch writes: one per caller (per session for a verified one). */
  groups: number;
  /**
   * JSON array of `{k, h, c, n, i}` — caller key, thinker id, the first item's time, the number
   * of items and the items themselves (`{type, path, meta, at}`, {@link encodeItem}) — one per
   * group, groups in the order their first item arrived, items in the order they were added.
   */
  json: string;
}

const utf8 = new TextEncoder();

/** The stored form of one item: the element of a row's `items` array. `meta` is embedded as JSON. */
export function encodeItem(r: TelemetryRow): string {
  return `{"type":${JSON.stringify(r.type)},"path":${JSON.stringify(r.path)},"meta":${r.meta},"at":${r.createdAt}}`;
}

interface Group {
  callerKey: string;
  thinkerId: string | null;
  firstAt: number;
  items: string[];
}

/** The wire form of one group (short keys: the statement reads them with json_extract). */
function encodeGroup(g: Group): string {
  return `{"k":${JSON.stringify(g.callerKey)},"h":${JSON.stringify(g.thinkerId)},"c":${g.firstAt},"n":${g.items.length},"i":[${g.items.join(",")}]}`;
}

/** Items waiting for one flush, grouped by caller, with the policy of when to flush. */
export class TelemetryBuffer {
  /** Groups by caller key, thinker id and session; a Map keeps the order of first arrival. */
  private groups = new Map<string, Group>();
  private items = 0;
  private bytes = 0;

  constructor(readonly caps: BufferCaps = DEFAULT_CAPS) {}

  /** Items waiting. */
  get size(): number {
    return this.items;
  }

  /** Serialised bytes waiting (the items' UTF-8 length plus one separator each). */
  get byteSize(): number {
    return this.bytes;
  }

  /** Adds `rows` (serialised once, here) and says what to do next. Adding nothing changes nothing. */
  add(rows: readonly TelemetryRow[]): AddOutcome {
    if (rows.length === 0) return "wait";
    const wasEmpty = this.items === 0;
    for (const r of rows) {
      // No part contains a newline (`uid:` + a validated uid or `ip:` + hex, an id, digits).
      const key = `${r.callerKey}\n${r.thinkerId ?? ""}\n${r.session ?? ""}`;
      let group = this.groups.get(key);
      if (!group) {
        group = { callerKey: r.callerKey, thinkerId: r.thinkerId, firstAt: r.createdAt, items: [] };
        this.groups.set(key, group);
      }
      const text = encodeItem(r);
      group.items.push(text);
      this.items += 1;
      this.bytes += utf8.encode(text).length + 1;
    }
    if (this.items >= this.caps.maxRows || this.bytes >= this.caps.maxBytes) return "flush";
    return wasEmpty ? "schedule" : "wait";
  }

  /** Returns every waiting item as one batch and empties the buffer. */
  take(): TakenBatch {
    const groups = [...this.groups.values()];
    const batch = { count: this.items, groups: groups.length, json: `[${groups.map(encodeGroup).join(",")}]` };
    this.groups = new Map();
    this.items = 0;
    this.bytes = 0;
    return batch;
  }
}

/** The JSON parameter of the flush statement for `rows` alone (a request writing its own items). */
export function encodeRows(rows: readonly TelemetryRow[]): string {
  const buffer = new TelemetryBuffer({ maxRows: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY });
  buffer.add(rows);
  return buffer.take().json;
}
