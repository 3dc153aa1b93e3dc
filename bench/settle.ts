/**
 * `npm run bench:settle`: a settlement run over 100,000 and 1,000,000 fee events in
 * the local D1, next to the bare aggregate over the same rows, in the same run.
 *
 * For each size N, on a fresh state directory:
 * 1. migrate, then generate N fee events of one UTC day with ONE recursive-CTE INSERT
 *    (1,000 payers × 3 currencies, one beneficiary; amounts 1…5000 minor units);
 * 2. baseline: `bench/settle-baseline/` (same D1 file) runs the bare
 *    `SELECT … SUM(amount), COUNT(*) … GROUP BY beneficiary, payer, currency` three times; the
 *    median wall time is the floor, and its per-currency sums are the expected settlement totals;
 * 3. settlement: the app as `npm start` serves it; `POST /api/admin/settlements/run` for that day
 *    (the cron's code path), wall time measured by the client; the resident memory (VmRSS) of
 *    every process of the app's process group (wrangler + workerd) sampled every 50 ms —
 *    peak minus the idle level just before the run is the run's memory;
 * 4. correctness: the run's reconciliation must equal the baseline's per-currency sums and count N.
 *
 * Targets: settle ≤ 3 × the bare aggregate; linear growth (time per event at 1M ≈ at 100k);
 * peak memory not growing with N. Results go into the `bench:settle` section of RESULTS.md.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { machineLine } from "./lib/format";
import { freePort, machineInfo, startServer, stopAll, stopServer, stopServersOnExit, waitForHttp, type Server } from "./lib/proc";
import { writeSection } from "./lib/results-file";
import { applyAppMigrations, executeSqlFile, startApp } from "./lib/stack";
import { exampleVars } from "./lib/setup";
import { DEFAULT_CHUNK_SIZE } from "../src/settlements/run";

const TMP = "bench/.tmp/settle";
const SIZES = (process.env.BENCH_SETTLE_SIZES ?? "100000,1000000").split(",").map(Number);
const DAY = Date.UTC(2026, 0, 15);
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Measured {
  n: number;
  baselineMs: number[];
  settleMs: number;
  ratio: number;
  idleRssMb: number;
  peakRssMb: number;
  runRssMb: number;
  settlements: number;
  chunks: number;
  /** The run's own timing (ms): lease and cut, chunk batches, adoption + totals + reconciliation. */
  phases: Record<string, number>;
  totalsMatch: boolean;
}

stopServersOnExit();

/** The SQL that inserts `n` fee events spread over the bench day. */
function generatorSql(n: number): string {
  return `INSERT INTO fee_events (id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm,
  fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, reverses_id, created_at)
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${n - 1})
SELECT printf('fe-bench-%09d', n), 'voucher.booking', 'charge', 'bench', printf('b-%09d', n),
  1 + (n * 7919) % 5000, CASE n % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'CHF' END,
  0, 20000, 0, 'half_up', 1, printf('payer-%04d', (n / 3) % 1000), 'platform:together-systems', NULL,
  ${DAY} + (n * ${DAY_MS - 1000}) / ${n}
FROM seq;`;
}

/** Resident memory (MB) of every process in the process group `pgid`. */
function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name (which may contain spaces): state ppid pgrp …
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp !== pgid) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // process ended while we looked
    }
  }
  return kb / 1024;
}

async function measure(n: number): Promise<Measured> {
  const dir = `${TMP}/${n}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const state = `${dir}/state`;
  console.log(`\n■ ${n.toLocaleString("en")} fee events`);
  applyAppMigrations(state);
  const gen = `${dir}/generate.sql`;
  writeFileSync(gen, generatorSql(n));
  let t = performance.now();
  executeSqlFile(state, gen);
  console.log(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // Baseline: the bare aggregate, three times (median), with its sums as the expected totals.
  const port = await freePort();
  const inspector = await freePort();
  const base: Server = startServer(
    "settle baseline",
    "npx",
    [
      "wrangler",
      "dev",
      "--config",
      "bench/settle-baseline/wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
    ],
    `${dir}/baseline.log`,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(base, `${baseUrl}/health`);
  const baselineMs: number[] = [];
  let expected: Record<string, number> = {};
  let groups = 0;
  for (let i = 0; i < 4; i++) {
    t = performance.now();
    const res = await fetch(`${baseUrl}/aggregate?from=${DAY}&to=${DAY + DAY_MS}`);
    const body = (await res.json()) as { totals: Record<string, number>; groups: number };
    const ms = performance.now() - t;
    if (i > 0) baselineMs.push(ms); // the first one warms the page cache and the isolate
    expected = body.totals;
    groups = body.groups;
  }
  await stopServer(base);
  baselineMs.sort((a, b) => a - b);
  console.log(`  bare aggregate: ${baselineMs.map((x) => x.toFixed(0)).join(" / ")} ms (${groups} groups)`);

  // The settlement through the admin API, with the memory sampler running.
  const app = await startApp(state, `${dir}/app.log`);
  await waitForHttp(app.server, `${app.url}/api/voucher/templates`);
  // The baseline's first call warms its isolate and is discarded; the same for the app: one admin
  // read (token check, router, D1 binding) before the timed run. It touches no fee event.
  const warm = await fetch(`${app.url}/api/admin/settlements?limit=1`, {
    headers: { authorization: `Bearer ${exampleVars().ADMIN_TOKEN}` },
  });
  if (warm.status !== 200) throw new Error(`warm-up → ${warm.status}`);
  await warm.arrayBuffer();
  const pgid = app.server.child.pid ?? 0;
  await new Promise((r) => setTimeout(r, 1_000));
  const idle = groupRssMb(pgid);
  let peak = idle;
  const sampler = setInterval(() => {
    peak = Math.max(peak, groupRssMb(pgid));
  }, 50);
  t = performance.now();
  const res = await fetch(`${app.url}/api/admin/settlements/run`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${exampleVars().ADMIN_TOKEN}` },
    body: JSON.stringify({ from: iso(DAY), to: iso(DAY + DAY_MS) }),
    signal: AbortSignal.timeout(1_800_000),
  });
  const settleMs = performance.now() - t;
  clearInterval(sampler);
  const text = await res.text();
  await stopServer(app.server);
  if (res.status !== 200) throw new Error(`settlement run → ${res.status}: ${text.slice(0, 500)}`);
  const run = (
    JSON.parse(text) as {
      run: {
        assigned: number;
        chunks: number;
        settlements: number;
        phases: Record<string, number>;
        reconciliation: { currency: string; eventTotal: number; eventCount: number; ok: boolean }[];
      };
    }
  ).run;
  console.log(`  phases (ms): ${JSON.stringify(run.phases)}`);
  const got = Object.fromEntries(run.reconciliation.map((r) => [r.currency, r.eventTotal]));
  const count = run.reconciliation.reduce((a, r) => a + r.eventCount, 0);
  const totalsMatch =
    JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(expected).sort()) &&
    count === n &&
    run.assigned === n &&
    run.settlements === groups &&
    run.reconciliation.every((r) => r.ok);
  const median = baselineMs[Math.floor(baselineMs.length / 2)] ?? Number.NaN;
  console.log(
    `  settlement: ${(settleMs / 1000).toFixed(2)} s, ${run.chunks} chunks, ${run.settlements} settlements — ${(settleMs / median).toFixed(2)} × the aggregate; RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; totals ${totalsMatch ? "match" : "DIFFER"}`,
  );
  rmSync(state, { recursive: true, force: true });
  return {
    n,
    baselineMs,
    settleMs,
    ratio: settleMs / median,
    idleRssMb: idle,
    peakRssMb: peak,
    runRssMb: peak - idle,
    settlements: run.settlements,
    chunks: run.chunks,
    phases: run.phases,
    totalsMatch,
  };
}

