/**
 * `npx tsx bench/profile.ts`: where a booking's time goes. Runs the app's
 * `POST /api/voucher/book` next to the same SQL issued with raw D1 calls (bench/profile/), a
 * one-INSERT booking row, the baseline INSERT and bare D1 round trips, at 16 clients and at 1
 * client, and attributes CPU per request to the processes of the local stack. Writes
 * bench/PROFILE.md. Environment: BENCH_PROFILE_S (5, seconds per workload).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CpuSnapshot, cpuDelta, groupCpu } from "./lib/cpu";
import { type LoadResult, type RequestFactory, runLoad, summarize } from "./lib/load";
import { D1Counter, type D1Tally } from "./lib/d1count";
import { stopAll, stopServersOnExit, waitForHttp } from "./lib/proc";
import { HOUR, bookingGrid, exampleVars, issuePool, login, slotsHistorySql } from "./lib/setup";
import { type Served, applyAppMigrations, executeSqlFile, startAppInspected, startWorker } from "./lib/stack";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(ROOT);
const SECONDS = Number(process.env.BENCH_PROFILE_S) > 0 ? Number(process.env.BENCH_PROFILE_S) : 5;
const TMP = "bench/.tmp";
const APP_STATE = `${TMP}/profile-app-state`;
const PROFILE_STATE = `${TMP}/profile-state`;
const BASELINE_STATE = `${TMP}/profile-baseline-state`;
const PROFILE_CONFIG = "bench/profile/wrangler.toml";
const BASELINE_CONFIG = "bench/baseline/wrangler.toml";
const PROFILE_VOUCHERS = 30_000;
const step = (msg: string) => console.log(`\n▸ ${msg}`);

stopServersOnExit();

interface Row {
  name: string;
  concurrency: number;
  result: LoadResult;
  cpu: Map<string, number>;
  sent: number;
  d1: D1Tally;
}

async function main(): Promise<void> {
  const now = Date.now();
  const runId = now.toString(36);
  for (const d of [APP_STATE, PROFILE_STATE, BASELINE_STATE, `${TMP}/wrangler-logs`]) rmSync(d, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });

  step("databases: app migrations (app + profile Worker), baseline table");
  applyAppMigrations(APP_STATE);
  const slotsVoucherId = `v-prof-slots-${runId}`;
  const history = `${TMP}/profile-slots-history.sql`;
  writeFileSync(
    history,
    slotsHistorySql({ voucherId: slotsVoucherId, issuerUid: "profIssuer", holderUid: "profHolder", now }).sql,
  );
  executeSqlFile(APP_STATE, history);
  // The profile Worker's wrangler.toml points at the app's migrations.
  applyAppMigrations(PROFILE_STATE, PROFILE_CONFIG);
  const grid = bookingGrid(now);
  const seed = `${TMP}/profile-seed.sql`;
  writeFileSync(
    seed,
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${PROFILE_VOUCHERS - 1})
INSERT INTO vouchers (id, issuer_uid, holder_uid, template_id, service_type, title, description, duration_minutes, valid_from, valid_until, price_amount, price_currency, status, transferable, terms, created_at, updated_at)
SELECT 'pv-' || i, 'profileIssuer', NULL, NULL, 'generic.service', 'Profile voucher', '', 60, ${grid.validFrom}, ${grid.validUntil}, 5000, 'EUR', 'issued', 1, '{}', ${now}, ${now} FROM n;`,
  );
  executeSqlFile(PROFILE_STATE, seed, PROFILE_CONFIG);
  executeSqlFile(BASELINE_STATE, "bench/baseline/schema.sql", BASELINE_CONFIG);

  step("starting the app, the profile Worker and the baseline Worker");
  const app = await startAppInspected(APP_STATE, `${TMP}/profile-pages-dev.log`, "/api/voucher/templates");
  const prof = await startWorker("profile wrangler dev", PROFILE_CONFIG, PROFILE_STATE, `${TMP}/profile-dev.log`);
  const base = await startWorker("baseline wrangler dev", BASELINE_CONFIG, BASELINE_STATE, `${TMP}/profile-baseline-dev.log`);
  await Promise.all([
    waitForHttp(app.server, `${app.url}/api/voucher/templates`),
    waitForHttp(prof.server, `${prof.url}/rt?n=1`),
    waitForHttp(base.server, `${base.url}/select`),
  ]);

  step("app setup through the API: sessions and a voucher pool");
  const secret = exampleVars().MOT_SHARED_SECRET ?? "";
  const issuer = await login(app.url, `profIssuer${runId}`, secret);
  const holders = await Promise.all(Array.from({ length: 16 }, (_, i) => login(app.url, `profHolder${runId}n${i}`, secret)));
  const pool = await issuePool(app.url, issuer, { concurrency: 16, budgetMs: SECONDS * 4000, max: 100_000, now });
  console.log(`  ${pool.ids.length} vouchers`);

  const post = (url: string, body: unknown, session?: string) => ({
    url,
    init: {
      method: "POST",
      headers: { "content-type": "application/json", ...(session ? { authorization: `Bearer ${session}` } : {}) },
      body: JSON.stringify(body),
    },
  });
  let appNext = 0;
  let profNext = 0;
  const slotOf = (n: number) => grid.validFrom + (1 + (n % (grid.slots - 2))) * HOUR;
  const workloads: Array<{ name: string; server: Served; next: RequestFactory }> = [
    {
      name: "app POST /api/voucher/book",
      server: app,
      next: (c) => {
        const voucherId = pool.ids[appNext];
        const holder = holders[c % holders.length];
        if (voucherId === undefined || !holder) return null;
        const slotId = `slot-${new Date(slotOf(appNext++)).toISOString()}`;
        return post(`${app.url}/api/voucher/book`, { voucherId, slotId, holderUid: holder.uid }, holder.session);
      },
    },
    ...[3, 2, 1].map((rt) => ({
      name: `raw D1 booking, ${rt} round trips`,
      server: prof,
      next: (c: number) => {
        if (profNext >= PROFILE_VOUCHERS) return null;
        const n = profNext++;
        return post(`${prof.url}/book?rt=${rt}`, { voucherId: `pv-${n}`, slotStart: slotOf(n), holderUid: `profHolder${c}` });
      },
    })),
    {
      name: "raw D1: 1 INSERT into voucher_bookings",
      server: prof,
      next: (_c, seq) => post(`${prof.url}/insert-booking`, { voucherId: "pv-0", slot: seq }),
    },
    {
      name: "baseline POST /insert",
      server: base,
      next: (c, seq) => post(`${base.url}/insert`, { key: `k${c}`, slot: seq % 46 }),
    },
    {
      name: "app GET /api/slots/available (1,000 slots)",
      server: app,
      next: (c) => ({
        url: `${app.url}/api/slots/available?voucherId=${slotsVoucherId}`,
        init: { headers: { authorization: `Bearer ${holders[c % holders.length]?.session}` } },
      }),
    },
    { name: "baseline GET /select (1,000 rows)", server: base, next: () => ({ url: `${base.url}/select` }) },
    { name: "raw D1: 1 × SELECT 1", server: prof, next: () => ({ url: `${prof.url}/rt?n=1` }) },
    { name: "raw D1: 3 × SELECT 1 (sequential)", server: prof, next: () => ({ url: `${prof.url}/rt?n=3` }) },
  ];

  const rows: Row[] = [];
  const d1 = new D1Counter(`${TMP}/wrangler-logs`);
  for (const concurrency of [16, 1]) {
    for (const w of workloads) {
      const pgid = w.server.server.child.pid ?? 0;
      const before: CpuSnapshot = groupCpu(pgid, w.server.port);
      const logMark = d1.mark();
      const raw = await runLoad({ name: w.name, concurrency, warmupMs: 1000, durationMs: SECONDS * 1000, next: w.next });
      const cpu = cpuDelta(before, groupCpu(pgid, w.server.port));
      await d1.settle(); // wrangler appends its debug log asynchronously, seconds late on a loaded machine
      const result = summarize([raw]);
      cpu.set("client (node)", raw.cpuMs / 1000);
      const sent = raw.latencies.length + raw.warmupRequests;
      rows.push({ name: w.name, concurrency, result, cpu, sent, d1: d1.since(logMark) });
      console.log(
        `  c=${concurrency} ${w.name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(1)} ms, failures ${JSON.stringify(result.failures)}`,
      );
    }
  }
  await stopAll();

  const labels = ["client (node)", "wrangler (node)", "workerd proxy", "workerd runtime"];
  const perReq = (r: Row, l: string) => {
    const s = r.cpu.get(l) ?? 0;
    // The client's CPU is counted over the measured window only; the servers' over warm-up + window.
    return (s * 1000) / (l === "client (node)" ? Math.max(1, r.result.requests) : Math.max(1, r.sent));
  };
  const table = [
    `| Workload | Clients | req/s | p50 ms | p99 ms | Non-200 | D1 calls/req | D1 writes/req | ${labels.map((l) => `${l} CPU ms/req`).join(" | ")} | server CPU ms/req |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|${labels.map(() => "---:").join("|")}|---:|`,
    ...rows.map((r) => {
      const server = labels.slice(1).reduce((a, l) => a + perReq(r, l), 0);
      const fails = r.result.requests - r.result.ok;
      return `| ${r.name} | ${r.concurrency} | ${r.result.rps.toFixed(0)} | ${r.result.p50.toFixed(1)} | ${r.result.p99.toFixed(1)} | ${fails} | ${(r.d1.calls / Math.max(1, r.sent)).toFixed(2)} | ${(r.d1.writeCalls / Math.max(1, r.sent)).toFixed(2)} | ${labels.map((l) => perReq(r, l).toFixed(2)).join(" | ")} | ${server.toFixed(2)} |`;
    }),
  ].join("\n");
  const md = `# Booking profile

Generated by \`bench/profile.ts\` — ${new Date().toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()},
Node ${process.version}; ${SECONDS} s per workload after 1 s warm-up; load average at the end ${os.loadavg()[0]?.toFixed(2)}.

"raw D1" rows come from bench/profile/index.ts: the booking's exact SQL on the app's schema with
plain \`env.DB.prepare/batch\` calls, no framework. CPU per request is read from /proc for each process
of the server's group (warm-up included) and for the bench client (measured window).

${table}
`;
  writeFileSync("bench/PROFILE.md", md);
  console.log(`\n${table}\n\nwrote bench/PROFILE.md`);
}

try {
  await main();
} catch (err) {
  console.error(`\nprofile failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
