/**
 * bench/RESULTS.md and the console summary.
 */
import type { BundleReport } from "./bundle";
import { f0, f1, f2, machineLine, type RatioRow, ratioMarkdown } from "./format";
import type { LoadResult } from "./load";
import type { Machine } from "./proc";
import type { BurstStats } from "./telemetry-burst";

/** Everything one bench run produced. */
export interface BenchReport {
  date: string;
  machine: Machine;
  config: {
    concurrency: number;
    warmupS: number;
    durationS: number;
    rounds: number;
    /** Clients of the upload and R2 put workloads. */
    uploadConcurrency: number;
    /** How many times longer the upload and R2 put windows are than the others'. */
    uploadWindowScale: number;
    /** Bytes of the uploaded file and of the R2 put. */
    uploadBytes: number;
    /** The telemetry burst: clients, items per batch, callers rotated over. */
    telemetryClients: number;
    telemetryItems: number;
    telemetryCallers: number;
  };
  rounds: RoundStat[];
  /** D1 binding calls per request (round trips), counted from wrangler's debug log; by workload name. */
  d1PerRequest: Record<string, number>;
  /** D1 calls per request that changed the database (D1's own `changed_db` / `rows_written`); by workload name. */
  d1WritesPerRequest: Record<string, number>;
  /** Rows D1 reports written per request (`meta.rows_written`, index rows included); by workload name. */
  d1RowsWrittenPerRequest: Record<string, number>;
  /** D1 calls whose result could not be read from the log (their writes are unknown); by workload name. */
  d1Unread: Record<string, number>;
  /**
   * Slices after which the app's inspector was no longer attached to the Pages Worker (a reload
   * moved it): from then on the app skipped the D1 relay the baseline pays, so the run is not valid.
   */
  inspectorMoved: string[];
  setup: {
    holders: number;
    poolVouchers: number;
    poolIssueMs: number;
    slotsItems: number;
    slotsBytes: number;
    /** Borrowers of the accept workload (one per client). */
    acceptBorrowers: number;
    /** Open offers prepared for it (one application each). */
    acceptOffers: number;
    acceptPoolMs: number;
    /** Vouchers issued for the booking under the telemetry burst, and the time it took (not measured). */
    burstVouchers: number;
    burstIssueMs: number;
  };
  book: LoadResult;
  insert: LoadResult;
  /** `?format=compact`: the page as start instants, the same information as the baseline's rows. */
  slots: LoadResult;
  /** The default format (one object per slot), reported next to it. */
  slotsFull: LoadResult;
  select: LoadResult;
  /** `POST /api/hypotheken/angebot/accept`: the mortgage marketplace's largest write batch. */
  accept: LoadResult;
  /** `POST /api/telbank/transfers`: one logged transfer with its event and fee. */
  transfer: LoadResult;
  /** `POST /api/contracts/upload` through the Pages Function: a 10 MiB PDF, multipart, streamed into R2. */
  upload: LoadResult;
  /** The same upload served by the backend Worker, as a zone route sends it in production. */
  uploadWorker: LoadResult;
  /** Baseline `PUT /r2put`: the same bytes streamed into R2 with one put. */
  r2put: LoadResult;
  /** The same put in a Pages project served exactly like the app (bench/pages-baseline/). */
  r2putPages: LoadResult;
  /** The book workload while the telemetry burst runs. */
  bookBurst: LoadResult;
  /** The telemetry requests sent during the `bookBurst` slices. */
  burst: BurstStats;
  /** The book workload beside the control burst (equal requests from ended sessions, refused by the session check). */
  bookControl: LoadResult;
  /** The control burst's requests (their 401s count as `ok`). */
  control: BurstStats;
  serverBook: ServerTimes | null;
  serverSlots: ServerTimes | null;
  serverAccept: ServerTimes | null;
  serverTransfer: ServerTimes | null;
  serverUpload: ServerTimes | null;
  bundle: BundleReport;
}

/** One slice of one workload. */
export interface RoundStat {
  round: number;
  name: string;
  rps: number;
  p50: number;
  /** Machine-wide CPU busy share during the slice (all processes, not only the bench's). */
  busy: number;
  /** 1-minute load average at the end of the slice. */
  load1: number;
}

/** Handler times the app logged itself (`"ms"` of its request log lines, measured window + warm-up). */
export interface ServerTimes {
  n: number;
  p50: number;
  p99: number;
}

