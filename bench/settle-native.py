#!/usr/bin/env python3
"""Where a settlement run's time goes, without workerd: replays the chunk statements of
src/settlements/run.ts (a copy: keep it in sync) against the project's migrations in the
machine's SQLite (Python's sqlite3), statement by statement, next to the bare aggregate over the
same rows.

    python3 bench/settle-native.py [events=100000] [chunk=100000]

Prints the aggregate, then the summed time of each statement kind over all chunks and the total
as a multiple of the aggregate. Used for the analysis in bench/README.md ("Settlement run").
Not part of npm test or CI.
"""
import glob
import os
import sqlite3
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CHUNK = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
DAY, DAY_MS = 1768435200000, 86400000
FROM, TO = DAY, DAY + DAY_MS
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CH = "(SELECT MAX(id) FROM settlement_chunks)"


def fresh(path):
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    for f in sorted(glob.glob(os.path.join(ROOT, "migrations", "*.sql"))):
        for stmt in open(f).read().split("--> statement-breakpoint"):
            if stmt.strip():
                c.executescript(stmt)
    # The events bench/settle.ts generates: one day, 1,000 payers x 3 currencies.
    c.execute(f"""INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency,
      base_amount, rate_ppm, fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {N - 1})
    SELECT printf('fe-bench-%09d', n), 'voucher.booking', 'charge', 'bench', printf('b-%09d', n),
      1 + (n * 7919) % 5000, CASE n % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'CHF' END,
      0, 20000, 0, 'half_up', 1, printf('payer-%04d', (n / 3) % 1000), 'platform:together-systems', NULL,
      {DAY} + (n * {DAY_MS - 1000}) / {N} FROM seq""")
    return c


def aggregate(c):
    times = []
    for _ in range(3):
        t = time.perf_counter()
        c.execute("""SELECT beneficiary_id, payer_uid, currency, SUM(amount), COUNT(*) FROM fee_events
          WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3""", (FROM, TO)).fetchall()
        times.append(time.perf_counter() - t)
    return sorted(times)[1]


def chunk_statements(lo, hi):
    events = f"seq > {lo} AND seq <= {hi} AND created_at < {TO}"
    key = "s.beneficiary_id = settlement_parts.beneficiary_id AND s.payer_uid = settlement_parts.payer_uid AND s.currency = settlement_parts.currency"
    return [
        ("lease", "UPDATE settlement_ledger SET lease_until = lease_until, updated_at = 1 WHERE id = 1 AND lease_owner = 'bench'"),
        ("lease guard", "INSERT INTO write_guards (guard) SELECT NULL WHERE changes() = 0"),
        ("cut chunk (with its events' sum)", f"""INSERT INTO settlement_chunks (period_from, period_to, seq_from, seq_to,
            prev_seq, prev_to, event_total, event_count, created_at)
          SELECT {FROM}, {TO}, {lo}, {hi}, 0, 0, COALESCE(SUM(amount), 0), COUNT(*), 1 FROM fee_events NOT INDEXED WHERE {events}"""),
        ("parts (per key)", f"""INSERT INTO settlement_parts (chunk_id, beneficiary_id, payer_uid, currency, total_amount, item_count)
          SELECT {CH}, beneficiary_id, payer_uid, currency, SUM(amount), COUNT(*) FROM fee_events NOT INDEXED
          WHERE {events} GROUP BY beneficiary_id, payer_uid, currency"""),
        ("open settlements", f"""INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency,
            total_amount, item_count, status, created_at, updated_at)
          SELECT 'st-' || lower(hex(randomblob(10))), beneficiary_id, payer_uid, {FROM}, {TO}, currency, 0, 0, 'open', 1, 1
          FROM settlement_parts WHERE settlement_parts.chunk_id = {CH}
          ON CONFLICT (beneficiary_id, payer_uid, period_from, period_to, currency) DO NOTHING"""),
        ("link parts", f"""UPDATE settlement_parts SET settlement_id = s.id FROM settlements AS s
          WHERE settlement_parts.chunk_id = {CH} AND {key} AND s.period_from = {FROM} AND s.period_to = {TO} AND s.status = 'open'"""),
        ("count progress", f"""UPDATE settlement_runs SET chunks = chunks + 1, updated_at = 1,
            assigned = assigned + (SELECT COALESCE(SUM(item_count), 0) FROM settlement_parts
              WHERE chunk_id = {CH} AND settlement_id IS NOT NULL)
          WHERE id = 'bench' RETURNING assigned"""),
    ]


def run(c):
    phases = {}
    c.execute("UPDATE settlement_ledger SET lease_owner = 'bench', lease_until = 9e15")
    c.execute(f"""INSERT INTO settlement_runs (id, period_from, period_to, status, lease_owner, lease_until, trigger,
      attempts, assigned, chunks, settlements, started_at, updated_at)
      VALUES ('bench', {FROM}, {TO}, 'running', 'bench', 9e15, 'admin', 1, 0, 0, 0, 1, 1)""")
    end = c.execute("SELECT MAX(seq) FROM fee_events").fetchone()[0]
    c.execute(f"""UPDATE settlement_ledger SET run_from = {FROM}, run_to = {TO}, run_seq = {end}, run_next = scan_from,
      run_scan_from = {end}""")
    start = time.perf_counter()
    for lo in range(0, end, CHUNK):
        c.execute("BEGIN")
        for name, q in chunk_statements(lo, min(lo + CHUNK, end)):
            t = time.perf_counter()
            c.execute(q).fetchall()
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        c.execute("COMMIT")
        phases["commit"] = phases.get("commit", 0.0) + time.perf_counter() - t
    t = time.perf_counter()
    c.execute(f"""UPDATE settlements SET total_amount = agg.total, item_count = agg.n
      FROM (SELECT settlement_id AS sid, SUM(total_amount) AS total, SUM(item_count) AS n FROM settlement_parts
        WHERE settlement_id IN (SELECT id FROM settlements WHERE period_from = {FROM} AND period_to = {TO}) GROUP BY 1) AS agg
      WHERE settlements.id = agg.sid""")
    phases["totals from parts"] = time.perf_counter() - t
    return time.perf_counter() - start, phases


def main():
    print(f"SQLite {sqlite3.sqlite_version}, {N:,} events, chunks of {CHUNK:,}")
    with tempfile.TemporaryDirectory() as tmp:
        c = fresh(os.path.join(tmp, "settle.db"))
        agg = aggregate(c)
        total, phases = run(c)
        print(f"  bare aggregate {agg:.3f} s; run {total:.3f} s = {total / agg:.2f} x the aggregate")
        for name, v in phases.items():
            print(f"    {name:30s} {v:7.3f} s  ({v / agg:.2f} x)")
        c.close()


main()
