/**
 * A D1 binding that records what a request does to the database: every statement prepared (on the
 * binding or on any session opened from it), where each session started, and the rows D1 reports
 * written by batches. Tests pass `{ ...testEnv, DB: spy.d1 }` to the app and read the record.
 *
 * Two independent witnesses of a write, so a test that claims "this request wrote nothing" does
 * not rest on one of them: the SQL text (anything but a plain read counts as a write) and D1's own
 * `meta.rows_written` of every batch result. Statements are D1's own objects, unwrapped (D1's
 * `batch` accepts nothing else), so statements run one by one are seen by their SQL only.
 */

/** What the spy saw. */
export interface D1Record {
  /** SQL of every statement prepared, in order. */
  statements: string[];
  /** Arguments of every `withSession` call (`undefined` when called without one). */
  sessions: Array<string | undefined>;
  /** Sum of `meta.rows_written` over every batch result. */
  rowsWritten: number;
  /** Statements whose SQL is not a read (see `isReadSql`). */
  readonly writes: string[];
  /** Forgets everything seen so far. */
  reset(): void;
}

/** True for a statement that can only read: `SELECT …`, or `WITH …` without a data-changing verb. */
export function isReadSql(sql: string): boolean {
  const text = sql.trim();
  if (/^select\b/i.test(text)) return true;
  return /^with\b/i.test(text) && !/\b(insert|update|delete|replace)\b/i.test(text);
}

/** Wraps `d1`; the returned binding behaves the same and fills `record`. */
export function spyD1(d1: D1Database): { d1: D1Database; record: D1Record } {
  const record: D1Record = {
    statements: [],
    sessions: [],
    rowsWritten: 0,
    get writes() {
      return this.statements.filter((s) => !isReadSql(s));
    },
    reset() {
      this.statements = [];
      this.sessions = [];
      this.rowsWritten = 0;
    },
  };
  const prepareOn = (target: D1Database | D1DatabaseSession) => (sql: string) => {
    record.statements.push(sql);
    return target.prepare(sql);
  };
  const batchOn = (target: D1Database | D1DatabaseSession) => async (stmts: D1PreparedStatement[]) => {
    const results = await target.batch(stmts);
    for (const r of results) record.rowsWritten += r.meta?.rows_written ?? 0;
    return results;
  };
  const wrapped = new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return prepareOn(target);
      if (prop === "batch") return batchOn(target);
      if (prop === "withSession") {
        return (start?: string) => {
          record.sessions.push(start);
          const session = target.withSession(start);
          return {
            prepare: prepareOn(session),
            batch: batchOn(session),
            getBookmark: () => session.getBookmark(),
          } as unknown as D1DatabaseSession;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { d1: wrapped, record };
}