/** Throughput targets: app / baseline of the same run. */
export const TARGETS = { book: 0.6, slots: 0.7, accept: 0.5, transfer: 0.6, upload: 0.8 } as const;

/** MiB/s of a workload whose every request carries `bytes`. */
export const mibPerS = (x: LoadResult, bytes: number) => (x.rps * bytes) / (1024 * 1024);

/**
 * Throughput ratios app / baseline against their targets. A workload with failed requests does
 * not pass, whatever its speed; nor does a read that wrote to D1 (slots must write nothing), nor a
 * run whose D1 writes could not all be read from the log. The accept workload also fails when its
 * pool of open offers ran out inside the window (idle clients would lower its throughput).
 */
export function ratios(r: BenchReport): RatioRow[] {
  const clean = (a: LoadResult, b: LoadResult) => a.ok === a.requests && b.ok === b.requests && r.inspectorMoved.length === 0;
  const slotsWrites = r.d1WritesPerRequest.slots ?? Number.NaN;
  const book = r.book.rps / r.insert.rps;
  const slots = r.slots.rps / r.select.rps;
  const accept = r.accept.rps / r.insert.rps;
  const transfer = r.transfer.rps / r.insert.rps;
  const upload = r.uploadWorker.rps / r.r2put.rps;
  const pagesLike = r.upload.rps / r.r2putPages.rps;
  const b = r.config.uploadBytes;
  return [
    { name: "booking / INSERT", value: book, target: `≥ ${TARGETS.book}`, pass: book >= TARGETS.book && clean(r.book, r.insert) },
    {
      name: "slots / SELECT (and 0 D1 writes per slots request)",
      value: slots,
      target: `≥ ${TARGETS.slots}`,
      pass: slots >= TARGETS.slots && slotsWrites === 0 && (r.d1Unread.slots ?? 0) === 0 && clean(r.slots, r.select),
    },
    { name: "slots, full format / SELECT (for comparison)", value: r.slotsFull.rps / r.select.rps, target: "—", pass: null },
    {
      name: "mortgage accept / INSERT",
      value: accept,
      target: `≥ ${TARGETS.accept}`,
      pass: accept >= TARGETS.accept && clean(r.accept, r.insert) && !r.accept.exhausted,
    },
    {
      name: "telbank transfer logging / INSERT",
      value: transfer,
      target: `≥ ${TARGETS.transfer}`,
      pass: transfer >= TARGETS.transfer && clean(r.transfer, r.insert),
    },
    {
      name: `upload served by the backend Worker (zone route) / R2 put (${f0(b / 1024 / 1024)} MiB: ${f1(mibPerS(r.uploadWorker, b))} vs ${f1(mibPerS(r.r2put, b))} MiB/s)`,
      value: upload,
      target: `≥ ${TARGETS.upload}`,
      pass: upload >= TARGETS.upload && clean(r.uploadWorker, r.r2put),
    },
    {
      name: `upload through the Pages Function / the same R2 put in a Pages project served like the app (${f1(mibPerS(r.upload, b))} vs ${f1(mibPerS(r.r2putPages, b))} MiB/s)`,
      value: pagesLike,
      target: `≥ ${TARGETS.upload}`,
      pass: pagesLike >= TARGETS.upload && clean(r.upload, r.r2putPages),
    },
    {
      name: "upload through the Pages Function / R2 put (for comparison)",
      value: r.upload.rps / r.r2put.rps,
      target: "—",
      pass: null,
    },
    {
      name: `booking under telemetry burst / booking alone (${r.config.telemetryClients} clients × ${r.config.telemetryItems} items)`,
      value: r.bookBurst.rps / r.book.rps,
      target: "—",
      pass: null,
    },
    {
      name: "booking under telemetry burst / booking under an equal burst that stores nothing (the write's own share)",
      value: r.bookBurst.rps / r.bookControl.rps,
      target: "—",
      pass: null,
    },
  ];
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

function failures(r: LoadResult): string {
  const parts = Object.entries(r.failures).map(([k, v]) => `${v}× ${k}`);
  return parts.length ? parts.join(", ") : "0";
}

/**
 * Which workloads had D1 results the log did not hold in full: wrangler cuts logged strings at
 * 10,000 characters, so a large result (the baseline's 1,000-row SELECT) loses the metadata at its end.
 */
function unreadNote(unread: Record<string, number>): string {
  const parts = Object.entries(unread)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length
    ? ` D1 calls whose result the log cut off (wrangler logs at most 10,000 characters of it), so their writes are not counted: ${parts.join(", ")}.`
    : "";
}

/** The results table (also printed to the console). */
export function resultsTable(r: BenchReport): string {
  const per = (m: Record<string, number>, name: string) => f2(m[name] ?? Number.NaN);
  const row = (label: string, x: LoadResult) =>
    `| ${label} | ${x.requests} | ${failures(x)} | ${f0(x.rps)} | ${f1(x.p50)} | ${f1(x.p99)} | ${f1(x.max)} | ${per(r.d1PerRequest, x.name)} | ${per(r.d1WritesPerRequest, x.name)} | ${per(r.d1RowsWrittenPerRequest, x.name)} | ${f0(x.bytes)} | ${f2(x.clientCpuMsPerReq)} |`;
  return [
    "| Workload | Requests | Non-200 / failed | req/s | p50 ms | p99 ms | max ms | D1 calls/req | D1 writes/req | D1 rows written/req | resp. bytes | client CPU ms/req |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    row("`POST /api/voucher/book` (app)", r.book),
    row("`POST /insert` (baseline, 1 INSERT)", r.insert),
    row("`GET /api/slots/available?format=compact` (app, 1,000 bookings)", r.slots),
    row("`GET /api/slots/available` (app, full format)", r.slotsFull),
    row("`GET /select` (baseline, 1 SELECT of 1,000 rows)", r.select),
    row("`POST /api/hypotheken/angebot/accept` (app, mortgage)", r.accept),
    row("`POST /api/telbank/transfers` (app, telbank)", r.transfer),
    row(
      `\`POST /api/contracts/upload\` (app, Pages Function, ${f0(r.config.uploadBytes / 1048576)} MiB PDF, ${r.config.uploadConcurrency} clients)`,
      r.upload,
    ),
    row(
      `\`POST /api/contracts/upload\` (app, served by the backend Worker, ${r.config.uploadConcurrency} clients)`,
      r.uploadWorker,
    ),
    row(
      `\`PUT /r2put\` (baseline, 1 R2 put of ${f0(r.config.uploadBytes / 1048576)} MiB, ${r.config.uploadConcurrency} clients)`,
      r.r2put,
    ),
    row(
      `\`PUT /r2put\` (the same put in a Pages project served like the app, ${r.config.uploadConcurrency} clients)`,
      r.r2putPages,
    ),
    row("`POST /api/voucher/book` under the telemetry burst (app; D1 columns include the burst's calls)", r.bookBurst),
    row(
      "`POST /api/voucher/book` beside the control burst (equal telemetry requests from ended sessions, refused by the session check)",
      r.bookControl,
    ),
  ].join("\n");
}

export function ratioTable(r: BenchReport): string {
  return ratioMarkdown(ratios(r), "Ratio (throughput)");
}

export function bundleTable(r: BenchReport): string {
  const b = r.bundle;
  return [
    "| Build | Files | Raw | gzip -9 |",
    "|---|---|---:|---:|",
    `| \`wrangler pages functions build\` (as Pages builds it) | ${b.plain.files.length} | ${b.plain.raw} B (${kib(b.plain.raw)}) | ${b.plain.gzip} B (${kib(b.plain.gzip)}) |`,
    `| same with \`--minify\` | ${b.minified.files.length} | ${b.minified.raw} B (${kib(b.minified.raw)}) | ${b.minified.gzip} B (${kib(b.minified.gzip)}) |`,
  ].join("\n");
}

export function roundsTable(r: BenchReport): string {
  return [
    "| Round | Workload | req/s | p50 ms | CPU busy | load avg (1 min) |",
    "|---:|---|---:|---:|---:|---:|",
    ...r.rounds.map((x) => `| ${x.round} | ${x.name} | ${f0(x.rps)} | ${f1(x.p50)} | ${f0(x.busy * 100)} % | ${f2(x.load1)} |`),
  ].join("\n");
}

/** The telemetry burst's own figures, next to the booking it ran beside. */
function burstLine(r: BenchReport): string {
  const b = r.burst;
  const perS = b.elapsedMs > 0 ? (b.requests / b.elapsedMs) * 1000 : Number.NaN;
  return `Telemetry burst (${r.config.telemetryClients} clients × ${r.config.telemetryItems} items, during the book-under-burst slices): ${b.requests} batches, ${f0(perS)} batches/s (${f0(perS * r.config.telemetryItems)} items/s), ${b.items} items stored, ${b.limited} × 429, ${b.failed} other failures; booking ${f0(r.bookBurst.rps)} req/s under it vs ${f0(r.book.rps)} alone. Control burst (the same requests from ended sessions, refused by the session check, nothing stored): ${r.control.requests} batches, ${f0(r.control.elapsedMs > 0 ? (r.control.requests / r.control.elapsedMs) * 1000 : Number.NaN)} batches/s; booking ${f0(r.bookControl.rps)} req/s beside it.`;
}

/** The whole RESULTS.md. */
export function resultsMarkdown(r: BenchReport): string {
  const m = r.machine;
  const c = r.config;
  const st = (s: ServerTimes | null) => (s ? `p50 ${f1(s.p50)} ms, p99 ${f1(s.p99)} ms (n = ${s.n})` : "not found in the log");
  return `# Benchmark results

Generated by \`npm run bench\` (bench/run.ts) — overwritten on every run. How to run and what each
workload does: [README.md](README.md).

- **Date:** ${r.date}
- **Machine:** ${machineLine(m)}
- **Runtime:** Node ${m.node}, wrangler ${m.wrangler} (local workerd + miniflare D1, SQLite on disk)
- **Load:** ${c.concurrency} concurrent clients per workload (closed loop, Node fetch, keep-alive); ${c.durationS} s measured per workload, split into ${c.rounds} interleaved rounds (book → INSERT → slots compact → slots full → SELECT → mortgage accept → telbank transfer → upload (Pages Function) → upload (backend Worker) → R2 put → R2 put (Pages) → book under the telemetry burst → book beside the control burst, repeated; upload and R2 put with ${c.uploadConcurrency} clients and ${c.uploadWindowScale}× longer windows, since a slice opens with every client still in its unmeasured warm-up request of a second or more), each slice after a discarded warm-up (${c.warmupS} s in round 1, 1 s later); every server up the whole time (the backend Worker from the end of the setup).

## Results

${resultsTable(r)}

${ratioTable(r)}

"D1 calls/req" counts D1 binding calls (one query or one batch = one round trip) per request,
from the subrequests wrangler's DevTools bridge writes to its debug log (bench/.tmp/wrangler-logs).
"D1 writes/req" counts those calls that changed the database and "D1 rows written/req" the rows
they wrote, both from D1's own result metadata in the same log (\`changed_db\`, \`rows_written\`,
index rows included); warm-up requests are in both the calls and the divisor.${unreadNote(r.d1Unread)}
${
  r.inspectorMoved.length
    ? `
**Not a valid run:** the app's inspector left the Pages Worker after ${r.inspectorMoved.join(", ")} (a reload: was a
source file saved during the run?). From then on the app's D1 calls skipped the local DevTools relay the baseline's
still paid, so the ratios compare different stacks and are marked FAIL.
`
    : ""
}
Throughput counts every request started in the measurement window and divides by the time until
the last one finished. Latency is client-side (request sent → full body read). "client CPU" is the
bench process's own CPU per request: client and servers share the ${m.cores} cores, so a cheaper
request also leaves the client a larger share.

Per round (machine-wide CPU busy share: client, both servers and anything else running on the
machine; a high load average with ${m.cores} cores means other work competed with the bench):

${roundsTable(r)}

Handler time the app logged itself (\`"ms"\` field of its request log, warm-up included):
book ${st(r.serverBook)}; slots ${st(r.serverSlots)}; accept ${st(r.serverAccept)}; transfer ${st(r.serverTransfer)};
upload ${st(r.serverUpload)}.

${burstLine(r)}

${
  ratios(r).some((x) => !x.pass)
    ? `A ratio is below target: \`npx tsx bench/profile.ts\` splits a booking's cost into D1 round trips and
framework (bench/PROFILE.md); bench/README.md ("Where the time goes") explains the findings.

`
    : ""
}## Method

