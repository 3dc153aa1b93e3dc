/**
 * `npm run test:browser:portal`: the portal people use, in a real Chromium (playwright-core with the
 * system's `chromium`; no browser is downloaded), against the stack `npm start` serves, on a fresh
 * local D1 and R2. People onboard from a built offline manifest only (harness.ts); the scenarios
 * drive every area through its page as two or more people. Screenshots of each area are written
 * to SHOTS_DIR (default test-results/portal); UPDATE_DOC_SHOTS=1 also copies them to docs/img.
 *
 * Exit code 0 = pass, 1 = fail (message on stderr). KEEP_TMP=1 keeps the temp folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { killAllSync, logTail, stopServer, waitForHttp } from "../../bench/lib/proc";
import { exampleVars } from "../../bench/lib/setup";
import { type Served, applyAppMigrations, startApp } from "../../bench/lib/stack";
import { buildManifest } from "../../src/dev/manifest";
import {
  type Person,
  type Suite,
  TestFailure,
  check,
  chromiumPath,
  newPerson,
  onboard,
  screenshot,
  step,
} from "./portal/harness";
import { SCENARIOS } from "./portal/scenarios";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
process.chdir(ROOT);

async function main(): Promise<void> {
  const executablePath = chromiumPath();
  const tmp = mkdtempSync(join(tmpdir(), "portal-browser-"));
  const state = join(tmp, "state");
  const shots = resolve(process.env.SHOTS_DIR ?? "test-results/portal");
  const only = process.env.ONLY?.split(",").filter(Boolean);
  let app: Served | undefined;
  let browser: Browser | undefined;
  const people = new Map<string, Person>();
  try {
    step(`migrating a fresh local D1 in ${state}`);
    applyAppMigrations(state);
    app = await startApp(state, join(tmp, "pages-dev.log"));
    await waitForHttp(app.server, `${app.url}/api/voucher/templates`);
    const base = app.url;
    step(`wrangler pages dev (Pages project + backend Worker) on ${base}`);
    const vars = exampleVars();
    const secret = vars.MOT_SHARED_SECRET ?? "";
    const adminToken = vars.ADMIN_TOKEN ?? "";
    check(secret && adminToken, ".dev.vars.example lacks MOT_SHARED_SECRET or ADMIN_TOKEN");

    const manifestFile = join(tmp, "together-systems-manifest.html");
    writeFileSync(manifestFile, await buildManifest({ master: secret, mot: "browser-suite", portal: base }));
    const manifestUrl = pathToFileURL(manifestFile).href;
    step(`offline manifest built for channel browser-suite: ${manifestFile}`);

    browser = await chromium.launch({ executablePath, headless: true });
    step(`Chromium ${browser.version()} (${executablePath})`);
    const b = browser;
    const suite: Suite = {
      base,
      adminToken,
      browser: b,
      manifestUrl,
      shots,
      run: Date.now().toString(36),
      async person(name) {
        const known = people.get(name);
        if (known) return known;
        const p = await newPerson(b, base, name);
        people.set(name, p);
        await onboard(p, manifestUrl, base);
        step(`${name} onboarded from the offline manifest as ${p.uid}`);
        return p;
      },
      shot: (p, area) => screenshot(p, shots, area),
      async admin(method, path, body) {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${adminToken}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        check(res.ok, `admin ${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
        return JSON.parse(text) as unknown;
      },
    };
    for (const [name, scenario] of SCENARIOS) {
      if (only && !only.includes(name)) continue;
      step(`── ${name}`);
      await scenario(suite);
      const errors = [...people.values()].flatMap((p) => p.errors.map((e) => `${p.name}: ${e}`));
      check(errors.length === 0, `page errors during ${name}:\n${errors.join("\n")}`);
    }
    step(`all scenarios passed; screenshots in ${shots}`);
  } catch (err) {
    if (app) console.error(`--- last lines of wrangler's log ---\n${logTail(app.server, 40)}`);
    throw err;
  } finally {
    await browser?.close().catch(() => {});
    if (app) await stopServer(app.server);
    if (process.env.KEEP_TMP !== "1") rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  }
}

process.on("exit", killAllSync);
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof TestFailure ? `FAIL: ${err.message}` : err);
    process.exit(1);
  },
);
