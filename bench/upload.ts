/**
 * `npm run bench:upload`: only the legal-hub upload workload of `npm run bench` — a 10 MiB PDF as
 * multipart/form-data through `POST /api/contracts/upload` against the same bytes streamed into R2
 * with one bare `put` by the baseline Worker — interleaved in rounds, for working on the upload
 * path without the full run. A third workload does the same bare `put` in a Pages project of one
 * function (`bench/pages-baseline/`) served by `wrangler pages dev` like the app, which tells the
 * cost of the local Pages request path for a 10 MiB body from the upload route's own. Prints each
 * round, the ratios and the app's own handler time (from its request log); writes nothing. The
 * full run's RESULTS.md stays the record.
 *
 * Environment: BENCH_UPLOAD_CONCURRENCY (4), BENCH_DURATION_S (10, split over the rounds),
 * BENCH_ROUNDS (5).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type RawRun, runLoad, summarize } from "./lib/load";
import { envNumber } from "./lib/format";
import { freePort, startServer, stopAll, stopServersOnExit, waitForHttp } from "./lib/proc";
import { applyAppMigrations, executeSqlFile, startApp, startWorker } from "./lib/stack";
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
  const pagesPort = await freePort();
  const pagesBaseline = startServer(
    "pages baseline",
    "npx",
    [
      "wrangler",
      "pages",
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(pagesPort),
      "--persist-to",
      resolve(TMP, "pages-baseline-state"),
    ],
    resolve(TMP, "pages-baseline.log"),
    "bench/pages-baseline",
  );
  const pagesUrl = `http://127.0.0.1:${pagesPort}`;
  await waitForHttp(baseline.server, `${baseline.url}/select?key=select-key`);
  await waitForHttp(app.server, `${app.url}/api/voucher/templates`);
  await waitForHttp(pagesBaseline, `${pagesUrl}/index.txt`);
  const secret = exampleVars().MOT_SHARED_SECRET ?? "";
  const people = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => login(app.url, `benchUp${runId}n${i}`, secret)));
  const upload = multipartBody(pdfBytes(UPLOAD_BYTES), "bench-10mib.pdf");
  const raw = pdfBytes(UPLOAD_BYTES);
  const runs = new Map<string, RawRun[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ["upload", "r2put", "pages-r2put"] as const) {
      const r = await runLoad({
        name,
        concurrency: CONCURRENCY,
        warmupMs: round === 0 ? 3000 : 1000,
        durationMs: (DURATION_S * 1000) / ROUNDS,
        next:
          name === "upload"
            ? (client) => ({
                url: `${app.url}/api/contracts/upload`,
                init: {
                  method: "POST",
                  headers: { "content-type": upload.contentType, authorization: `Bearer ${people[client]?.session}` },
                  body: upload.body,
                },
              })
            : (client, seq) => ({
                url: `${baseline.url}/r2put?key=${runId}-${client}-${seq}`,
                init: { method: "PUT", body: raw },
              }),
        check: (body) => body.startsWith('{"ok":true,'),
      });
      runs.set(name, [...(runs.get(name) ?? []), r]);
      const s = summarize([r]);
      console.log(
        `round ${round + 1} ${name.padEnd(6)} ${s.rps.toFixed(1)} req/s, p50 ${s.p50.toFixed(0)} ms, failures ${JSON.stringify(s.failures)}`,
      );
    }
  }
  const up = summarize(runs.get("upload") ?? []);
  const put = summarize(runs.get("r2put") ?? []);
  const pagesPut = summarize(runs.get("pages-r2put") ?? []);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `\nupload ${up.rps.toFixed(1)} req/s, r2put ${put.rps.toFixed(1)} req/s → ratio ${ratio(up.rps, put.rps)} (target ≥ 0.8)`,
  );
  console.log(`upload / the same bare put in a Pages dev project: ${ratio(up.rps, pagesPut.rps)}`);
  console.log(`bare put in a Pages dev project / in a Worker (the local Pages path alone): ${ratio(pagesPut.rps, put.rps)}`);
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
