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
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type D1Tally, EMPTY_TALLY, addTally, attachedWorker, tallyLog } from "./d1log";

export type { D1Tally } from "./d1log";
export { EMPTY_TALLY, addTally } from "./d1log";

/** Byte offsets of the log files at one moment. */
export type LogMark = Map<string, number>;

export class D1Counter {
  constructor(private readonly dir: string) {}

  /** Current end of every log file. */
  mark(): LogMark {
    const out: LogMark = new Map();
    if (!existsSync(this.dir)) return out;
    for (const f of readdirSync(this.dir)) out.set(f, statSync(join(this.dir, f)).size);
    return out;
  }

  /**
   * Waits until wrangler has written out its debug log: no file grew for `quietMs`, or `maxMs`
   * passed. Wrangler appends asynchronously, and on a loaded machine it falls seconds behind; a
   * fixed pause attributed one workload's D1 calls to the next.
   */
  async settle(quietMs = 400, maxMs = 15_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    let last = JSON.stringify([...this.mark()]);
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const now = JSON.stringify([...this.mark()]);
      if (now !== last) {
        last = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= quietMs) return;
    }
  }

  /** What the D1 calls logged since `since` did, over all files (one file per wrangler process). */
  since(since: LogMark): D1Tally {
    let sum: D1Tally = { ...EMPTY_TALLY };
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
      sum = addTally(sum, tallyLog(buf.toString("utf8")));
    }
    return sum;
  }
}

/**
 * The Worker each wrangler process's inspector proxy is attached to now, by log file (see
 * `attachedWorker`). Under `wrangler pages dev` with a second config the proxy attaches to either
 * Worker, and only the one it is attached to pays for relaying its D1 calls to wrangler's Node
 * process (≈ 3 ms of CPU per call locally): the bench must know which.
 */
export function inspectedWorkers(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const name = attachedWorker(readFileSync(join(dir, f), "utf8"));
    if (name) out.set(f, name);
  }
  return out;
}
