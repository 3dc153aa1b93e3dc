/**
 * Counts D1 round trips, and which of them wrote, from wrangler's debug log. Local `wrangler dev`
 * / `pages dev` enable the DevTools Network domain on the runtime, and every D1 binding call (one
 * query or one batch) is a subrequest to `http://d1/query` or `http://d1/execute` that wrangler
 * writes to its debug log (WRANGLER_LOG_PATH, one file per wrangler process), together with the
 * response body (`cfResponse.body`, base64): D1's JSON result per statement, `meta` included.
 *
 * A call counts as a write when any of its statements reports `meta.changed_db` or
 * `meta.rows_written > 0` — D1's own accounting, not a guess from the SQL. Counting per workload
 * gives D1 calls, writing calls and rows written per request, measured rather than read off the code.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Byte offsets of the log files at one moment. */
export type LogMark = Map<string, number>;

/** What the D1 calls logged in some interval did. */
export interface D1Tally {
  /** D1 binding calls (round trips). */
  calls: number;
  /** Calls of which at least one statement changed the database. */
  writeCalls: number;
  /** Sum of `meta.rows_written` over all statements (index rows included, as D1 counts them). */
  rowsWritten: number;
  /** Calls whose response body was not found or not readable (counted in `calls` only). */
  unread: number;
}

const EMPTY: D1Tally = { calls: 0, writeCalls: 0, rowsWritten: 0, unread: 0 };

export class D1Counter {
  constructor(private readonly dir: string) {}

  /** Current end of every log file. */
  mark(): LogMark {
    const out: LogMark = new Map();
    if (!existsSync(this.dir)) return out;
    for (const f of readdirSync(this.dir)) out.set(f, statSync(join(this.dir, f)).size);
    return out;
  }

  /** What the D1 calls logged since `since` did, over all files (one file per wrangler process). */
  since(since: LogMark): D1Tally {
    const sum = { ...EMPTY };
    if (!existsSync(this.dir)) return sum;
    for (const f of readdirSync(this.dir)) {
      const path = join(this.dir, f);
      const from = since.get(f) ?? 0;
      const size = statSync(path).size;
      if (size <= from) continue;
      const buf = Buffer.alloc(size - from);
      const fd = openSync(path, "r");
      try {
        readSync(fd, buf, 0, buf.length, from);
      } finally {
        closeSync(fd);
      }
      const t = tallyLog(buf.toString("utf8"));
      sum.calls += t.calls;
      sum.writeCalls += t.writeCalls;
      sum.rowsWritten += t.rowsWritten;
      sum.unread += t.unread;
    }
    return sum;
  }
}

/**
 * Tallies the D1 calls of one stretch of a debug log. Entries are separated by `---` lines; a
 * call's `Network.requestWillBeSent` names its URL, its `Network.loadingFinished` carries the body,
 * matched by the DevTools `requestId`.
 */
export function tallyLog(text: string): D1Tally {
  const t = { ...EMPTY };
  const d1Requests = new Set<string>();
  for (const entry of text.split("\n---\n")) {
    if (entry.includes("'Network.requestWillBeSent'")) {
      const url = /url: '(http:\/\/d1\/[^']*)'/.exec(entry)?.[1];
      const id = /requestId: '([^']+)'/.exec(entry)?.[1];
      if (!url || id === undefined) continue;
      t.calls++;
      d1Requests.add(id);
    } else if (entry.includes("'Network.loadingFinished'")) {
      const id = /requestId: '([^']+)'/.exec(entry)?.[1];
      if (id === undefined || !d1Requests.delete(id)) continue;
      const body = /body: '([A-Za-z0-9+/=]*)'/.exec(entry)?.[1];
      const effect = body === undefined ? null : d1Effect(body);
      if (!effect) {
        t.unread++;
        continue;
      }
      t.rowsWritten += effect.rowsWritten;
      if (effect.changed) t.writeCalls++;
    }
  }
  // A call whose finish fell outside the interval (or was never logged) could not be read.
  t.unread += d1Requests.size;
  return t;
}

/** Whether one D1 response (base64 JSON: one result per statement) changed the database, and how many rows it wrote. */
export function d1Effect(base64: string): { changed: boolean; rowsWritten: number } | null {
  try {
    const parsed = JSON.parse(Buffer.from(base64, "base64").toString("utf8")) as unknown;
    const results = Array.isArray(parsed) ? parsed : [parsed];
    let changed = false;
    let rowsWritten = 0;
    for (const r of results) {
      const meta = (r as { meta?: { changed_db?: unknown; rows_written?: unknown } } | null)?.meta;
      if (!meta) continue;
      const written = typeof meta.rows_written === "number" ? meta.rows_written : 0;
      rowsWritten += written;
      if (meta.changed_db === true || written > 0) changed = true;
    }
    return { changed, rowsWritten };
  } catch {
    return null;
  }
}
