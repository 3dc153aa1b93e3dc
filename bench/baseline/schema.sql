-- Baseline table: the 14 columns of voucher_bookings (same types), a primary key and ONE
-- secondary index (key, slot_start). Recreated on every bench run.
DROP TABLE IF EXISTS bench_rows;
CREATE TABLE bench_rows (
  id TEXT PRIMARY KEY NOT NULL,
  key TEXT NOT NULL,
  issuer_uid TEXT NOT NULL,
  holder_uid TEXT NOT NULL,
  slot_start INTEGER NOT NULL,
  slot_end INTEGER NOT NULL,
  status TEXT NOT NULL,
  cancel_reason TEXT,
  origin_id TEXT NOT NULL,
  from_id TEXT,
  to_id TEXT,
  created_at INTEGER NOT NULL,
  cancelled_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX ix_bench_rows_key ON bench_rows (key, slot_start);
-- The 1,000 rows GET /select reads: one key, hourly slot starts.
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO bench_rows (id, key, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason, origin_id, from_id, to_id, created_at, cancelled_at, updated_at)
SELECT 'sel-' || i, 'select-key', 'benchIssuer', 'benchHolder', 1893456000000 + i * 3600000, 1893456000000 + i * 3600000 + 3600000,
       'cancelled', NULL, 'sel-' || i, NULL, NULL, 1800000000000 + i, NULL, 1800000000000 + i
FROM n;
