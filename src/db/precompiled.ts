/**
 * Statements whose SQL text is built once per isolate, for the hot write path. A query builder
 * (or `sql` template) is rendered with named placeholders on first use; every later use only
 * binds that request's values. Rendering drizzle's builders is the larger part of the CPU time of
 * a booking (ten statements per request); the text never changes, so it is built once.
 *
 * The result plugs into `db.batch` like any drizzle statement: drizzle's D1 batch asks each item
 * for its prepared form (`_prepare()` → SQL text, parameters, a D1 statement, a result mapper),
 * which this module supplies. That contract is drizzle's internal one (drizzle-orm 0.45,
 * `d1/session.js`); `test/api/precompiled.test.ts` pins it, so an upgrade that changes it fails
 * there first.
 *
 * @module
 */
import { type Placeholder, type SQL, type Table, fillPlaceholders, getTableColumns, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { Db, Statement } from "./client";

/** A placeholder for the value named `name` (a key of the values), bound on every use. */
export type Param<V> = <K extends keyof V & string>(name: K) => Placeholder<K>;

/** Anything that renders to SQL with parameters: a drizzle query builder. */
interface Renderable {
  toSQL(): { sql: string; params: unknown[] };
}

/** A D1 batch result as drizzle's D1 session hands it to `mapResult`. */
type D1BatchResult = D1Result<Record<string, unknown>>;

/** A builder-only drizzle instance: renders SQL, never runs it. */
const renderer = drizzle({} as D1Database) as unknown as Db;

/**
 * A statement template. `build` receives a renderer-only `Db` and the placeholder function; it
 * must return the same SQL shape for any values (values only ever enter through placeholders).
 * `map` turns the D1 result into what the batch returns for this item (default: the raw result,
 * as drizzle returns it for writes).
 *
 * @example
 * const bump = precompiled((db, p) => db.update(counters).set({ n: sql`n + 1` }).where(eq(counters.id, p("id"))));
 * await db.batch([bump(db, { id: "x" })]);
 */
export function precompiled<V extends object>(
  build: (db: Db, p: Param<V>) => Renderable | SQL,
  map: (result: D1BatchResult) => unknown = (r) => r,
): (db: Db, values: V) => Statement {
  let text: { sql: string; params: unknown[] } | undefined;
  return (db, values) => {
    if (!text) {
      const built = build(renderer, (name) => sql.placeholder(name));
      text = "toSQL" in built ? built.toSQL() : renderSql(built);
    }
    const { sql: query } = text;
    const params = fillPlaceholders(text.params, values as Record<string, unknown>);
    const client = db.$client;
    const item = {
      _prepare: () => ({
        getQuery: () => ({ sql: query, params }),
        stmt: client.prepare(query),
        mapResult: (result: unknown) => map(result as D1BatchResult),
      }),
      getSQL: () => sql.raw(query),
    };
    return item as unknown as Statement;
  };
}

const dialect = new SQLiteSyncDialect();

/** Renders a raw `sql` template (no builder around it); placeholders stay in the parameters. */
function renderSql(query: SQL): { sql: string; params: unknown[] } {
  return dialect.sqlToQuery(query);
}

/**
 * Result mapper for a `SELECT` of every column of `table` (rows as the query builder would return
 * them: property names, values through each column's driver mapping, e.g. 0/1 → boolean).
 */
export function rowsOf<T extends Table>(table: T): (result: D1BatchResult) => T["$inferSelect"][] {
  const columns = Object.entries(getTableColumns(table));
  return (result) =>
    (result.results ?? []).map((raw) => {
      const row: Record<string, unknown> = {};
      for (const [key, column] of columns) {
        const value = raw[column.name];
        row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return row as T["$inferSelect"];
    });
}
