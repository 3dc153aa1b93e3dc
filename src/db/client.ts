/**
 * Database access: the drizzle client over the D1 binding, and helpers for batches.
 *
 * @module
 */
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import { type SQL, sql } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";

/** The typed drizzle database used by every domain. */
export type Db = DrizzleD1Database & { $client: D1Database };

/** One statement of a `db.batch`. */
export type Statement = BatchItem<"sqlite">;

/**
 * Creates the drizzle client for a D1 binding (or a request's D1 session). Without `schema`: the
 * code uses the query builder only, never relational queries, and a client is made per request —
 * with a schema, drizzle would rebuild its relational config on every one.
 */
export function createDb(d1: D1Database): Db {
  return drizzle(d1) as Db;
}

/**
 * A batch statement that aborts the whole batch unless the statement just before it changed at
 * least one row. D1 runs a batch as one transaction on one connection, so `changes()` is the
 * previous statement's row count; inserting NULL into `write_guards.guard` violates NOT NULL.
 */
export function abortUnlessChanged(db: Db): Statement {
  return db.run(ABORT_UNLESS_CHANGED);
}

/** The guard statement of {@link abortUnlessChanged}, for {@link rawBatch}. */
export const ABORT_UNLESS_CHANGED = sql`INSERT INTO write_guards (guard) SELECT NULL WHERE changes() = 0`;

/** True if `err` (or one of its causes) is the abort raised by {@link abortUnlessChanged}. */
export function isGuardAbort(err: unknown): boolean {
  return /NOT NULL constraint failed: write_guards\.guard/.test(errorText(err));
}

/**
 * True if `err` is a UNIQUE violation on `table` (optionally naming `column`). D1 reports the
 * columns, not the index name: `UNIQUE constraint failed: voucher_bookings.voucher_id, …`.
 */
export function isUniqueViolation(err: unknown, table: string, column?: string): boolean {
  const m = /UNIQUE constraint failed: ([\w., ]+)/.exec(errorText(err));
  if (!m?.[1]) return false;
  const cols = m[1].split(",").map((c) => c.trim());
  return cols.some((c) => (column ? c === `${table}.${column}` : c.startsWith(`${table}.`)));
}

/** Messages of an error and all its causes (drizzle wraps D1 errors). */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur && i < 5; i++) {
    if (cur instanceof Error) {
      parts.push(cur.message);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(" | ");
}

const dialect = new SQLiteSyncDialect();

/**
 * A raw SQL statement with its parameters bound, for set-based statements the query builder
 * cannot express (INSERT … SELECT with computed ids, DELETE … LIMIT via rowid). Drizzle's D1
 * `batch` drops the parameters of `db.run(sql…)` items, so these go through {@link rawBatch}.
 */
export function rawStatement(db: Db, query: SQL): D1PreparedStatement {
  const q = dialect.sqlToQuery(query);
  return db.$client.prepare(q.sql).bind(...q.params);
}

/** Runs raw statements as one D1 batch (one transaction). */
export function rawBatch(db: Db, queries: SQL[]): Promise<D1Result[]> {
  return db.$client.batch(queries.map((q) => rawStatement(db, q)));
}
