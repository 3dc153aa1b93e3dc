/**
 * The unit of work: a request's D1 round trips, with the request's pending checks (is the session
 * still live? is the caller within the write rate limit?) riding in the first of them instead of
 * costing round trips of their own.
 *
 * Hand-written on purpose: no middleware library can put its statements inside the handler's own
 * D1 batch, and that is what makes a check free and a commit atomic (the writes, the event, the fee
 * event, the limiter's count and the idempotency record are one SQL transaction).
 *
 * @module
 */
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { Db, Statement } from "../db/client";

/**
 * A check that rides along with the request's D1 round trips. A read batch carries
 * `readStatements()` and hands their rows to `checkRead` (which throws when refused); a write batch
 * carries `writeStatements()`, which abort the whole batch when refused, and `explainAbort` turns
 * such an abort into the refusal. A check is done once one batch carried it.
 */
export interface BatchCheck {
  readonly done: boolean;
  readStatements(): Statement[];
  checkRead(rows: unknown[]): void;
  writeStatements(): Statement[];
  /** Throws the check's refusal when the aborted batch failed because of it; returns otherwise. */
  explainAbort(err: unknown): Promise<void>;
  /** A batch that carried `writeStatements()` committed: the check passed. */
  settle(): void;
}

/** The request's D1 access: reads and the one commit, each carrying the pending checks. */
export class UnitOfWork {
  private committed = false;

  constructor(
    readonly db: Db,
    private readonly checks: readonly BatchCheck[],
  ) {}

  /** Runs `queries` as one batch, with the pending checks in front. */
  read<T extends readonly [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]>(queries: T): Promise<BatchResponse<T>> {
    return this.withChecks([...queries]) as Promise<BatchResponse<T>>;
  }

  /** Runs the pending checks (or only those of `only`) now, in one round trip, if any are left. */
  async settle(only?: readonly BatchCheck[]): Promise<void> {
    await this.withChecks([], only);
  }

  private async withChecks(queries: Statement[], only?: readonly BatchCheck[]): Promise<unknown[]> {
    const pending = this.checks.filter((c) => !c.done && (!only || only.includes(c)));
    const parts = pending.map((c) => c.readStatements());
    const [first, ...rest] = [...parts.flat(), ...queries];
    if (!first) return [];
    const rows = (await this.db.batch([first, ...rest])) as unknown[];
    let at = 0;
    for (const [i, check] of pending.entries()) {
      const n = parts[i]?.length ?? 0;
      check.checkRead(rows.slice(at, at + n));
      at += n;
    }
    return rows.slice(at);
  }

  /**
   * Runs the pending checks' write statements, `statements` and `trailer` (the idempotency
   * record) as one batch, and returns the results of `statements`. An abort caused by a check
   * becomes that check's refusal; any other error is the handler's to interpret.
   */
  async commit(statements: Statement[], trailer: Statement[] = []): Promise<unknown[]> {
    if (this.committed) throw new Error("commit called twice");
    this.committed = true;
    const pending = this.checks.filter((c) => !c.done);
    const lead = pending.flatMap((c) => c.writeStatements());
    const [first, ...rest] = [...lead, ...statements, ...trailer];
    if (!first) return [];
    let rows: unknown[];
    try {
      rows = await this.db.batch([first, ...rest]);
    } catch (err) {
      for (const check of pending) await check.explainAbort(err);
      throw err;
    }
    for (const check of pending) check.settle();
    return rows.slice(lead.length, lead.length + statements.length);
  }
}
