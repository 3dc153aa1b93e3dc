/**
 * `node --experimental-websocket --import tsx bench/runtime-profile.ts`: where the Worker
 * runtime's CPU goes while it serves `GET /api/slots/available` and `POST /api/voucher/book`, next
 * to the baseline Worker's SELECT and INSERT. Starts the same servers as `npm run bench`, samples
 * the runtime with the V8 profiler through the dev server's inspector while 16 clients load one
 * workload, maps every sample back to its source file through the bundle's source map, and writes
 * bench/RUNTIME-PROFILE.md (the raw `.cpuprofile` files stay in bench/.tmp/, loadable in DevTools).
 *
 * Only the runtime isolate is sampled: wrangler's Node process and the proxy workerd, which relay
 * every D1 call locally (see bench/README.md), are measured by bench/profile.ts instead.
 *
 * Environment: BENCH_PROFILE_S (8, seconds profiled per workload), BENCH_CONCURRENCY (16).
 * `BENCH_RUNTIME_UPLOAD=1` profiles the legal-hub upload of a 10 MiB PDF instead
 * (BENCH_UPLOAD_CONCURRENCY clients, default 4) and writes bench/RUNTIME-PROFILE-UPLOAD.md. (A bare
 * R2 put pipes its body natively: its isolate thread is too idle for a profile segment to count.)
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CpuProfile, type ProfileSummary, mapResolver, mergeSummaries, summarize } from "./lib/cpuprofile";
import { envNumber, f1, f2 } from "./lib/format";
import { type Inspector, connectInspector } from "./lib/inspector";
import { type RequestFactory, runLoad } from "./lib/load";
import { stopAll, stopServersOnExit, waitForHttp } from "./lib/proc";
import { HOUR, bookingGrid, exampleVars, issuePool, login, slotsHistorySql } from "./lib/setup";
import { UPLOAD_BYTES, multipartBody, pdfBytes } from "./lib/transfer-upload";
import { SourceIndex } from "./lib/sourcemap";
import { type Served, applyAppMigrations, executeSqlFile, startAppInspected, startWorker } from "./lib/stack";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(ROOT);
const SECONDS = envNumber("BENCH_PROFILE_S", 8);
const UPLOAD = process.env.BENCH_RUNTIME_UPLOAD === "1";
const CONCURRENCY = UPLOAD ? envNumber("BENCH_UPLOAD_CONCURRENCY", 4) : envNumber("BENCH_CONCURRENCY", 16);
const TMP = "bench/.tmp";
const STATE = `${TMP}/rprof-state`;
const BASELINE_STATE = `${TMP}/rprof-baseline-state`;
const BASELINE_CONFIG = "bench/baseline/wrangler.toml";
const step = (msg: string) => console.log(`\n▸ ${msg}`);

stopServersOnExit();

interface Profiled {
  name: string;
  requests: number;
  rps: number;
  failures: Record<string, number>;
  summary: ProfileSummary;
  /** Profiled one-second segments kept (sampled the request thread) and tried. */
  segments: { kept: number; tried: number };
}

/** Every `.map` under `dir` (the bundles wrangler writes to .wrangler/tmp), by file name. */
function mapFiles(dir: string, out = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) mapFiles(path, out);
    else if (name.endsWith(".map")) out.set(name, path);
  }
  return out;
}

/** The source map of a profiled script URL: next to the file, else found by name under .wrangler/tmp. */
function loadMap(url: string): SourceIndex | null {
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const candidates = [`${path}.map`, mapFiles(".wrangler/tmp").get(`${basename(path)}.map`)];
  for (const c of candidates) {
    if (c && existsSync(c)) {
      // Kept next to the profiles: wrangler deletes its bundle directory when it stops.
      mkdirSync(`${TMP}/bundles`, { recursive: true });
      copyFileSync(c, `${TMP}/bundles/${basename(c)}`);
      const js = c.slice(0, -".map".length);
      if (existsSync(js)) copyFileSync(js, `${TMP}/bundles/${basename(js)}`);
      return SourceIndex.fromJson(JSON.parse(readFileSync(c, "utf8")) as { sources: string[]; mappings: string });
    }
  }
  return null;
}

/** Inspector sessions by server. */
const inspectors = new Map<Served, Inspector>();

