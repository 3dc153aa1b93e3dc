/**
 * The servers the bench measures: the app as `npm start` serves it (`wrangler pages dev` on a
 * migrated local D1) and plain Workers (`wrangler dev --config …`), each on a free port with its
 * own `--persist-to` directory.
 */
import { cpSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { inspectedWorkers } from "./d1count";
import { type Server, freePort, run, sleep, startServer, stopServer, waitForHttp } from "./proc";
import { exampleVars } from "./setup";

/** A started server and its base URL. */
export interface Served {
  server: Server;
  url: string;
  port: number;
  /** The DevTools inspector of the runtime (`--inspector-port`). */
  inspectorPort: number;
}

/** Rate limits high enough that the limiter never answers 429 (it still runs on every request). */
export const HIGH_LIMIT = "100000000";

/**
 * `wrangler d1 migrations apply DB --local` into `state`: the app's wrangler.toml and migrations,
 * or another config whose `migrations_dir` points at them.
 */
export function applyAppMigrations(state: string, config?: string): void {
  run("npx", [
    "wrangler",
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    ...(config ? ["--config", config] : []),
    "--persist-to",
    state,
  ]);
}

/** `wrangler d1 execute DB --local --file` against `state` (optionally with another config). */
export function executeSqlFile(state: string, file: string, config?: string): void {
  run("npx", [
    "wrangler",
    "d1",
    "execute",
    "DB",
    "--local",
    ...(config ? ["--config", config] : []),
    "--persist-to",
    state,
    "--file",
    file,
  ]);
}

/** The app's settings in the bench: `.dev.vars.example` secrets, the raised rate limits and `extra` (empty values left out). */
function benchVars(extra: Record<string, string> = {}): Array<[string, string]> {
  const vars = { ...exampleVars(), RATE_LIMIT_WRITE_PER_MIN: HIGH_LIMIT, RATE_LIMIT_READ_PER_MIN: HIGH_LIMIT, ...extra };
  return Object.entries(vars).filter(([, v]) => v !== "");
}

/** The `--binding` flags of the app (`wrangler pages dev`): {@link benchVars}. */
export function appBindings(extra: Record<string, string> = {}): string[] {
  return benchVars(extra).flatMap(([k, v]) => ["--binding", `${k}=${v}`]);
}

/**
 * Starts `wrangler pages dev` (the `npm start` server) on `state`. `workerConfig`: the backend
 * Worker's config (default `src/worker/wrangler.toml`; `bench:rooms` passes a copy with other vars).
 */
export async function startApp(
  state: string,
  logFile: string,
  workerConfig = "src/worker/wrangler.toml",
  extraBindings: Record<string, string> = {},
): Promise<Served> {
  // Both configs, as `npm start` runs them: the ROOMS binding resolves to the backend Worker.
  const args = ["pages", "dev", "-c", "wrangler.toml", "-c", workerConfig, ...appBindings(extraBindings)];
  return startWrangler("wrangler pages dev", args, state, logFile);
}

/**
 * Starts the backend Worker (`src/worker/wrangler.toml`) on its own with the app's settings
 * (`--var`: wrangler splits at the first colon only): its fetch serves `POST /api/contracts/upload`,
 * as a zone route sends it there in production. Under `npm start` it runs beside the Pages project
 * and gets no port of its own, so the bench starts it separately, on a copy of the app's D1
 * ({@link copyD1State}): two workerd processes must not share one SQLite file.
 */
export function startBackendWorker(state: string, logFile: string): Promise<Served> {
  const vars = benchVars().flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  return startWrangler("backend Worker", ["dev", "--config", "src/worker/wrangler.toml", ...vars], state, logFile);
}

/**
 * Copies the local D1 databases of the `from` state into a fresh `to` state (R2 and the rest stay
 * behind). Only while no server writes to `from`: its SQLite files and write-ahead logs are copied
 * as they are (the shared-memory index is rebuilt on open).
 */
export function copyD1State(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(`${from}/v3/d1`, `${to}/v3/d1`, { recursive: true, filter: (src) => !src.endsWith("-shm") });
}

/** Starts a plain Worker with `wrangler dev --config <config>` on `state`. */
export function startWorker(name: string, config: string, state: string, logFile: string): Promise<Served> {
  return startWrangler(name, ["dev", "--config", config], state, logFile);
}

/**
 * Starts the one-function Pages project of bench/pages-baseline/ (`PUT /r2put`: one bare R2 put of
 * the body) served the way the app is: `wrangler pages dev` with a second Worker's config beside
 * it (an empty Worker of its own name, see beside/wrangler.toml). That local request path costs
 * more CPU than a plain Worker's, so the upload compares with both. Both configs are named: with
 * none, `pages dev` in that directory picks up the app's wrangler.toml above it.
 */
export function startPagesBaseline(state: string, logFile: string): Promise<Served> {
  const args = ["pages", "dev", "-c", "wrangler.toml", "-c", "beside/wrangler.toml"];
  return startWrangler("pages baseline", args, resolve(state), resolve(logFile), "bench/pages-baseline");
}

/** `npx wrangler <args>` on a free port and inspector port, persisting to `state`, run in `cwd`. */
async function startWrangler(name: string, args: string[], state: string, logFile: string, cwd?: string): Promise<Served> {
  const port = await freePort();
  const inspector = await freePort();
  const server = startServer(
    name,
    "npx",
    [
      "wrangler",
      ...args,
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
    logFile,
    cwd,
  );
  return { server, port, inspectorPort: inspector, url: `http://127.0.0.1:${port}` };
}

/** Where every wrangler the bench starts writes its debug log (WRANGLER_LOG_PATH, see proc.ts). */
export const WRANGLER_LOGS = "bench/.tmp/wrangler-logs";

/** The Pages project's Worker name (`name` in wrangler.toml): what the app's inspector must be attached to. */
export function pagesWorkerName(): string {
  const name = /^name\s*=\s*"([^"]+)"/m.exec(readFileSync("wrangler.toml", "utf8"))?.[1];
  if (!name) throw new Error("wrangler.toml has no name");
  return name;
}

