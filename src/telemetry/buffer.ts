/**
 * The isolate's telemetry batch: rows accepted by many requests (of many callers) wait here until
 * one statement writes them all. Pure bookkeeping — no timers, no D1: {@link TelemetryBuffer.add}
 * answers what the caller must do next (schedule a flush, flush now, or nothing), and
 * {@link TelemetryBuffer.take} hands over the rows as the one JSON parameter the flush statement
 * reads (see `./ingest.ts`).
 *
 * Each row carries everything its table row needs (type, path, caller key, meta, created_at), so
 * rows of different requests share one flush, plus the thinker a verified row belongs to: the
 * flush statement inserts that row only while the thinker is still the same, un-erased person.
 *
 * @module
 */

/** One telemetry row waiting for its flush. */
export interface TelemetryRow {
  type: string;
  path: string | null;
  /** `uid:<uid>` (verified caller) or `ip:<keyed hash>` (anyone else). */
  callerKey: string;
  /** The item's `meta`, serialised (`{}` when absent). */
  meta: string;
  /** When the request that sent it started, epoch ms. */
  createdAt: number;
  /** The verified caller's thinker row (required for a `uid:` row); `null` for an `ip:` row. */
  thinkerId: string | null;
}

/** What the caller of {@link TelemetryBuffer.add} must do. */
export type AddOutcome =
  /** The buffer was empty: schedule a flush after the flush interval. */
  | "schedule"
  /** A cap is reached: flush now (an already scheduled flush then finds fewer rows, or none). */
  | "flush"
  /** A flush is already scheduled and no cap is reached. */
  | "wait";

/** When a buffer must be flushed before its interval ends. */
export interface BufferCaps {
  /** Rows. */
  maxRows: number;
  /** UTF-8 bytes of the serialised rows (the flush's JSON parameter, give or take brackets). */
  maxBytes: number;
}

/**
 * Default caps. 500 rows is fifty full portal flushes; 256 KiB keeps the flush's one bound
 * parameter far below D1's limit for a string value (2 MB). A cap is checked after a request's
 * rows are added, so one flush carries at most a cap plus one request: 50 items of at most ~7 KiB
 * each even in the worst encoding (a 512-character path and 1 024 bytes of meta, all escaped or
 * multi-byte), under 0.6 MB in all.
 */
export const DEFAULT_CAPS: BufferCaps = { maxRows: 500, maxBytes: 256 * 1024 };

/** The serialised rows of one flush. */
export interface TakenBatch {
  /** Rows in the batch. */
  count: number;
  /**
   * JSON array of `{t, p, k, m, c, h}` (type, path, caller key, meta, created_at, thinker id),
   * in the order the rows were added.
   */
  json: string;
}

const utf8 = new TextEncoder();

/** The wire form of one row (short keys: the flush parameter holds hundreds of them). */
export function encodeRow(r: TelemetryRow): string {
  return JSON.stringify({ t: r.type, p: r.path, k: r.callerKey, m: r.meta, c: r.createdAt, h: r.thinkerId });
}

/** The JSON array of `rows` in their wire form: the one parameter of the insert statement. */
export function encodeRows(rows: readonly TelemetryRow[]): string {
  return `[${rows.map(encodeRow).join(",")}]`;
}

/** Rows waiting for one flush, with the policy of when to flush. */
export class TelemetryBuffer {
  private rows: string[] = [];
  private bytes = 0;

  constructor(readonly caps: BufferCaps = DEFAULT_CAPS) {}

  /** Rows waiting. */
  get size(): number {
    return this.rows.length;
  }

  /** Serialised bytes waiting (the rows' UTF-8 length plus one separator each). */
  get byteSize(): number {
    return this.bytes;
  }

  /** Adds `rows` (serialised once, here) and says what to do next. Adding nothing changes nothing. */
  add(rows: readonly TelemetryRow[]): AddOutcome {
    if (rows.length === 0) return "wait";
    const wasEmpty = this.rows.length === 0;
    for (const r of rows) {
      const text = encodeRow(r);
      this.rows.push(text);
      this.bytes += utf8.encode(text).length + 1;
    }
    if (this.rows.length >= this.caps.maxRows || this.bytes >= this.caps.maxBytes) return "flush";
    return wasEmpty ? "schedule" : "wait";
  }

  /** Returns every waiting row as one batch and empties the buffer. */
  take(): TakenBatch {
    const batch = { count: this.rows.length, json: `[${this.rows.join(",")}]` };
    this.rows = [];
    this.bytes = 0;
    return batch;
  }
}
