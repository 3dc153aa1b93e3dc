/**
 * Prebuilds the backend Worker (src/worker/ → dist-worker/index.js) for the test projects that
 * run it as an auxiliary worker (the Pages project's `ROOMS` binding has `script_name`, so the Room
 * must come from a second worker, style-anchors P7). Runs in Node, before any test worker starts.
 * `.mts`: Node-side like the vitest configs, so outside the workerd-typed tsconfig.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TEST_BINDINGS } from "./bindings";

export const ROOT = path.resolve(import.meta.dirname, "../..");
/** The bundle `wrangler deploy --dry-run` writes (gitignored). */
export const WORKER_SCRIPT = path.join(ROOT, "dist-worker/index.js");
const BACKEND = "together-systems-backend";
/** The `database_id` of the Pages project's D1 (the id miniflare keys its local database by). */
const PAGES_DATABASE_ID = /^database_id\s*=\s*"([^"]+)"/m.exec(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"))?.[1] ?? "";

/** Several projects' global setups run in the same Node process: build once per run. */
const flag = "__togetherBackendBuilt";

export default function buildBackendWorker(): void {
  const g = globalThis as Record<string, unknown>;
  if (g[flag]) return;
  execFileSync(
    "npx",
    ["wrangler", "deploy", "--dry-run", "--outdir", path.dirname(WORKER_SCRIPT), "-c", "src/worker/wrangler.toml"],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  g[flag] = true;
}

/** The `miniflare.workers` entry for the backend Worker (its Room class bound as ROOMS). */
export function backendWorker(vars: Record<string, string> = {}) {
  return {
    name: BACKEND,
    modules: true,
    scriptPath: WORKER_SCRIPT,
    // Module names are relative to this root; workerd refuses "../" (the test project roots are test/*).
    modulesRoot: path.dirname(WORKER_SCRIPT),
    compatibilityDate: "2026-04-20",
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { ROOMS: { className: "Room", useSQLite: true } },
    // The Pages project's database and bucket (wrangler.toml), shared as they are when deployed:
    // the Worker's upload route writes rows and objects the Pages routes then read.
    d1Databases: { DB: PAGES_DATABASE_ID },
    r2Buckets: { CONTRACTS: "together-systems-contracts" },
    bindings: { ...TEST_BINDINGS, ROOM_MAX_CONNECTIONS: "200", ROOM_LEAVE_GRACE_MS: "10000", ...vars },
  };
}
