/**
 * `npm start`: migrate the local D1, seed demo data, serve everything on http://localhost:8788
 * (PORT overrides) with `wrangler pages dev`, the backend Worker (Room DO) in the same process
 * (`-c wrangler.toml -c src/worker/wrangler.toml`), and print the URLs and demo links once the
 * server answers.
 *
 * The output is kept to what a developer acts on: wrangler's banner, binding tables and cron
 * notice are left out, the migrations are listed once (only the ones this start applied), and
 * anything else wrangler prints — request lines, the app's JSON logs, warnings, errors — passes
 * through. `VERBOSE=1 npm start` shows wrangler's output unfiltered. Arguments after `--` go to
 * `wrangler pages dev` (e.g. `npm start -- --binding AUTH_MODE=compat`).
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { seedLocal } from "./seed";
import { DEMO_ROLES, DEMO_UIDS, devVars, portalLink, wranglerEnv } from "./vars";
import { vendorAssets } from "./vendor";

const port = process.env.PORT ?? "8788";
const base = `http://localhost:${port}`;
const verbose = process.env.VERBOSE === "1";
const vars = devVars();

migrateLocal();
await seedLocal();
vendorAssets();

const authMode = vars.AUTH_MODE ?? /AUTH_MODE\s*=\s*"(\w+)"/.exec(readFileSync("wrangler.toml", "utf8"))?.[1];
if (authMode === "compat") {
  console.warn(
    JSON.stringify({
      level: "warn",
      msg: "AUTH_MODE=compat: unsigned legacy clients may assert their uid. Never use in production.",
    }),
  );
}
if (!vars.ADMIN_TOKEN) {
  console.warn(
    "ADMIN_TOKEN is not in .dev.vars (created before .dev.vars.example had it): copy its line over, else the admin API answers 503",
  );
}

console.log(`starting wrangler pages dev on port ${port} (Pages project + backend Worker) …`);
const child = spawn(
  "npx",
  ["wrangler", "pages", "dev", "-c", "wrangler.toml", "-c", "src/worker/wrangler.toml", "--port", port, ...process.argv.slice(2)],
  {
    stdio: verbose ? "inherit" : ["inherit", "pipe", "pipe"],
    // Piped output loses the terminal, and with it wrangler's colours: ask for them back.
    env: wranglerEnv(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
  },
);
let ready = false;
let afterBlank = true; // the last line written (by wrangler or us) was blank
let probeLogged = () => {};
if (child.stdout && child.stderr) {
  filterInto(child.stdout, process.stdout);
  filterInto(child.stderr, process.stderr);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
// "close", not "exit": wrangler's last lines (a build error) are still in the pipes when it exits.
child.on("close", (code) => process.exit(code ?? 0));
await announceWhenReady();

/**
 * Applies the committed migrations to the local D1 and prints one line: the migrations applied
 * now, or that none were pending. wrangler's own report (a table before and one after every
 * migration) is shown only when the step fails or with VERBOSE=1.
 */
function migrateLocal(): void {
  const total = readdirSync("migrations").filter((f) => f.endsWith(".sql")).length;
  let out: string;
  try {
    out = execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], {
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      env: wranglerEnv({ CI: "1" }),
    });
  } catch (e) {
    const { stdout = "", stderr = "" } = e as { stdout?: string; stderr?: string };
    console.error(`applying migrations to the local D1 failed:\n${stdout}${stderr}`);
    process.exit(1);
  }
  if (verbose) console.log(out);
  const applied = [...new Set(out.match(/\b\d{4}_[\w-]+\.sql\b/g) ?? [])];
  console.log(
    applied.length > 0
      ? `local D1 (.wrangler/state): applied ${applied.length} of ${total} migrations: ${applied.join(", ")}`
      : `local D1 (.wrangler/state): all ${total} migrations applied before, none pending`,
  );
}

/**
 * Copies wrangler's output line by line, leaving out what only repeats the configuration: the
 * binding tables (the vars are in wrangler.toml and .dev.vars), the note on connecting to other
 * dev processes, the notice that crons do not fire locally and the "ready" lines (the summary
 * says both), and, until the server is announced, the requests of the readiness probe.
 */
function filterInto(from: Readable, to: Writable): void {
  let skipping: RegExp | null = null; // inside a dropped block, until a line matches this
  createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (raw) => {
    const line = stripVTControlCharacters(raw);
    if (skipping) {
      if (skipping.test(line)) skipping = null;
      return;
    }
    if (/has access to the following bindings:$/.test(line)) {
      skipping = /^\s*$/;
      return;
    }
    if (/Scheduled Workers are not automatically triggered/.test(line)) {
      skipping = /For more details, see/;
      return;
    }
    if (/^Service bindings, Durable Object bindings, and Tail consumers connect/.test(line)) return;
    if (/^⎔ Starting local server|^\[wrangler:info\] Ready on /.test(line)) return; // the summary says it
    if (!ready && line.includes("/api/health")) {
      if (/GET \/api\/health \d{3}/.test(line)) probeLogged();
      return;
    }
    // Runs of blank lines collapse into one (leading ones are dropped).
    if (line.trim() === "") {
      if (afterBlank) return;
      afterBlank = true;
    } else afterBlank = false;
    to.write(`${raw}\n`);
  });
}

/**
 * Waits until the app answers `GET /api/health`, then prints where everything is and fresh demo
 * links (signed now, so their 5 minutes start when they are shown). A health report other than
 * 200 is shown, since it names a pending migration or a D1 failure.
 */
async function announceWhenReady(): Promise<void> {
  let res: Response | undefined;
  while (!res && child.exitCode === null) {
    res = await fetch(`${base}/api/health`).catch(() => undefined);
    if (!res) await new Promise((r) => setTimeout(r, 300));
  }
  if (!res) return;
  const health = await res.text();
  // The probe's log lines come after its response: wait for wrangler's request line (at most 2 s),
  // so they are filtered and the summary stays the last thing printed.
  await new Promise<void>((resolve) => {
    probeLogged = resolve;
    setTimeout(resolve, 2000);
  });
  ready = true;
  const lines = [
    ...(afterBlank ? [] : [""]),
    `▸ ready on ${base}`,
    `  portal     ${base}/   (open a demo link below to sign in, or come in as a new person:`,
    `             npm run manifest -- --out manifest.html --portal ${base}, then open the file)`,
    `  honeycomb  ${base}/honeycomb.html`,
    `  admin      ${base}/admin.html   (token: ADMIN_TOKEN in .dev.vars)`,
    `  API docs   ${base}/api/docs`,
    "  cron jobs  do not fire locally: npm run cron -- settle|sweep",
  ];
  if (!res.ok) lines.push(`  ⚠ GET /api/health answered ${res.status}: ${health}`);
  lines.push("▸ demo links (valid 5 minutes, single use; fresh ones: npm run link -- <uid>)");
  for (const uid of DEMO_UIDS) {
    lines.push(`  ${uid.padEnd(24)} ${await portalLink(base, uid, vars.MOT_SHARED_SECRET ?? "")}  (${DEMO_ROLES[uid]})`);
  }
  console.log(lines.join("\n"));
  afterBlank = false;
}
