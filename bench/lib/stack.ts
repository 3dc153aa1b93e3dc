/**
 * The servers the bench measures: the app as `npm start` serves it (`wrangler pages dev` on a
 * migrated local D1) and plain Workers (`wrangler dev --config …`), each on a free port with its
 * own `--persist-to` directory.
 */
import { type Server, freePort, run, startServer } from "./proc";
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

/** The `--binding` flags of the app: `.dev.vars.example` secrets and the raised rate limits. */
export function appBindings(): string[] {
  const vars = { ...exampleVars(), RATE_LIMIT_WRITE_PER_MIN: HIGH_LIMIT, RATE_LIMIT_READ_PER_MIN: HIGH_LIMIT };
  return Object.entries(vars)
    .filter(([, v]) => v !== "")
    .flatMap(([k, v]) => ["--binding", `${k}=${v}`]);
}

/**
 * Starts `wrangler pages dev` (the `npm start` server) on `state`. `workerConfig`: the backend
 * Worker's config (default `src/worker/wrangler.toml`; `bench:rooms` passes a copy with other vars).
 */
export async function startApp(state: string, logFile: string, workerConfig = "src/worker/wrangler.toml"): Promise<Served> {
  const port = await freePort();
  const inspector = await freePort();
  const server = startServer(
    "wrangler pages dev",
    "npx",
    [
      "wrangler",
      "pages",
      "dev",
      // Both configs, as `npm start` runs them: the ROOMS binding resolves to the backend Worker.
      "-c",
      "wrangler.toml",
      "-c",
      workerConfig,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      ...appBindings(),
    ],
    logFile,
  );
  return { server, port, inspectorPort: inspector, url: `http://127.0.0.1:${port}` };
}

/** Starts a plain Worker with `wrangler dev --config <config>` on `state`. */
export async function startWorker(name: string, config: string, state: string, logFile: string): Promise<Served> {
  const port = await freePort();
  const inspector = await freePort();
  const server = startServer(
    name,
    "npx",
    [
      "wrangler",
      "dev",
      "--config",
      config,
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
  );
  return { server, port, inspectorPort: inspector, url: `http://127.0.0.1:${port}` };
}