/** Opens the profiling session once the server is ready. */
async function attach(server: Served): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!readFileSync(server.server.logFile, "utf8").includes("Ready on http")) {
    if (server.server.exited() || Date.now() > deadline) throw new Error(`${server.server.name} did not get ready`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const inspector = await connectInspector(server.inspectorPort);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  inspectors.set(server, inspector);
}

/** Length of one profiled segment, ms. */
const SEGMENT_MS = 1000;
/** Fewer samples than this in a segment: the sampler watched a thread that runs no requests. */
const MIN_SAMPLES = 200;

/**
 * Profiles `name` under continuous load in one-second segments until SECONDS of segments that
 * sampled the request thread are collected. V8's sampler watches the thread that handled
 * `Profiler.start`; workerd handles inspector messages on its inspector thread when the isolate
 * is unlocked and on the request thread otherwise, so some segments sample an idle thread and
 * come back (nearly) empty. Those are dropped, with their requests; the rest are merged.
 */
async function profileWorkload(
  name: string,
  server: Served,
  next: RequestFactory,
  check?: (body: string) => boolean,
): Promise<Profiled> {
  const inspector = inspectors.get(server);
  if (!inspector) throw new Error(`${name}: no inspector attached`);
  // Warm the isolate first (JIT, caches), unprofiled.
  await runLoad({ name, concurrency: CONCURRENCY, warmupMs: 0, durationMs: 1500, next, check });

  let completed = 0;
  let running = true;
  const failures: Record<string, number> = {};
  let seq = 0;
  const clients = Array.from({ length: CONCURRENCY }, async (_, client) => {
    while (running) {
      const req = next(client, seq++);
      if (!req) throw new Error(`${name}: the workload ran out of requests`);
      const res = await fetch(req.url, req.init);
      const text = await res.text();
      if (res.status !== 200) failures[`HTTP ${res.status}`] = (failures[`HTTP ${res.status}`] ?? 0) + 1;
      else if (check && !check(text)) failures["200 with unexpected body"] = (failures["200 with unexpected body"] ?? 0) + 1;
      completed++;
    }
  });
  let summary: ProfileSummary | null = null;
  let requests = 0;
  let kept = 0;
  let tried = 0;
  try {
    while (kept < SECONDS && tried < SECONDS * 6) {
      tried++;
      await inspector.send("Profiler.start");
      const before = completed;
      await new Promise((r) => setTimeout(r, SEGMENT_MS));
      const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
      const done = completed - before;
      if (profile.samples.length < MIN_SAMPLES) continue;
      kept++;
      requests += done;
      if (kept === 1) writeFileSync(`${TMP}/${name.replace(/\W+/g, "-")}.cpuprofile`, JSON.stringify(profile));
      const part = summarize(profile, mapResolver(loadMap));
      summary = summary ? mergeSummaries(summary, part) : part;
    }
  } finally {
    running = false;
    await Promise.all(clients);
  }
  if (!summary) throw new Error(`${name}: no segment sampled the request thread in ${tried} tries`);
  const rps = requests / ((kept * SEGMENT_MS) / 1000);
  console.log(
    `  ${name}: ${kept} of ${tried} segments kept, ${requests} requests, ${rps.toFixed(0)} req/s, failures ${JSON.stringify(failures)}`,
  );
  return { name, requests, rps, failures, summary, segments: { kept, tried } };
}

function section(p: Profiled): string {
  const perReq = (us: number) => f2(us / 1000 / Math.max(1, p.requests));
  const s = p.summary;
  const cats = s.categories.slice(0, 18);
  const fns = s.functions.slice(0, 20);
  return `### ${p.name}

${p.requests} requests in ${p.segments.kept} profiled seconds (${p.segments.kept} of ${p.segments.tried} one-second segments kept; ${p.rps.toFixed(0)} req/s, failures ${JSON.stringify(p.failures)}); runtime busy
${f1((100 * s.busyUs) / Math.max(1, s.totalUs))} % of the sampled time, **${perReq(s.busyUs)} ms of runtime CPU per request**.

| Where (source file, package, builtin) | self ms/req | inclusive ms/req | self share |
|---|---:|---:|---:|
${cats.map((b) => `| ${b.name} | ${perReq(b.selfUs)} | ${perReq(b.inclusiveUs)} | ${f1((100 * b.selfUs) / Math.max(1, s.busyUs))} % |`).join("\n")}

| Function (where) | self ms/req |
|---|---:|
${fns.map((b) => `| ${b.name.replaceAll("|", "\\|")} | ${perReq(b.selfUs)} |`).join("\n")}

Mapped from: ${[...s.examples]
    .filter(([cat]) => cats.some((b) => b.name === cat))
    .map(([cat, src]) => `${cat} ← \`${src}\``)
    .join("; ")}.
