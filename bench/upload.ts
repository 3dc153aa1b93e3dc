/**
 * `npm run bench:upload`: only the legal-hub upload workloads of `npm run bench` — a 10 MiB PDF as
 * multipart/form-data through `POST /api/contracts/upload`, served by the Pages Function and by the
 * backend Worker (as a zone route sends it in production; started after the logins on a copy of
 * the app's D1), against the same bytes streamed into R2 with one bare `put` by the baseline
 * Worker — interleaved in rounds, for working on the upload path without the full run. A third workload does the same bare `put` in a Pages project of one
 * function (`bench/pages-baseline/`) served the way the app is — `wrangler pages dev` with a second
 * Worker's config beside it — which tells the cost of that local request path for a 10 MiB
 * body from the upload route's own. Prints each round with the CPU time the serving processes
 * spent per request, the ratios and the app's own handler time (from its request log); writes
 * nothing. The full run's RESULTS.md stays the record.
 *
 * Environment: BENCH_UPLOAD_CONCURRENCY (4), BENCH_DURATION_S (10, split over the rounds),
 * BENCH_ROUNDS (5).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuDelta, groupCpu } from "./lib/cpu";
import { type RawRun, runLoad, summarize } from "./lib/load";
import { envNumber } from "./lib/format";
import { type Server, freezeServer, stopAll, stopServersOnExit, waitForHttp } from "./lib/proc";
import {
  applyAppMigrations,
  copyD1State,
  executeSqlFile,
  startApp,
  startBackendWorker,
  startPagesBaseline,
  startWorker,
} from "./lib/stack";
import { exampleVars, login } from "./lib/setup";
import { UPLOAD_BYTES, multipartBody, pdfBytes } from "./lib/transfer-upload";

process.chdir(join(dirname(fileURLToPath(import.meta.url)), ".."));
const CONCURRENCY = envNumber("BENCH_UPLOAD_CONCURRENCY", 4);
const DURATION_S = envNumber("BENCH_DURATION_S", 10);
const ROUNDS = envNumber("BENCH_ROUNDS", 5);
const TMP = "bench/.tmp-upload";
stopServersOnExit();

async function main(): Promise<void> {
  const runId = Date.now().toString(36);
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  applyAppMigrations(`${TMP}/state`);
  executeSqlFile(`${TMP}/baseline-state`, "bench/baseline/schema.sql", "bench/baseline/wrangler.toml");
  const baseline = await startWorker("baseline", "bench/baseline/wrangler.toml", `${TMP}/baseline-state`, `${TMP}/baseline.log`);
  const app = await startApp(`${TMP}/state`, `${TMP}/pages.log`);
  const pagesBaseline = await startPagesBaseline(`${TMP}/pages-baseline-state`, `${TMP}/pages-baseline.log`);
  await waitForHttp(pagesBaseline.server, `${pagesBaseline.url}/index.txt`);
  await waitForHttp(baseline.server, `${baseline.url}/select?key=select-key`);
  await waitForHttp(app.server, `${app.url}/api/voucher/templates`);
  const secret = exampleVars().MOT_SHARED_SECRET ?? "";
  const people = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => login(app.url, `benchUp${runId}n${i}`, secret)));
  copyD1State(`${TMP}/state`, `${TMP}/backend-state`);
  const backend = await startBackendWorker(`${TMP}/backend-state`, `${TMP}/backend.log`);
  await waitForHttp(backend.server, `${backend.url}/api/contracts/upload`, 120_000, 405);
  // Frozen outside their own slices (see bench/run.ts): an idle runtime spinning in V8's sweeper
  // would take CPU from the other workloads.
  const frozenOutside = { "upload-worker": backend.server, "pages-r2put": pagesBaseline.server } as Record<string, Server>;
  for (const server of Object.values(frozenOutside)) freezeServer(server, true);
  const upload = multipartBody(pdfBytes(UPLOAD_BYTES), "bench-10mib.pdf");
  const raw = pdfBytes(UPLOAD_BYTES);
  const runs = new Map<string, RawRun[]>();
  // CPU seconds of the serving processes (wrangler, its proxy, the runtime) per request, by round.
  const cpu = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ["upload", "upload-worker", "r2put", "pages-r2put"] as const) {
      const server = { upload: app, "upload-worker": backend, r2put: baseline, "pages-r2put": pagesBaseline }[name];
      const served = { pid: server.server.child.pid, port: server.port };
      if (frozenOutside[name]) freezeServer(frozenOutside[name], false);
      const cpuBefore = groupCpu(served.pid ?? 0, served.port);
      const r = await runLoad({
        name,
        concurrency: CONCURRENCY,
        warmupMs: round === 0 ? 3000 : 1000,
        durationMs: (DURATION_S * 1000) / ROUNDS,
        next:
          name === "upload" || name === "upload-worker"
            ? (client) => ({
                url: `${server.url}/api/contracts/upload`,
                init: {
                  method: "POST",
                  headers: { "content-type": upload.contentType, authorization: `Bearer ${people[client]?.session}` },
                  body: upload.body,
                },
              })
            : (client, seq) => ({
                url: `${server.url}/r2put?key=${runId}-${client}-${seq}`,
                init: { method: "PUT", body: raw },
              }),
        check: (body) => body.startsWith('{"ok":true,'),
      });
      if (frozenOutside[name]) freezeServer(frozenOutside[name], true);
      runs.set(name, [...(runs.get(name) ?? []), r]);
      const s = summarize([r]);
      const byProcess = cpuDelta(cpuBefore, groupCpu(served.pid ?? 0, served.port));
      const done = s.requests + s.warmupRequests;
      const perRequest = ([...byProcess.values()].reduce((a, b) => a + b, 0) * 1000) / done;
      const split = [...byProcess].map(([label, spent]) => `${label} ${((spent * 1000) / done).toFixed(0)}`).join(", ");
      cpu.set(name, [...(cpu.get(name) ?? []), perRequest]);
      console.log(
        `round ${round + 1} ${name.padEnd(13)} ${s.rps.toFixed(1)} req/s, p50 ${s.p50.toFixed(0)} ms, CPU ${perRequest.toFixed(0)} ms/request (${split}), failures ${JSON.stringify(s.failures)}`,
      );
    }
  }
  const up = summarize(runs.get("upload") ?? []);
  const upWorker = summarize(runs.get("upload-worker") ?? []);
  const put = summarize(runs.get("r2put") ?? []);
  const pagesPut = summarize(runs.get("pages-r2put") ?? []);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `\nupload served by the backend Worker ${upWorker.rps.toFixed(1)} req/s, r2put ${put.rps.toFixed(1)} req/s → ratio ${ratio(upWorker.rps, put.rps)} (target ≥ 0.8)`,
  );
  console.log(
    `upload through the Pages Function ${up.rps.toFixed(1)} req/s / the same bare put in a Pages project served like the app: ${ratio(up.rps, pagesPut.rps)} (target ≥ 0.8); / the Worker put: ${ratio(up.rps, put.rps)}`,
  );
  console.log(`bare put in a Pages project served like the app / in a Worker: ${ratio(pagesPut.rps, put.rps)}`);
  const mean = (xs: number[] = []) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  console.log(
    `CPU per request: upload (Pages) ${mean(cpu.get("upload")).toFixed(0)} ms, upload (Worker) ${mean(cpu.get("upload-worker")).toFixed(0)} ms, Worker put ${mean(cpu.get("r2put")).toFixed(0)} ms, Pages put ${mean(cpu.get("pages-r2put")).toFixed(0)} ms`,
  );
  const handlerMs = [...readFileSync(`${TMP}/pages.log`, "utf8").matchAll(/"route":"contracts\.upload".*?"ms":(\d+)/g)]
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const p50 = handlerMs[Math.floor(handlerMs.length / 2)] ?? Number.NaN;
  console.log(
    `upload: handler p50 ${p50} ms (app log), whole request p50 ${up.p50.toFixed(0)} ms; bare put p50 ${put.p50.toFixed(0)} ms`,
  );
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
