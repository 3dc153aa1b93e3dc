/**
 * Reading D1 calls and their writes out of wrangler's debug log: the pure part of ./d1count.ts
 * (no Node APIs), so the unit tests can run it in workerd.
 *
 * @module
 */

/** What the D1 calls logged in some interval did. */
export interface D1Tally {
  /** D1 binding calls (round trips). */
  calls: number;
  /** Calls of which at least one statement changed the database. */
  writeCalls: number;
  /** Sum of `meta.rows_written` over all statements (index rows included, as D1 counts them). */
  rowsWritten: number;
  /**
   * Calls whose response body was not found or not readable (counted in `calls` only); wrangler
   * cuts logged strings at 10,000 characters, so large results (1,000 rows) lose their metadata.
   */
  unread: number;
}

/** A tally of nothing. */
export const EMPTY_TALLY: Readonly<D1Tally> = { calls: 0, writeCalls: 0, rowsWritten: 0, unread: 0 };

/** Sum of two tallies. */
export function addTally(a: D1Tally, b: D1Tally): D1Tally {
  return {
    calls: a.calls + b.calls,
    writeCalls: a.writeCalls + b.writeCalls,
    rowsWritten: a.rowsWritten + b.rowsWritten,
    unread: a.unread + b.unread,
  };
}

/**
 * Tallies the D1 calls of one stretch of a debug log. Entries are separated by `---` lines; a
 * call's `Network.requestWillBeSent` names its URL, its `Network.loadingFinished` carries the body,
 * matched by the DevTools `requestId` (in either order).
 */
export function tallyLog(text: string): D1Tally {
  const t = { ...EMPTY_TALLY };
  const d1Requests = new Set<string>();
  // Wrangler writes the events asynchronously: a call's finish may be logged before its start.
  const finished = new Map<string, ReturnType<typeof d1Effect>>();
  for (const entry of text.split("\n---\n")) {
    if (entry.includes("'Network.requestWillBeSent'")) {
      const url = /url: '(http:\/\/d1\/[^']*)'/.exec(entry)?.[1];
      const id = /requestId: '([^']+)'/.exec(entry)?.[1];
      if (!url || id === undefined) continue;
      t.calls++;
      d1Requests.add(id);
    } else if (entry.includes("'Network.loadingFinished'")) {
      const id = /requestId: '([^']+)'/.exec(entry)?.[1];
      if (id === undefined) continue;
      const body = /body: '([A-Za-z0-9+/=]*)'(\.\.\. \d+ more character)?/.exec(entry);
      // A cut-off body (`'…'... 11620 more characters`) lost D1's metadata with its end.
      finished.set(id, !body?.[1] || body[2] ? null : d1Effect(body[1]));
    }
  }
  for (const id of d1Requests) {
    const effect = finished.get(id);
    // No finish in this stretch of the log (or an unreadable one): the call's writes are unknown.
    if (!effect) {
      t.unread++;
      continue;
    }
    t.rowsWritten += effect.rowsWritten;
    if (effect.changed) t.writeCalls++;
  }
  return t;
}

/** Whether one D1 response (base64 JSON: one result per statement) changed the database, and how many rows it wrote. */
export function d1Effect(base64: string): { changed: boolean; rowsWritten: number } | null {
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
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

const RUNTIME_SOCKET = /NEW RUNTIME WEBSOCKET \S+\/core:user:(\S+)/g;

/**
 * The Worker a wrangler debug log says its inspector proxy is attached to now: the name in the
 * last `NEW RUNTIME WEBSOCKET …/core:user:<name>` line (written when the proxy connects, and again
 * after every reload); `null` if it has not connected yet.
 */
export function attachedWorker(log: string): string | null {
  let last: string | null = null;
  for (const m of log.matchAll(RUNTIME_SOCKET)) last = m[1] ?? null;
  return last;
}
