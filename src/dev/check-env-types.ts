/**
 * Part of `npm run typecheck`: fails when a generated env type file (`src/env.d.ts`, `src/worker/env.d.ts`) is stale, by generating
 * the types again (same flags as `npm run cf-typegen`) into a scratch file and comparing.
 * (`wrangler types --check` misreports on a fresh clone without `.dev.vars`.)
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
console.log("generated env types are up to date");