`;
}

async function main(): Promise<void> {
  const now = Date.now();
  const runId = now.toString(36);
  for (const d of [STATE, BASELINE_STATE]) rmSync(d, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });

  step("databases: app migrations + slots voucher history, baseline table");
  applyAppMigrations(STATE);
  const slotsVoucherId = `v-rprof-slots-${runId}`;
  const issuerUid = `rprofIssuer${runId}`;
  const holderUids = Array.from({ length: CONCURRENCY }, (_, i) => `rprofHolder${runId}n${i}`);
  const historyFile = `${TMP}/rprof-slots-history.sql`;
  writeFileSync(
    historyFile,
    slotsHistorySql({ voucherId: slotsVoucherId, issuerUid, holderUid: holderUids[0] ?? issuerUid, now }).sql,
  );
  executeSqlFile(STATE, historyFile);
  executeSqlFile(BASELINE_STATE, "bench/baseline/schema.sql", BASELINE_CONFIG);

  step("starting the app and the baseline");
  // Started until its inspector watches the Pages Worker: else the profiler samples the idle backend.
  const app = await startAppInspected(STATE, `${TMP}/rprof-pages-dev.log`, "/api/voucher/templates");
  const base = await startWorker("baseline wrangler dev", BASELINE_CONFIG, BASELINE_STATE, `${TMP}/rprof-baseline-dev.log`);
  await Promise.all([attach(app), attach(base)]);
  await Promise.all([
    waitForHttp(app.server, `${app.url}/api/voucher/templates`),
    waitForHttp(base.server, `${base.url}/select?key=select-key`),
  ]);

  step("sessions and a voucher pool through the API");
  const secret = exampleVars().MOT_SHARED_SECRET ?? "";
  const issuer = await login(app.url, issuerUid, secret);
  const holders = await Promise.all(holderUids.map((uid) => login(app.url, uid, secret)));
  const results: Profiled[] = [];
  if (UPLOAD) {
    step("profiling the upload");
    const upload = multipartBody(pdfBytes(UPLOAD_BYTES), "rprof-10mib.pdf");
    results.push(
      await profileWorkload(
        "app POST /api/contracts/upload (10 MiB PDF, multipart)",
        app,
        (c) => ({
          url: `${app.url}/api/contracts/upload`,
          init: {
            method: "POST",
            headers: { "content-type": upload.contentType, authorization: `Bearer ${(holders[c] ?? issuer).session}` },
            body: upload.body,
          },
        }),
        (body) => body.includes('"ok":true'),
      ),
    );
  } else {
    const pool = await issuePool(app.url, issuer, {
      concurrency: CONCURRENCY,
      budgetMs: (SECONDS + 2) * 2500,
      max: 100_000,
      now,
    });
    console.log(`  ${pool.ids.length} vouchers`);

    const grid = bookingGrid(now);
    let nextVoucher = 0;
    const session = (c: number) => (holders[c] ?? issuer).session;
    step("profiling");
    results.push(
      await profileWorkload(
        "app GET /api/slots/available (1,000 slots)",
        app,
        (c) => ({
          url: `${app.url}/api/slots/available?voucherId=${slotsVoucherId}`,
          init: { headers: { authorization: `Bearer ${session(c)}` } },
        }),
        (body) => body.includes('"ok":true'),
      ),
    );
    results.push(
      await profileWorkload(
        "app POST /api/voucher/book",
        app,
        (c) => {
          const voucherId = pool.ids[nextVoucher];
          const holder = holders[c] ?? issuer;
          if (voucherId === undefined) return null;
          const slot = grid.validFrom + (1 + (nextVoucher++ % (grid.slots - 2))) * HOUR;
          return {
            url: `${app.url}/api/voucher/book`,
            init: {
              method: "POST",
              headers: { "content-type": "application/json", authorization: `Bearer ${holder.session}` },
              body: JSON.stringify({ voucherId, slotId: `slot-${new Date(slot).toISOString()}`, holderUid: holder.uid }),
            },
          };
        },
        (body) => body.includes('"ok":true'),
      ),
    );
    results.push(
      await profileWorkload("baseline GET /select (1,000 rows)", base, () => ({ url: `${base.url}/select?key=select-key` })),
    );
    results.push(
      await profileWorkload("baseline GET /select-items (1,000 rows in the slots item shape)", base, () => ({
        url: `${base.url}/select-items?key=select-key`,
      })),
    );
    results.push(
      await profileWorkload("baseline POST /insert", base, (c, seq) => ({
        url: `${base.url}/insert`,
        init: {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ key: `k${c}`, slot: seq % 46 }),
        },
      })),
    );
  }
  for (const inspector of inspectors.values()) inspector.close();
  await stopAll();

  const md = `# Runtime profile

Generated by \`bench/runtime-profile.ts\` — ${new Date().toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()},
Node ${process.version}; ${CONCURRENCY} clients, ${SECONDS} one-second segments profiled per workload after 1.5 s of unprofiled warm-up;
V8 sampling profiler of the Worker runtime (100 µs interval) through the dev server's inspector. Load average at the end
${os.loadavg()[0]?.toFixed(2)}.

Only the runtime isolate is sampled, not wrangler's Node process or the proxy workerd that relay each local D1 call
(bench/profile.ts measures those per process). "self" is time in code of that file/package itself, "inclusive" is time
with it anywhere on the stack (what it called included). "(native: runtime outside JS)" is workerd's C++ (I/O, the
D1 binding's plumbing, Request/Response objects), "builtin …" are V8 builtins called from JavaScript (JSON, Date, RegExp…).
Per-request figures divide by the requests completed during the kept segments; the profiler's own overhead is included.
V8 samples the thread that handled \`Profiler.start\`, which in workerd is sometimes its inspector thread: such segments
come back nearly empty and are dropped (their count is given per workload).

${results.map(section).join("\n")}`;
  const out = UPLOAD ? "bench/RUNTIME-PROFILE-UPLOAD.md" : "bench/RUNTIME-PROFILE.md";
  writeFileSync(out, md);
  console.log(`\nwrote ${out}`);
}

try {
  await main();
} catch (err) {
  console.error(`\nruntime profile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
