#!/usr/bin/env python3
"""Where a settlement run's time goes, without workerd: replays the SQL of
src/settlements/run.ts (a copy: keep it in sync) against the project's migrations in the
machine's SQLite (Python's sqlite3), next to the bare aggregate over the same rows.

    python3 bench/settle-native.py [events=100000] [chunk=20000]

Prints one line per variant: as shipped; without the assignment trigger (tg_fee_events_assign);
and the bare assignment alone (one UPDATE of every row's settlement_id, trigger dropped, no
chunks, no grouping, no totals): the floor of any design that records each event's settlement.
Used for the analysis in bench/README.md ("Settlement run"). Not part of npm test or CI.
"""
import glob
import os
import sqlite3
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CHUNK = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
DAY, DAY_MS = 1768435200000, 86400000
FROM, TO = DAY, DAY + DAY_MS
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def fresh(path):
    for f in glob.glob(path + "*"):
        os.remove(f)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    for f in sorted(glob.glob(os.path.join(ROOT, "migrations", "*.sql"))):
        for stmt in open(f).read().split("--> statement-breakpoint"):
            if stmt.strip():
                c.executescript(stmt)
    # The events bench/settle.ts generates: one day, 1,000 payers x 3 currencies.
    c.execute(f"""INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency,
      base_amount, rate_ppm, fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id,
      settlement_id, created_at)
    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {N - 1})
    SELECT printf('fe-bench-%09d', n), 'voucher.booking', 'charge', 'bench', printf('b-%09d', n),
      1 + (n * 7919) % 5000, CASE n % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'CHF' END,
      0, 20000, 0, 'half_up', 1, printf('payer-%04d', (n / 3) % 1000), 'platform:together-systems', NULL, NULL,
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


def chunk_range(cur, b):
    upper = "(fee_events.created_at, fee_events.id) <= (?, ?)" if b else f"fee_events.created_at < {TO}"
    params = list(cur) + (list(b) if b else [])
    return f"fee_events.settlement_id IS NULL AND (fee_events.created_at, fee_events.id) > (?, ?) AND {upper}", params


def run(c):
    phases = dict(boundaries=0.0, open=0.0, assign=0.0, commit=0.0, finalize=0.0)
    cur = (-1, "")
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        b = c.execute(f"""SELECT created_at, id FROM fee_events INDEXED BY ix_fee_events_unassigned
          WHERE settlement_id IS NULL AND created_at < {TO} AND (created_at, id) > (?, ?)
          ORDER BY created_at, id LIMIT 1 OFFSET {CHUNK - 1}""", cur).fetchone()
        phases["boundaries"] += time.perf_counter() - t
        r, p = chunk_range(cur, b)
        c.execute("BEGIN")
        t = time.perf_counter()
        c.execute(f"""INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency,
            total_amount, item_count, status, created_at, updated_at, first_event_at)
          SELECT 'st-' || lower(hex(randomblob(10))), beneficiary_id, payer_uid, {FROM}, {TO}, currency,
            0, 0, 'open', 0, 0, MIN(created_at)
          FROM fee_events INDEXED BY ix_fee_events_unassigned WHERE {r}
            AND NOT EXISTS (SELECT 1 FROM settlements AS k WHERE k.beneficiary_id = fee_events.beneficiary_id
              AND k.payer_uid = fee_events.payer_uid AND k.period_from = {FROM} AND k.period_to = {TO}
              AND k.currency = fee_events.currency AND k.first_event_at <= fee_events.created_at)
          GROUP BY beneficiary_id, payer_uid, currency
          ON CONFLICT (beneficiary_id, payer_uid, period_from, period_to, currency) DO UPDATE
            SET first_event_at = excluded.first_event_at, updated_at = excluded.updated_at
            WHERE settlements.status = 'open'
              AND (settlements.first_event_at IS NULL OR excluded.first_event_at < settlements.first_event_at)""", p)
        phases["open"] += time.perf_counter() - t
        t = time.perf_counter()
        c.execute(f"""UPDATE fee_events INDEXED BY ix_fee_events_unassigned SET settlement_id = s.id
          FROM settlements AS s WHERE s.beneficiary_id = fee_events.beneficiary_id
            AND s.payer_uid = fee_events.payer_uid AND s.period_from = {FROM} AND s.period_to = {TO}
            AND s.currency = fee_events.currency AND s.status = 'open' AND {r}""", p)
        phases["assign"] += time.perf_counter() - t
        t = time.perf_counter()
        c.execute("COMMIT")
        phases["commit"] += time.perf_counter() - t
        if not b:
            break
        cur = b
    t = time.perf_counter()
    w = f"period_from = {FROM} AND period_to = {TO} AND status = 'open'"
    rng = f"""fee_events.created_at >= (SELECT MIN(first_event_at) FROM settlements WHERE {w})
      AND fee_events.created_at < {TO} AND fee_events.settlement_id IN (SELECT id FROM settlements WHERE {w})"""
    c.execute(f"""UPDATE settlements SET total_amount = agg.total, item_count = agg.n
      FROM (SELECT settlement_id AS sid, SUM(amount) AS total, COUNT(*) AS n FROM fee_events WHERE {rng}
        GROUP BY settlement_id) AS agg
      WHERE settlements.id = agg.sid AND (settlements.total_amount IS NOT agg.total OR settlements.item_count IS NOT agg.n)""")
    c.execute(f"SELECT currency, SUM(amount), COUNT(*) FROM fee_events WHERE {rng} GROUP BY currency").fetchall()
    phases["finalize"] = time.perf_counter() - t
    return time.perf_counter() - start, phases


def bare_assign(c):
    c.execute("DROP TRIGGER tg_fee_events_assign")
    c.execute(f"""INSERT INTO settlements (id, beneficiary_id, payer_uid, period_from, period_to, currency,
        total_amount, item_count, status, created_at, updated_at, first_event_at)
      SELECT 'st-' || lower(hex(randomblob(10))), beneficiary_id, payer_uid, {FROM}, {TO}, currency, 0, 0, 'open', 0, 0,
        MIN(created_at) FROM fee_events GROUP BY beneficiary_id, payer_uid, currency""")
    t = time.perf_counter()
    c.execute(f"""UPDATE fee_events SET settlement_id = s.id FROM settlements AS s
      WHERE s.beneficiary_id = fee_events.beneficiary_id AND s.payer_uid = fee_events.payer_uid
        AND s.currency = fee_events.currency AND fee_events.settlement_id IS NULL""")
    return time.perf_counter() - t, {}


def main():
    print(f"SQLite {sqlite3.sqlite_version}, {N:,} events, chunks of {CHUNK:,}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, prep, fn in [
            ("as shipped", [], run),
            ("without the assignment trigger", ["DROP TRIGGER tg_fee_events_assign"], run),
            ("bare assignment (one UPDATE, no trigger)", [], bare_assign),
        ]:
            c = fresh(os.path.join(tmp, "settle.db"))
            for stmt in prep:
                c.execute(stmt)
            agg = aggregate(c)
            total, phases = fn(c)
            detail = ", ".join(f"{k} {v:.3f}" for k, v in phases.items())
            print(f"  {name:42s} {total:7.3f} s = {total / agg:5.2f} x the aggregate ({agg:.3f} s){'; ' + detail if detail else ''}")
            c.close()


main()