/** A started app whose inspector is attached to the Pages Worker, and the debug log that says so. */
export interface InspectedApp extends Served {
  /** The app's wrangler debug log file (name inside WRANGLER_LOGS). */
  debugLog: string;
}

/**
 * Starts the app (`startApp`) until wrangler's inspector proxy attaches to the Pages Worker, not
 * to the backend Worker: under `pages dev` with two configs it picks either, and only the attached
 * Worker pays for relaying its D1 calls through wrangler's Node process. A run where the app skips
 * that relay while the baseline pays it compares different stacks (and the runtime profiler would
 * sample the idle backend). Restarts up to `tries` times.
 */
export async function startAppInspected(
  state: string,
  logFile: string,
  readyPath: string,
  workerConfig?: string,
  tries = 5,
): Promise<InspectedApp> {
  const want = pagesWorkerName();
  for (let attempt = 1; attempt <= tries; attempt++) {
    const before = new Set(inspectedWorkers(WRANGLER_LOGS).keys());
    const app = await startApp(state, logFile, workerConfig);
    await waitForHttp(app.server, `${app.url}${readyPath}`);
    let attached: [string, string] | undefined;
    for (let i = 0; i < 40 && !attached; i++) {
      attached = [...inspectedWorkers(WRANGLER_LOGS)].find(
        ([file, name]) => !before.has(file) && (name === want || name.startsWith(`${want}-backend`)),
      );
      if (!attached) await sleep(250);
    }
    if (attached?.[1] === want) return { ...app, debugLog: attached[0] };
    console.log(`  the app's inspector attached to ${attached?.[1] ?? "nothing"}, not ${want}: restarting (${attempt}/${tries})`);
    await stopServer(app.server);
  }
  throw new Error(`the app's inspector did not attach to ${want} in ${tries} starts`);
}

/** True while the app's inspector is still attached to the Pages Worker (a reload may move it). */
export function stillInspected(app: InspectedApp): boolean {
  return inspectedWorkers(WRANGLER_LOGS).get(app.debugLog) === pagesWorkerName();
}
