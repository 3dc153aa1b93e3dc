/**
 * The whole D1 database of a test file as comparable data: every user table (migrations'
 * bookkeeping included), every row, in a stable order. Two equal snapshots mean a request wrote
 * nothing at all: no domain row, no event, no rate-limit counter, no idempotency record.
 */
import { testEnv } from "./client";

/** Names of the user tables (SQLite's and Cloudflare's internal tables excluded). */
async function tableNames(db: D1Database = testEnv.DB): Promise<string[]> {
  const { results } = await db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
    )
    .all<{ name: string }>();
  return results.map((r) => r.name);
}

/** Every row of every user table, rows serialized and sorted, keyed by table name. */
export async function dbSnapshot(db: D1Database = testEnv.DB): Promise<Record<string, string[]>> {
  const names = await tableNames(db);
  const all = await db.batch(names.map((n) => db.prepare(`SELECT * FROM "${n.replaceAll('"', '""')}"`)));
  return Object.fromEntries(names.map((n, i) => [n, (all[i]?.results ?? []).map((r) => JSON.stringify(r)).sort()]));
}
