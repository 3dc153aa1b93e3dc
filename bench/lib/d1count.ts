/**
 * Counts D1 round trips from wrangler's debug log. Local `wrangler dev` / `pages dev` enable the
 * DevTools Network domain on the runtime, and every D1 binding call (one query or one batch) is a
 * subrequest to `http://d1/query` or `http://d1/execute` that wrangler writes to its debug log
 * (WRANGLER_LOG_PATH, one file per wrangler process). Counting those lines per workload gives
 * the D1 calls per request, measured rather than read off the code.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const D1_CALL = /url: 'http:\/\/d1\//g;

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

  /** D1 calls logged since `since`, per log file (one file per wrangler process). */
  since(since: LogMark): Map<string, number> {
    const out = new Map<string, number>();
    if (!existsSync(this.dir)) return out;
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
      const n = buf.toString("utf8").match(D1_CALL)?.length ?? 0;
      if (n) out.set(f, n);
    }
    return out;
  }
}

/** Total over all files. */
export const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
