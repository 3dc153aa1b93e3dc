/**
 * Builds the Pages Functions bundle the smoke test runs (`functions/` → dist-functions/index.js),
 * exactly as Pages would, before any test worker starts. Runs in Node, once per vitest run
 * (`.mts`: Node-side like the vitest configs, so outside the workerd-typed tsconfig).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";

export default function buildPagesFunctions(): void {
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync("npx", ["wrangler", "pages", "functions", "build", "--outdir", "dist-functions"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
}
