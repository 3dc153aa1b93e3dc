/**
 * `npm start`: migrate the local D1, seed demo data, print demo links, serve everything on
 * http://localhost:8788 (PORT overrides) with `wrangler pages dev`, the backend Worker (Room DO) in
 * the same process (`-c wrangler.toml -c src/worker/wrangler.toml`).
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { seedLocal } from "./seed";
import { DEMO_UIDS, devVars, portalLink } from "./vars";
import { vendorAssets } from "./vendor";

const port = process.env.PORT ?? "8788";
const vars = devVars();
const step = (msg: string) => console.log(`\n▸ ${msg}`);

step("applying migrations to the local D1 (.wrangler/state)");
execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, CI: "1" },
});

step("seeding demo data");
await seedLocal();

const authMode = vars.AUTH_MODE ?? /AUTH_MODE\s*=\s*"(\w+)"/.exec(readFileSync("wrangler.toml", "utf8"))?.[1];
if (authMode === "compat") {
  console.warn(
    JSON.stringify({
      level: "warn",
      msg: "AUTH_MODE=compat: unsigned legacy clients may assert their uid. Never use in production.",
    }),
  );
}

step(`demo links (valid 5 minutes, single use; fresh ones: npm run link -- <uid>)`);
for (const uid of DEMO_UIDS)
  console.log(`  ${uid}: ${await portalLink(`http://localhost:${port}`, uid, vars.MOT_SHARED_SECRET ?? "")}`);

step("vendoring browser libraries into public/vendor/");
vendorAssets();
console.log(
  vars.ADMIN_TOKEN
    ? `  admin page: http://localhost:${port}/admin.html (token: ADMIN_TOKEN in .dev.vars)`
    : `  admin page: http://localhost:${port}/admin.html — ADMIN_TOKEN is not in .dev.vars (older than .dev.vars.example): copy its line over, else the admin API answers 503`,
);

step(`serving http://localhost:${port}  (API docs: http://localhost:${port}/api/docs)`);
const child = spawn(
  "npx",
  ["wrangler", "pages", "dev", "-c", "wrangler.toml", "-c", "src/worker/wrangler.toml", "--port", port, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
