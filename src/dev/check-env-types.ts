/**
 * Part of `npm run typecheck`: fails when the generated `src/env.d.ts` is stale, by generating
 * the types again (same flags as `npm run cf-typegen`) into a scratch file and comparing.
 * (`wrangler types --check` misreports on a fresh clone without `.dev.vars`.)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";

const scratch = ".wrangler/env-check.d.ts";
mkdirSync(".wrangler", { recursive: true });
const flags = ["--env-file", ".dev.vars.example", "--include-runtime", "false", "--strict-vars", "false"];
execFileSync("npx", ["wrangler", "types", scratch, ...flags], { stdio: ["ignore", "ignore", "inherit"] });
// Line 2 names the output path; everything else must match.
const body = (file: string) => readFileSync(file, "utf8").split("\n").slice(2).join("\n");
if (body(scratch) !== body("src/env.d.ts")) {
  console.error("src/env.d.ts is stale: run npm run cf-typegen and commit it");
  process.exit(1);
}
console.log("src/env.d.ts is up to date");
