/**
 * `npm run bench`: measures the local stack `npm start` serves against a one-statement D1 baseline
 * Worker, in one run, and writes bench/RESULTS.md. See bench/README.md.
 *
 * Environment: BENCH_CONCURRENCY (16), BENCH_WARMUP_S (3), BENCH_DURATION_S (10, per workload, split
 * over the rounds), BENCH_ROUNDS (5), BENCH_UPLOAD_CONCURRENCY (4), BENCH_TELEMETRY_CLIENTS (8),
 * BENCH_TELEMETRY_ITEMS (10), BENCH_TELEMETRY_CALLERS (96).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureBundle } from "./lib/bundle";
import { type LoadOptions, type LoadResult, type RawRun, percentile, runLoad, summarize } from "./lib/load";
import { D1Counter, type D1Tally, EMPTY_TALLY, addTally } from "./lib/d1count";
import { envNumber } from "./lib/format";
import { freezeServer, stopAll, stopServersOnExit, waitForHttp, machineInfo } from "./lib/proc";
import { cpuBusy, cpuTimes } from "./lib/cpu";
import {
  applyAppMigrations,
  copyD1State,
  executeSqlFile,
  startAppInspected,
  startBackendWorker,
  startPagesBaseline,
  startWorker,
  stillInspected,
} from "./lib/stack";
import { type BenchReport, type RoundStat, type ServerTimes, ratioTable, resultsMarkdown, resultsTable } from "./lib/report";
import { HOUR, type Identity, bookingGrid, exampleVars, issuePool, login, postJson, slotsHistorySql } from "./lib/setup";
import { writeKeepingSections } from "./lib/results-file";
import { AcceptPool, grantParty } from "./lib/mortgage-setup";
import { type BurstStats, NO_BURST, addBurst, startTelemetryBurst } from "./lib/telemetry-burst";
import { TRANSFER_BODY, UPLOAD_BYTES, multipartBody, pdfBytes } from "./lib/transfer-upload";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(ROOT);

const CONCURRENCY = envNumber("BENCH_CONCURRENCY", 16);
const WARMUP_S = envNumber("BENCH_WARMUP_S", 3);
const DURATION_S = envNumber("BENCH_DURATION_S", 10);
const ROUNDS = envNumber("BENCH_ROUNDS", 5);
/** Clients of the upload and R2 put workloads: each request carries 10 MiB, so fewer than the others. */
const UPLOAD_CONCURRENCY = envNumber("BENCH_UPLOAD_CONCURRENCY", 4);
/**
 * The 10 MiB workloads' windows are this many times longer: a slice starts with every client still
 * in its warm-up request, which for a request of a second or more is a large, unmeasured share of
 * a short window and would weigh on the slower side of the comparison.
 */
const UPLOAD_WINDOW_SCALE = envNumber("BENCH_UPLOAD_WINDOW_SCALE", 4);
/** The telemetry burst: clients, items per batch, and verified callers the requests rotate over. */
const TELEMETRY_CLIENTS = envNumber("BENCH_TELEMETRY_CLIENTS", 8);
const TELEMETRY_ITEMS = envNumber("BENCH_TELEMETRY_ITEMS", 10);
const TELEMETRY_CALLERS = envNumber("BENCH_TELEMETRY_CALLERS", 96);

const TMP = "bench/.tmp";
const STATE = `${TMP}/state`;
const BASELINE_STATE = `${TMP}/baseline-state`;
/** The backend Worker's state: a copy of the app's D1 taken after the setup (see startBackendWorker). */
const BACKEND_STATE = `${TMP}/backend-state`;
const BASELINE_CONFIG = "bench/baseline/wrangler.toml";
const WRANGLER_LOGS = `${TMP}/wrangler-logs`;

const step = (msg: string) => console.log(`\n▸ ${msg}`);

stopServersOnExit();

