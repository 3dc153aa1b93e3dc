/**
 * Part of `npm run typecheck`: fails when a generated env type file (`src/env.d.ts`, `src/worker/env.d.ts`) is stale, by generating
 * the types again (same flags as `npm run cf-typegen`) into a scratch file and comparing.
 * (`wrangler types --check` misreports on a fresh clone without `.dev.vars`.)
 *
 * It also fails when the backend Worker's copy of the Pages project's [vars] differs: the Worker
 * serves the upload route with the same code, so it must run with the same settings.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

const common = ["--include-runtime", "false", "--strict-vars", "false"];
const targets = [
  { file: "src/env.d.ts", flags: ["--env-file", ".dev.vars.example", ...common] },
  { file: "src/worker/env.d.ts", flags: ["-c", "src/worker/wrangler.toml", "--env-interface", "WorkerEnv", ...common] },
];
// Line 2 names the output path; everything else must match.
const body = (file: string) => readFileSync(file, "utf8").split("\n").slice(2).join("\n");
for (const [i, t] of targets.entries()) {
  // Next to the target: wrangler writes import paths relative to the output file.
  const scratch = join(dirname(t.file), `.env-check-${i}.d.ts`);
  let same = false;
  try {
    execFileSync("npx", ["wrangler", "types", scratch, ...t.flags], { stdio: ["ignore", "ignore", "inherit"] });
    same = body(scratch) === body(t.file);
  } finally {
    rmSync(scratch, { force: true });
  }
  if (!same) {
    console.error(`${t.file} is stale: run npm run cf-typegen and commit it`);
    process.exit(1);
  }
}
/** `KEY = "value"` lines of a wrangler.toml's [vars] table. */
function vars(file: string): Map<string, string> {
  const table = /^\[vars\]\n([\s\S]*?)(?=^\[)/m.exec(readFileSync(file, "utf8"))?.[1] ?? "";
  return new Map([...table.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
}
const worker = vars("src/worker/wrangler.toml");
const drift = [...vars("wrangler.toml")].filter(([k, v]) => worker.get(k) !== v).map(([k]) => k);
if (drift.length > 0) {
  console.error(`src/worker/wrangler.toml must carry the Pages project's [vars] unchanged; differs in ${drift.join(", ")}`);
  process.exit(1);
}
console.log("generated env types are up to date; the Worker's [vars] match the Pages project's");
