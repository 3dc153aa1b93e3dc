/**
 * Which fee events a settlement chunk holds — the one rule the run, the admin views and the
 * `fee_event_settlements` view (migration 0009) share.
 *
 * The fee ledger is append-only and `seq` is handed out in commit order, so a settlement run can
 * settle "everything committed so far that was created before `to`" by cutting the sequence: a
 * chunk holds the events with `seq_from < seq ≤ seq_to` and `created_at < period_to` that the
 * ledger cursor the run started from (`prev_seq`, `prev_to`) had not settled yet. Cursors only move
 * forward, so these regions never overlap and every event lies in at most one chunk.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";

/** A chunk's bounds (the columns of `settlement_chunks`). */
export interface ChunkBounds {
  seqFrom: number;
  seqTo: number;
  periodTo: number;
  prevSeq: number;
  prevTo: number;
}

/**
 * The chunk's events as a WHERE over `fee_events` with bound values: a rowid range (the cheapest
 * scan SQLite has) plus a filter. The "not settled before" clause only matters where the chunk
 * reaches back below the previous cursor, so it is left out elsewhere.
 */
export function chunkEvents(c: ChunkBounds): SQL {
  const fresh = c.seqFrom >= c.prevSeq ? sql`` : sql` AND NOT (seq <= ${c.prevSeq} AND created_at < ${c.prevTo})`;
  return sql`seq > ${c.seqFrom} AND seq <= ${c.seqTo} AND created_at < ${c.periodTo}${fresh}`;
}

/** The same rule joining `fee_events AS fe` to `settlement_chunks AS c` (column against column). */
export const IN_CHUNK = sql.raw(`fe.seq > c.seq_from AND fe.seq <= c.seq_to AND fe.created_at < c.period_to
  AND NOT (fe.seq <= c.prev_seq AND fe.created_at < c.prev_to)`);

/** Rows `a` and `b` have the same settlement key (beneficiary × payer × currency). */
export const sameKey = (a: string, b: string): SQL =>
  sql.raw(`${a}.beneficiary_id = ${b}.beneficiary_id AND ${a}.payer_uid = ${b}.payer_uid AND ${a}.currency = ${b}.currency`);

/** `fee_events AS fe` of a part `p` (same key), given {@link IN_CHUNK} with `c = p`'s chunk. */
export const OF_PART = sameKey("fe", "p");