async function main(): Promise<void> {
  const now = Date.now();
  const runId = now.toString(36);
  rmSync(STATE, { recursive: true, force: true });
  rmSync(BASELINE_STATE, { recursive: true, force: true });
  rmSync(BACKEND_STATE, { recursive: true, force: true });
  rmSync(WRANGLER_LOGS, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });

  // ── Databases (before the servers start: nothing else has the SQLite files open) ─────────────
  step("app D1: applying migrations to bench/.tmp/state");
  applyAppMigrations(STATE);

  const issuerUid = `benchIssuer${runId}`;
  const holderUids = Array.from({ length: CONCURRENCY }, (_, i) => `benchHolder${runId}n${i}`);
  const slotsVoucherId = `v-bench-slots-${runId}`;
  const history = slotsHistorySql({ voucherId: slotsVoucherId, issuerUid, holderUid: holderUids[0] ?? issuerUid, now });
  const historyFile = `${TMP}/slots-history.sql`;
  writeFileSync(historyFile, history.sql);
  step("app D1: slots voucher with 1,000 booking rows (wrangler d1 execute --file)");
  executeSqlFile(STATE, historyFile);

  step("baseline D1: bench_rows table + 1,000 rows (bench/baseline/schema.sql)");
  executeSqlFile(BASELINE_STATE, "bench/baseline/schema.sql", BASELINE_CONFIG);

  // ── Bundle size (before the servers, so the builds do not compete with them) ────────────────
  step("building the Pages Functions bundle (plain and --minify)");
  const bundle = measureBundle(TMP);
  console.log(`  plain ${bundle.plain.raw} B raw, ${bundle.plain.gzip} B gzip; minified ${bundle.minified.raw} B raw`);

  // ── Servers ──────────────────────────────────────────────────────────────────────────────────
  const baseline = await startWorker("baseline wrangler dev", BASELINE_CONFIG, BASELINE_STATE, `${TMP}/baseline-dev.log`);
  // The app's inspector must watch the Pages Worker, as the baseline's watches the baseline.
  const app = await startAppInspected(STATE, `${TMP}/pages-dev.log`, "/api/voucher/templates");
  step(`started wrangler pages dev on :${app.port} and the baseline (wrangler dev) on :${baseline.port}`);
  const base = app.url;
  const baseUrl = baseline.url;
  await waitForHttp(baseline.server, `${baseUrl}/select?key=select-key`);
  const pagesBaseline = await startPagesBaseline(`${TMP}/pages-baseline-state`, `${TMP}/pages-baseline-dev.log`);
  await waitForHttp(pagesBaseline.server, `${pagesBaseline.url}/index.txt`);
  console.log(`  all servers answer (the Pages R2 put baseline on :${pagesBaseline.port})`);

  // ── Setup through the API ───────────────────────────────────────────────────────────────────
  step(`verifying signed links: 1 issuer + ${CONCURRENCY} holders`);
  const secret = exampleVars().MOT_SHARED_SECRET ?? "";
  const issuer = await login(base, issuerUid, secret);
  const holders: Identity[] = await Promise.all(holderUids.map((uid) => login(base, uid, secret)));

  const slotsUrl = `${base}/api/slots/available?voucherId=${encodeURIComponent(slotsVoucherId)}`;
  const probe = await fetch(slotsUrl, { headers: { authorization: `Bearer ${holders[0]?.session}` } });
  const probeText = await probe.text();
  const probeItems = (JSON.parse(probeText) as { items?: unknown[] }).items?.length ?? 0;
  if (probe.status !== 200 || probeItems !== 1000) {
    throw new Error(`slots probe: expected 200 with 1,000 items, got ${probe.status}: ${probeText.slice(0, 300)}`);
  }

  // Issuing runs at least as fast as booking (fewer round trips), so issuing for 1.5× the time
  // booking will run yields enough vouchers; a shortfall is detected and reported.
  const poolBudgetMs = (WARMUP_S + DURATION_S + ROUNDS) * 1500;
  step(`issuing booking vouchers through the API (${CONCURRENCY} clients, up to ${poolBudgetMs / 1000} s)`);
  const pool = await issuePool(base, issuer, { concurrency: CONCURRENCY, budgetMs: poolBudgetMs, max: 100_000, now });
  console.log(`  ${pool.ids.length} vouchers in ${(pool.ms / 1000).toFixed(1)} s`);

  // The mortgage accept workload: a lender (role through the admin API) and one borrower per
  // client, each with a property. Its open offers are made right before each accept slice
  // (acceptTopUp), sized from the rates measured so far.
  const lenderUid = `benchLender${runId}`;
  const borrowerUids = Array.from({ length: CONCURRENCY }, (_, i) => `benchBorrower${runId}n${i}`);
  step(`mortgage: lender role for 1 lender, ${CONCURRENCY} borrowers verify signed links and register a property each`);
  const lender = await login(base, lenderUid, secret);
  await grantParty(base, exampleVars().ADMIN_TOKEN ?? "", lenderUid, ["lender"], "Bench Bank");
  const borrowers: Identity[] = await Promise.all(borrowerUids.map((uid) => login(base, uid, secret)));
  const acceptPool = await AcceptPool.create(base, lender, borrowers, now);

  // The telemetry burst's callers: enough that no caller reaches the per-minute limit (see
  // lib/telemetry-burst.ts). The booking under the burst books from its own voucher pool, issued
  // right before each of its slices (burstTopUp), so the plain booking workload's pool is untouched.
  step(`telemetry burst: ${TELEMETRY_CALLERS} callers verify signed links`);
  const telemetryCallers: Identity[] = [];
  for (let i = 0; i < TELEMETRY_CALLERS; i += CONCURRENCY) {
    const uids = Array.from({ length: Math.min(CONCURRENCY, TELEMETRY_CALLERS - i) }, (_, j) => `benchTele${runId}n${i + j}`);
    telemetryCallers.push(...(await Promise.all(uids.map((uid) => login(base, uid, secret)))));
  }
  // The control burst's callers: as many, each session ended right after its login.
  const controlCallers: Identity[] = [];
  for (let i = 0; i < TELEMETRY_CALLERS; i += CONCURRENCY) {
    const uids = Array.from({ length: Math.min(CONCURRENCY, TELEMETRY_CALLERS - i) }, (_, j) => `benchCtl${runId}n${i + j}`);
    const ids = await Promise.all(uids.map((uid) => login(base, uid, secret)));
    await Promise.all(ids.map((id) => postJson(base, "/api/presence/logout", { session: id.session })));
    controlCallers.push(...ids);
  }
  /** The booking-under-burst pool: vouchers issued before each of its slices, taken in order. */
  const burstPool = { ids: [] as string[], next: 0 };
  let burstIssueMs = 0;
  // The backend Worker serves the upload route on a copy of the app's D1 as it is now (the
  // holders' sessions are in it). Nothing writes to the app's D1 at this point.
  step("starting the backend Worker (the upload route of a zone route) on a copy of the app's D1");
  copyD1State(STATE, BACKEND_STATE);
  const backendApi = await startBackendWorker(BACKEND_STATE, `${TMP}/backend-dev.log`);
  await waitForHttp(backendApi.server, `${backendApi.url}/api/contracts/upload`, 120_000, 405);
  console.log(`  the backend Worker answers on :${backendApi.port}`);
  // The servers measured in one workload only are frozen outside its slices: after taking 10 MiB
  // bodies, an idle runtime (the backend Worker's, the Pages put baseline's) was seen spinning a
  // core in V8's garbage-collector sweeper (docs/benchmarks.md), which slowed every other slice.
  const frozenOutsideSlices = new Map([
    ["upload-worker", backendApi.server],
    ["r2put-pages", pagesBaseline.server],
  ]);
  for (const server of frozenOutsideSlices.values()) freezeServer(server, true);
  const upload = multipartBody(pdfBytes(UPLOAD_BYTES), "bench-10mib.pdf");
  const r2Bytes = pdfBytes(UPLOAD_BYTES);

  // ── Workloads ───────────────────────────────────────────────────────────────────────────────
  // Each workload runs in ROUNDS slices, interleaved (book, INSERT, slots, SELECT, book, …), so
  // background load on the machine hits app and baseline alike; the slices are merged per workload.
  const grid = bookingGrid(now);
  const json = { "content-type": "application/json" };
  const bookPool = { ids: pool.ids, next: 0 };
  /**
   * Booking requests on the vouchers of `from`, each voucher once, on a free slot of the grid.
   * The plain booking workload and the ones beside a telemetry burst (started and stopped around
   * their slices below) take vouchers from pools of their own.
   */
  const bookFrom = (name: "book" | "book-burst" | "book-control", from: { ids: string[]; next: number }) => ({
    name,
    next: (client: number) => {
      const voucherId = from.ids[from.next];
      if (voucherId === undefined) return null;
      const slot = 1 + (from.next++ % (grid.slots - 2));
      const holder = holders[client] ?? issuer;
      return {
        url: `${base}/api/voucher/book`,
        init: {
          method: "POST",
          headers: { ...json, authorization: `Bearer ${holder.session}` },
          body: JSON.stringify({
            voucherId,
            slotId: `slot-${new Date(grid.validFrom + slot * HOUR).toISOString()}`,
            holderUid: holder.uid,
          }),
        },
      };
    },
  });
  /** The upload workload against the server at `server`; holder *i* uploads as client *i*. */
  const uploadTo = (name: "upload" | "upload-worker", server: string) => ({
    name,
    concurrency: UPLOAD_CONCURRENCY,
    windowScale: UPLOAD_WINDOW_SCALE,
    next: (client: number) => ({
      url: `${server}/api/contracts/upload`,
      init: {
        method: "POST",
        headers: { "content-type": upload.contentType, authorization: `Bearer ${(holders[client] ?? issuer).session}` },
        body: upload.body,
      },
    }),
    check: (body: string) => body.startsWith('{"ok":true,"contract":{') && body.includes(`"byteSize":${UPLOAD_BYTES},`),
  });
  // `concurrency` overrides CONCURRENCY for one workload (the 10 MiB uploads run with fewer clients).
  // `windowScale` stretches its measurement window (the 10 MiB workloads, see UPLOAD_WINDOW_SCALE).
  const workloads: Array<
    Omit<LoadOptions, "concurrency" | "warmupMs" | "durationMs"> & { concurrency?: number; windowScale?: number }
  > = [
    bookFrom("book", bookPool),
    {
      name: "insert",
      next: (client, seq) => ({
        url: `${baseUrl}/insert`,
        init: { method: "POST", headers: json, body: JSON.stringify({ key: `insert-key-${client}`, slot: seq % 46 }) },
      }),
    },
    {
      name: "slots",
      next: (client) => ({
        url: `${slotsUrl}&format=compact`,
        init: { headers: { authorization: `Bearer ${(holders[client] ?? issuer).session}` } },
      }),
      // 1,000 start instants: 999 separators inside the `starts` array.
      check: (body) =>
        body.startsWith('{"ok":true,"voucherId":') && body.slice(body.indexOf('"starts":[')).split('","').length === 1000,
    },
    {
      name: "slots-full",
      next: (client) => ({
        url: slotsUrl,
        init: { headers: { authorization: `Bearer ${(holders[client] ?? issuer).session}` } },
      }),
      check: (body) => body.startsWith('{"ok":true,"items":[') && body.split('"slotId"').length - 1 === 1000,
    },
    {
      name: "select",
      next: () => ({ url: `${baseUrl}/select?key=select-key` }),
      check: (body) => body.startsWith('{"ok":true,"items":[') && body.split(",").length === 1001,
    },
    {
      // Each request accepts the next open offer as its borrower: a fresh offer on its own open
      // application every time; no Idempotency-Key.
      name: "accept",
      next: () => {
        const open = acceptPool.take();
        if (!open) return null;
        return {
          url: `${base}/api/hypotheken/angebot/accept`,
          init: {
            method: "POST",
            headers: { ...json, authorization: `Bearer ${open.borrower.session}` },
            body: JSON.stringify({ voucherId: open.voucherId }),
          },
        };
      },
      check: (body) => body.startsWith('{"ok":true,"contractVoucherId":"') && body.includes('"status":"accepted"'),
    },
    {
      // One logged transfer per request, as holder *i*: the row, its event and the transfer.logged
      // fee in one batch; no Idempotency-Key.
      name: "transfer",
      next: (client) => ({
        url: `${base}/api/telbank/transfers`,
        init: {
          method: "POST",
          headers: { ...json, authorization: `Bearer ${(holders[client] ?? issuer).session}` },
          body: JSON.stringify(TRANSFER_BODY),
        },
      }),
      check: (body) => body.startsWith('{"ok":true,"transfer":{') && body.includes('"status":"logged"'),
    },
    // A 10 MiB PDF per request as multipart/form-data, streamed into R2 with its SHA-256: through
    // the Pages Function, and served by the backend Worker as a zone route sends it in production.
    uploadTo("upload", base),
    uploadTo("upload-worker", backendApi.url),
    {
      // The same 10 MiB as a raw body, streamed into the baseline's bucket under a fresh key.
      name: "r2put",
      concurrency: UPLOAD_CONCURRENCY,
      windowScale: UPLOAD_WINDOW_SCALE,
      next: (client, seq) => ({
        url: `${baseUrl}/r2put?key=${runId}-${client}-${seq}`,
        init: { method: "PUT", body: r2Bytes },
      }),
      check: (body) => body.startsWith('{"ok":true,') && body.includes(`"size":${UPLOAD_BYTES}}`),
    },
    {
      // The same bare put in a Pages project served exactly like the app (see startPagesBaseline).
      name: "r2put-pages",
      concurrency: UPLOAD_CONCURRENCY,
      windowScale: UPLOAD_WINDOW_SCALE,
      next: (client, seq) => ({
        url: `${pagesBaseline.url}/r2put?key=${runId}-${client}-${seq}`,
        init: { method: "PUT", body: r2Bytes },
      }),
      check: (body) => body.startsWith('{"ok":true,') && body.includes(`"size":${UPLOAD_BYTES}}`),
    },
    bookFrom("book-burst", burstPool),
    // The same, beside a burst of equal requests the route refuses before storing anything.
    bookFrom("book-control", burstPool),
  ];
  const raw = new Map<string, RawRun[]>();
  const d1 = new D1Counter(WRANGLER_LOGS);
  const d1Seen = new Map<string, D1Tally>();
  const d1Sent = new Map<string, number>();
  const inspectorMoved: string[] = [];
  const rounds: RoundStat[] = [];
  /**
   * Makes enough open offers for the next accept slice: 1.25 × the fastest INSERT or accept slice
   * so far over warm-up + window, plus one per client (a request started just before the window
   * closes). Then waits for wrangler's log, so the setup's D1 calls are not counted as the slice's.
   */
  const acceptTopUp = async (warmupMs: number, durationMs: number) => {
    const rate = Math.max(1, ...rounds.filter((x) => x.name === "insert" || x.name === "accept").map((x) => x.rps));
    const need = Math.ceil((1.25 * rate * (warmupMs + durationMs)) / 1000) + CONCURRENCY;
    if (acceptPool.left >= need) return;
    const t0 = Date.now();
    await acceptPool.fill(need - acceptPool.left);
    console.log(`  (accept pool: ${acceptPool.left} open offers after ${((Date.now() - t0) / 1000).toFixed(1)} s of setup)`);
    await d1.settle();
  };
  /**
   * Issues enough vouchers for the next booking slice under the burst: 1.25 × the fastest INSERT
   * or booking slice so far (with or without the burst) over warm-up + window, plus one per client.
   * INSERT is in the set because one slow booking slice alone under-sizes the pool.
   */
  const burstTopUp = async (warmupMs: number, durationMs: number) => {
    const rate = Math.max(
      50,
      ...rounds
        .filter((x) => x.name === "insert" || x.name === "book" || x.name === "book-burst" || x.name === "book-control")
        .map((x) => x.rps),
    );
    const need = Math.ceil((1.25 * rate * (warmupMs + durationMs)) / 1000) + CONCURRENCY;
    const left = burstPool.ids.length - burstPool.next;
    if (left >= need) return;
    const more = await issuePool(base, issuer, { concurrency: CONCURRENCY, budgetMs: 600_000, max: need - left, now });
    burstPool.ids.push(...more.ids);
    burstIssueMs += more.ms;
    console.log(
      `  (booking-under-burst pool: ${burstPool.ids.length - burstPool.next} vouchers after ${(more.ms / 1000).toFixed(1)} s of setup)`,
    );
    await d1.settle();
  };
  let burst: BurstStats = NO_BURST;
  let control: BurstStats = NO_BURST;
  // The setup's last D1 calls reach wrangler's log late; none may fall into the first slice.
  await d1.settle();
  for (let round = 0; round < ROUNDS; round++) {
    for (const w of workloads) {
      const warmupMs = round === 0 ? WARMUP_S * 1000 : 1000;
      const durationMs = (DURATION_S * 1000 * (w.windowScale ?? 1)) / ROUNDS;
      if (w.name === "accept") await acceptTopUp(warmupMs, durationMs);
      if (w.name === "book-burst" || w.name === "book-control") await burstTopUp(warmupMs, durationMs);
      const cpuBefore = cpuTimes();
      const logMark = d1.mark();
      // The burst starts with the slice's warm-up, so it is at full rate when the window opens.
      const telemetry =
        w.name === "book-burst" || w.name === "book-control"
          ? w.name === "book-burst"
            ? startTelemetryBurst(base, telemetryCallers, TELEMETRY_CLIENTS, TELEMETRY_ITEMS)
            : startTelemetryBurst(base, controlCallers, TELEMETRY_CLIENTS, TELEMETRY_ITEMS, true)
          : null;
      const frozenOutside = frozenOutsideSlices.get(w.name);
      if (frozenOutside) freezeServer(frozenOutside, false);
      const r = await runLoad({ ...w, concurrency: w.concurrency ?? CONCURRENCY, warmupMs, durationMs });
      if (telemetry) {
        const t = await telemetry.stop();
        if (w.name === "book-burst") burst = addBurst(burst, t);
        else control = addBurst(control, t);
        console.log(
          `  round ${round + 1} ${w.name === "book-burst" ? "telemetry burst" : "control burst (ended sessions, refused by the session check, nothing stored)"}: ${t.requests} batches (${((t.requests / t.elapsedMs) * 1000).toFixed(0)}/s), ${t.items} items stored, ${t.limited} × 429, ${t.failed} other failures`,
        );
      }
      const busy = cpuBusy(cpuBefore, cpuTimes());
      await d1.settle(); // wrangler appends its debug log asynchronously, seconds late on a loaded machine
      if (frozenOutside) freezeServer(frozenOutside, true);
      d1Seen.set(w.name, addTally(d1Seen.get(w.name) ?? EMPTY_TALLY, d1.since(logMark)));
      // A reload (a source file saved during the run) may have moved the app's inspector.
      if (!stillInspected(app)) inspectorMoved.push(`round ${round + 1} ${w.name}`);
      d1Sent.set(w.name, (d1Sent.get(w.name) ?? 0) + r.latencies.length + r.warmupRequests);
      raw.set(w.name, [...(raw.get(w.name) ?? []), r]);
      const s = summarize([r]);
      rounds.push({ round: round + 1, name: w.name, rps: s.rps, p50: s.p50, busy, load1: os.loadavg()[0] ?? 0 });
      console.log(
        `  round ${round + 1} ${w.name.padEnd(6)} ${s.requests} req, ${s.rps.toFixed(0)} req/s, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, CPU busy ${(busy * 100).toFixed(0)} %, failures ${JSON.stringify(s.failures)}${s.exhausted ? " (voucher pool exhausted)" : ""}`,
      );
    }
  }
  const result = (name: string) => summarize(raw.get(name) ?? []);
  const [book, insert, slots, slotsFull, select, accept] = ["book", "insert", "slots", "slots-full", "select", "accept"].map(
    result,
  ) as [LoadResult, LoadResult, LoadResult, LoadResult, LoadResult, LoadResult];
  const [transfer, uploadResult, uploadWorker, r2put, r2putPages, bookBurst, bookControl] = [
    "transfer",
    "upload",
    "upload-worker",
    "r2put",
    "r2put-pages",
    "book-burst",
    "book-control",
  ].map(result) as [LoadResult, LoadResult, LoadResult, LoadResult, LoadResult, LoadResult, LoadResult];

  step("stopping servers");
  await stopAll();

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    config: {
      concurrency: CONCURRENCY,
      warmupS: WARMUP_S,
      durationS: DURATION_S,
      rounds: ROUNDS,
      uploadConcurrency: UPLOAD_CONCURRENCY,
      uploadWindowScale: UPLOAD_WINDOW_SCALE,
      uploadBytes: UPLOAD_BYTES,
      telemetryClients: TELEMETRY_CLIENTS,
      telemetryItems: TELEMETRY_ITEMS,
      telemetryCallers: telemetryCallers.length,
    },
    rounds,
    d1PerRequest: perRequest(d1Seen, d1Sent, (t) => t.calls),
    d1WritesPerRequest: perRequest(d1Seen, d1Sent, (t) => t.writeCalls),
    d1RowsWrittenPerRequest: perRequest(d1Seen, d1Sent, (t) => t.rowsWritten),
    d1Unread: Object.fromEntries([...d1Seen].map(([k, t]) => [k, t.unread])),
    inspectorMoved,
    setup: {
      holders: holders.length,
      poolVouchers: pool.ids.length,
      poolIssueMs: pool.ms,
      slotsItems: probeItems,
      slotsBytes: probeText.length,
      acceptBorrowers: acceptPool.borrowers.length,
      acceptOffers: acceptPool.made,
      acceptPoolMs: acceptPool.ms,
      burstVouchers: burstPool.ids.length,
      burstIssueMs,
    },
    book,
    insert,
    slots,
    slotsFull,
    select,
    accept,
    transfer,
    upload: uploadResult,
    uploadWorker,
    r2put,
    r2putPages,
    bookBurst,
    burst,
    bookControl,
    control,
    serverBook: serverTimes(app.server.logFile, "voucher.book"),
    serverSlots: serverTimes(app.server.logFile, "slots.available"),
    serverAccept: serverTimes(app.server.logFile, "mortgage.offer.accept"),
    serverTransfer: serverTimes(app.server.logFile, "telbank.transfer.create"),
    serverUpload: serverTimes(app.server.logFile, "contracts.upload"),
    bundle,
  };
  // Sections of other benches (e.g. `<!-- bench:rooms -->`) are carried over unchanged.
  writeKeepingSections(resultsMarkdown(report));

  console.log(`\n${resultsTable(report)}\n\n${ratioTable(report)}\n`);
  console.log(
    `bundle: ${bundle.plain.raw} B raw, ${bundle.plain.gzip} B gzip (minified: ${bundle.minified.raw} B / ${bundle.minified.gzip} B gzip)`,
  );
  if (book.exhausted) console.log("warning: the booking voucher pool ran out before the window closed");
  console.log("wrote bench/RESULTS.md");
  // Every workload of the run, including any added later.
  const failed = workloads.map((w) => result(w.name)).filter((r) => r.ok !== r.requests);
  if (failed.length) {
    console.error(`non-200 / failed requests in: ${failed.map((r) => r.name).join(", ")}`);
    process.exitCode = 1;
  }
  // An accept pool that ran dry left clients idle inside the window: that throughput is not comparable.
  if (accept.exhausted) {
    console.error("the accept pool (open offers) ran out before the window closed: the accept ratio is marked FAIL");
    process.exitCode = 1;
  }
  if (bookBurst.exhausted) {
    console.error("the booking-under-burst voucher pool ran out before the window closed: its ratio is marked FAIL");
    process.exitCode = 1;
  }
  // A refused or failed telemetry request is a lighter burst than the one measured for.
  if (control.limited + control.failed > 0) {
    console.error(`control burst: ${control.limited} × 429 and ${control.failed} answers other than 400`);
    process.exitCode = 1;
  }
  if (burst.limited + burst.failed > 0) {
    console.error(`telemetry burst: ${burst.limited} × 429 and ${burst.failed} other failures (raise BENCH_TELEMETRY_CALLERS)`);
    process.exitCode = 1;
  }
}

/** One figure of the D1 tallies per request sent (warm-up included: its D1 calls are in the log too), by workload. */
function perRequest(seen: Map<string, D1Tally>, sent: Map<string, number>, pick: (t: D1Tally) => number): Record<string, number> {
  return Object.fromEntries([...seen].map(([k, t]) => [k, pick(t) / Math.max(1, sent.get(k) ?? 0)]));
}

/** Handler times from the app's own request log lines (`{"msg":"request","route":…,"ms":…}`). */
function serverTimes(logFile: string, route: string): ServerTimes | null {
  const ms: number[] = [];
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes(`"route":"${route}"`) || !line.includes('"msg":"request"')) continue;
    try {
      const entry = JSON.parse(line.slice(line.indexOf("{"))) as { ms?: unknown; status?: unknown };
      if (typeof entry.ms === "number" && entry.status === 200) ms.push(entry.ms);
    } catch {
      // not a JSON log line
    }
  }
  if (ms.length === 0) return null;
  ms.sort((a, b) => a - b);
  return { n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

try {
  await main();
} catch (err) {
  console.error(`\nbench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
  // A failure can leave client loops running (a telemetry burst stops only when its slice ends):
  // they must not keep loading the machine after the run is over.
  process.exit();
}