**App** — the stack \`npm start\` serves: \`wrangler d1 migrations apply DB --local\` and
\`wrangler pages dev\`, both on \`--persist-to bench/.tmp/state\` (fresh each run), secrets from
\`.dev.vars.example\` as \`--binding\`, \`RATE_LIMIT_*_PER_MIN=100000000\` (the limiters still count
every request, they just never say 429: a write's count is an upsert inside its D1 batch, a read's
is counted without D1 — the \`READ_LIMITER\` binding where one is bound, else the per-isolate
window of src/http/read-limit.ts, which is what this config runs), \`LOG_LEVEL\` as in
wrangler.toml. Demo seeding is skipped (not used). \`wrangler pages dev\` with the backend Worker's
config attaches its DevTools proxy to either Worker; the app is restarted until it is attached to the
Pages Worker (as the baseline's is to the baseline), so both pay the same local relay per D1 call,
and the run is marked invalid if a reload moves it.

- **book** — setup through the API: ${r.setup.holders} holders and one issuer verify signed links
  (\`POST /api/presence/verify\`), the issuer issues ${r.setup.poolVouchers} priced vouchers
  (5000 EUR cents, 48 hourly slots; took ${(r.setup.poolIssueMs / 1000).toFixed(1)} s, not measured).
  Each measured request books the next unused voucher (a voucher holds one active booking) on one
  of its free future slots, as client *i* with holder *i*'s \`Authorization: Bearer\` session, no
  Idempotency-Key. Every success writes the booking, the voucher's CAS status change, the
  \`voucher.book\` event and the 2 % fee event. Every measured request must be a 200.
- **slots** — \`GET /api/slots/available?voucherId=…\` (default limit 1,000) with a holder session,
  on one voucher with 1,000 \`voucher_bookings\` rows, inserted with \`wrangler d1 execute --file\`
  before the server starts: chains book → reschedule ×3 → cancel on distinct grid slots
  (750 \`rescheduled\`, 250 \`cancelled\`); the voucher is \`issued\` with 1,100 hourly slots.
  None of the 1,000 rows is \`booked\`: the unique partial index \`ux_bookings_active_voucher\`
  permits at most one active booking per voucher, so a "voucher with 1,000 active bookings" cannot
  exist in this schema, and the route's booked-set query (partial index
  \`ux_bookings_active_slot\`, \`status = 'booked'\`) returns ≤ 1 row for any voucher. What the route
  does per request: one D1 batch of reads (voucher by primary key + active bookings by the partial
  index, plus the session check), then builds the 1,000 free slots of the grid in JS and serialises them
  (${r.setup.slotsItems} items, ${r.setup.slotsBytes} bytes). Each 200 is checked to hold 1,000 items.
  The ratio against its target is measured with \`?format=compact\` (the same page as 1,000 start
  instants: what the baseline's 1,000 \`slot_start\` values carry); the default format, one object
  per slot with \`slotId\`, \`voucherId\`, \`start\` and \`end\`, runs as its own workload and is
  reported next to it without a target.
- **mortgage accept** — setup through the API: a lender verifies a signed link and gets the
  \`lender\` role (\`PUT /api/admin/parties/{uid}\`, admin bearer token); ${r.setup.acceptBorrowers}
  borrowers verify and register one property each; then ${r.setup.acceptOffers} market applications
  (360,000.00 EUR) each get exactly one offer from the lender (the worked example: 3.2 % nominal,
  2 % initial repayment, 15 years fixed, valid 7 days), made right before each accept slice as many
  as it can use (1.25 × the fastest INSERT or accept slice so far); ${(r.setup.acceptPoolMs / 1000).toFixed(1)} s in all, not measured.
  Each measured request is \`POST /api/hypotheken/angebot/accept {voucherId}\` on the next open offer,
  with its borrower's \`Authorization: Bearer\` session, no Idempotency-Key. Every success is one D1 batch: the offer's CAS to
  \`accepted\`, the decline of the application's other open offers (none here), the application's CAS
  to \`accepted\`, the drafted contract, the \`mortgage.accept\` event, the write limiter's count and
  the session check, plus the offer and contract read back and the look-up of entered rooms (none
  here, so nothing is pushed). Compared with the INSERT baseline (target
  ≥ ${TARGETS.accept}); every measured request must be a 200 with the accepted offer, and the pool of
  open offers must last the window.
- **telbank transfer** — \`POST /api/telbank/transfers\` as holder *i* (same sessions as book):
  direction \`in\`, \`cryptoAmount "1.5"\` ETH (exact, 18 decimals), 4,200.00 EUR, network
  \`ethereum\` with an EIP-55 checksummed wallet address (checked on every request), no
  Idempotency-Key. Every success is one D1 batch: the transfer row, the \`transfer.logged\` event and
  fee, the write limiter's count and the session check. Compared with the INSERT baseline (target
  ≥ ${TARGETS.transfer}).
- **upload** — \`POST /api/contracts/upload\`, ${r.config.uploadConcurrency} clients, each request one
  \`multipart/form-data\` body with one \`file\` part: ${r.config.uploadBytes} bytes starting with
  \`%PDF-\` (declared \`application/pdf\`), built once and re-sent. The route streams the part into
  the \`CONTRACTS\` R2 bucket while hashing it (SHA-256), with a \`pending\` row before and one D1
  batch after (row \`stored\`, \`contract.upload\` event). Served twice: by the Pages Function
  (the app's \`wrangler pages dev\`, as \`npm start\`), and by the backend Worker's own fetch
  (\`wrangler dev -c src/worker/wrangler.toml\`, started after the setup on a copy of the app's D1,
  with the app's settings), which is where a zone route sends the path in production: a Pages
  Function gets its body as a tee and Pages keeps a copy of every byte. The Worker's upload is
  compared with the baseline's \`PUT /r2put\` of the same bytes (target ≥ ${TARGETS.upload}), the
  Pages Function's with the same put in a Pages project (target ≥ ${TARGETS.upload}); MiB/s = req/s
  × file size.
- **book under the telemetry burst** — the book workload's requests (its own voucher pool of
  ${r.setup.burstVouchers}, issued before each slice, ${(r.setup.burstIssueMs / 1000).toFixed(1)} s, not measured) while
  ${r.config.telemetryClients} more closed-loop clients post \`POST /api/telemetry\` batches of
  ${r.config.telemetryItems} page-view items with verified sessions, rotating over
  ${r.config.telemetryCallers} callers so none reaches the per-caller limit of 300 requests a minute.
  The burst starts with the slice's warm-up and stops after its window. Reported against book alone
  in the same run, without a target; any 429 or failed telemetry request fails the run.
- **book beside the control burst** — the same, but the burst's callers ended their sessions
  (logout) after their login: each batch is parsed, validated, authenticated and refused (401) by
  the same session check round trip to D1 a live session passes, so nothing is stored. Booking
  under the real burst / booking beside the control is the telemetry write's own share of the
  slowdown; the rest is CPU the burst's clients, HTTP handling and session checks take on the shared machine (on
  Cloudflare, other machines).

**Baseline** — \`bench/baseline/\` (its own wrangler.toml and index.ts, no framework) served by
\`wrangler dev\` with its own \`--persist-to bench/.tmp/baseline-state\`; its table is created by
\`bench/baseline/schema.sql\` (\`wrangler d1 execute --file\`) before it starts: \`bench_rows\`
with the 14 columns of \`voucher_bookings\`, a TEXT primary key and one index \`(key, slot_start)\`,
plus 1,000 rows under \`key = 'select-key'\`.

- **INSERT** — \`POST /insert {key, slot}\`: exactly one \`INSERT\` of one 14-column row
  (random id), answers \`{ok:true, id}\`.
- **SELECT** — \`GET /select?key=select-key\`: exactly one \`SELECT slot_start FROM bench_rows
  WHERE key = ? ORDER BY slot_start\` served by the index, 1,000 rows, answered as a JSON array.
- **R2 put** — \`PUT /r2put?key=…\` (a fresh key per request): the raw ${r.config.uploadBytes} bytes,
  \`env.BUCKET.put(key, request.body)\` with the length known from Content-Length, answers
  \`{ok:true, key, size}\`. The same function also runs as a Pages project served exactly like the
  app (bench/pages-baseline/: \`wrangler pages dev\` with a second Worker's config beside it, as the app has its backend Worker),
  whose local request path costs more CPU per request than a plain Worker's.

## Bundle size

${bundleTable(r)}

Largest contributors to the minified bundle (esbuild metafile): ${r.bundle.contributors
    .map((x) => `${x.group} ${kib(x.bytes)}`)
    .join(", ")}.
`;
}