function report(results: Measured[]): string {
  const m = machineInfo();
  const row = (m: Measured) =>
    `| ${m.n.toLocaleString("en")} | ${(m.baselineMs[Math.floor(m.baselineMs.length / 2)] ?? 0).toFixed(0)} ms | ${(m.settleMs / 1000).toFixed(2)} s | **${m.ratio.toFixed(2)} ×** | ${((m.settleMs * 1000) / m.n).toFixed(1)} µs | ${m.chunks} | ${m.settlements} | ${m.idleRssMb.toFixed(0)} → ${m.peakRssMb.toFixed(0)} MB (+${m.runRssMb.toFixed(0)}) | ${phases(m)} | ${m.totalsMatch ? "yes" : "**NO**"} |`;
  const phases = (m: Measured) =>
    ["begin", "chunks", "finalize"].map((k) => ((m.phases[k] ?? Number.NaN) / 1000).toFixed(2)).join(" / ");
  const small = results[0];
  const big = results[results.length - 1];
  const lines = [
    "## Settlement run (`npm run bench:settle`)",
    "",
    `Run ${new Date().toISOString()} on ${machineLine(m)}, Node ${m.node}, wrangler ${m.wrangler}. One UTC day of fee events (1,000 payers × 3 currencies), settled through \`POST /api/admin/settlements/run\` (the cron's code path, chunks of ${DEFAULT_CHUNK_SIZE.toLocaleString("en")} events = one D1 batch each) on the local stack; baseline: the bare \`SELECT … SUM … GROUP BY beneficiary, payer, currency\` over the same rows in the same D1 (median of 3 after a warm-up). Memory: VmRSS of all processes of the app (wrangler + workerd), idle → peak during the run. Phases: the run's own timing in seconds. Why the ratio is what it is: [README.md](README.md#settlement-run-npm-run-benchsettle).`,
    "",
    "| fee events | bare aggregate | settlement | settle / aggregate | per event | chunks | settlements | RSS idle → peak | phases s: begin / chunks / finalize | totals = aggregate |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ...results.map(row),
  ];
  if (small && big && small !== big) {
    const growth = big.settleMs / big.n / (small.settleMs / small.n);
    lines.push(
      "",
      `Targets: settle ≤ 3 × aggregate — ${results.map((m) => `${m.n.toLocaleString("en")}: ${m.ratio.toFixed(2)} × ${m.ratio <= 3 ? "PASS" : "FAIL"}`).join(", ")}; linear growth — time per event at ${big.n.toLocaleString("en")} is ${growth.toFixed(2)} × that at ${small.n.toLocaleString("en")} (${growth <= 1.5 ? "PASS" : "FAIL"}, ≤ 1.5); flat memory — the run adds ${small.runRssMb.toFixed(0)} MB at ${small.n.toLocaleString("en")} and ${big.runRssMb.toFixed(0)} MB at ${big.n.toLocaleString("en")} (${big.runRssMb <= Math.max(2 * small.runRssMb, 32) ? "PASS" : "FAIL"}, ≤ max(2 × the smaller run's, 32 MB)).`,
    );
  }
  return lines.join("\n");
}

try {
  const results: Measured[] = [];
  for (const n of SIZES) results.push(await measure(n));
  const section = report(results);
  console.log(`\n${section}`);
  writeSection("settle", section);
  console.log("\nwrote the bench:settle section of bench/RESULTS.md");
  if (results.some((m) => !m.totalsMatch)) process.exitCode = 1;
} finally {
  await stopAll();
}
