/**
 * `npm run cron -- <settle|sweep> [ISO time]`: fires one of the backend Worker's cron jobs against
 * the local D1 of `npm start` (`.wrangler/state`, or `STATE_DIR`), as the platform would at that
 * scheduled time.
 * It starts `wrangler dev --test-scheduled` for the Worker alone on a free port, calls
 * `/cdn-cgi/handler/scheduled?cron=…&time=…`, prints the Worker's JSON log lines and stops it.
 */
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { CRONS } from "../worker/cron";

const [job = "", at] = process.argv.slice(2);
const cron = (CRONS as Record<string, string>)[job];
if (!cron) {
  console.error(`usage: npm run cron -- <${Object.keys(CRONS).join("|")}> [ISO time, default now]`);
  process.exit(2);
}
const time = at ? Date.parse(at) : Date.now();
if (Number.isNaN(time)) {
  console.error(`not an ISO time: ${at}`);
  process.exit(2);
}

// The same local D1 as `npm start`, brought up to date first (idempotent).
const state = process.env.STATE_DIR ?? ".wrangler/state";
execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CI: "1" },
});

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const child = spawn(
  "npx",
  [
    "wrangler",
    "dev",
    "-c",
    "src/worker/wrangler.toml",
    "--test-scheduled",
    "--persist-to",
    state,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
  ],
  { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
let out = "";
child.stdout.on("data", (d: Buffer) => {
  out += d.toString();
  // The Worker's own log lines are JSON objects: show them as they come.
  for (const line of d.toString().split("\n")) if (line.includes('{"level"')) console.log(line.slice(line.indexOf("{")));
});
const stop = () => child.kill("SIGTERM");
process.on("SIGINT", stop);

try {
  const url = `http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}&time=${time}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(url);
      console.log(`${job} (${cron}) at ${new Date(time).toISOString()}: HTTP ${res.status} ${await res.text()}`);
      process.exitCode = res.ok ? 0 : 1;
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  // Let the last log lines arrive.
  await new Promise((r) => setTimeout(r, 500));
} finally {
  stop();
}
