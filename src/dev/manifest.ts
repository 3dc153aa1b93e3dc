/**
 * `npm run manifest -- --out <file> [--portal <url>] [--mot <token>]`: builds the offline
 * manifest, one self-contained HTML file (template: `manifest-template.html`) that creates the
 * person's uid on first use, keeps it in `localStorage.mot_user_id_v1` and opens the portal with a
 * freshly signed link `#mot=…&uid=…&ts=…&sig=…`.
 *
 * The file holds the link secret of its distribution channel `mot` (derived from the master
 * secret, never the master secret itself): whoever holds the file can sign in as any uid of that
 * channel, and `MOT_REVOKED` can shut the channel without touching the others. The master secret
 * comes from the environment (`MOT_SHARED_SECRET`) or, locally, from `.dev.vars`.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { channelSecret } from "../identity/link";
import { MOT_PATTERN } from "../identity/schemas";
import { DEMO_MOT, devVars } from "./vars";

/** Where the template's inline script expects its configuration. */
const PLACEHOLDER = "/*__MANIFEST_CONFIG__*/null";

/** What a manifest is built for. */
export interface ManifestOptions {
  /** The master link secret (`MOT_SHARED_SECRET`); only its channel derivation goes into the file. */
  master: string;
  /** The distribution channel's token. */
  mot: string;
  /** The portal's origin (and optional path) the links open, e.g. `https://portal.example`. */
  portal: string;
  /** Build time written into the file (default now). */
  builtAt?: Date;
}

/** The manifest's HTML for `opts`. Throws on a `mot` the server would refuse or a non-http(s) portal. */
export async function buildManifest(opts: ManifestOptions): Promise<string> {
  if (!opts.master) throw new Error("the master secret (MOT_SHARED_SECRET) is empty");
  if (!MOT_PATTERN.test(opts.mot)) throw new Error("--mot: 1-256 characters of A-Z a-z 0-9 _ ~ + / = : - (no '.')");
  let portal: URL;
  try {
    portal = new URL(opts.portal);
  } catch {
    throw new Error(`--portal: not a URL: ${opts.portal}`);
  }
  if (portal.protocol !== "https:" && portal.protocol !== "http:") throw new Error("--portal: must be an http(s) URL");
  portal.hash = "";
  portal.search = "";
  const config = {
    portal: portal.href.replace(/\/+$/, ""),
    mot: opts.mot,
    key: await channelSecret(opts.master, opts.mot),
    builtAt: (opts.builtAt ?? new Date()).toISOString(),
  };
  const template = readFileSync(fileURLToPath(new URL("./manifest-template.html", import.meta.url)), "utf8");
  if (template.split(PLACEHOLDER).length !== 2) throw new Error("manifest template: expected exactly one config placeholder");
  // `<` escaped so no value can close the script element; the rest is plain JSON (valid JS).
  const json = JSON.stringify(config).replace(/</g, "\\u003c");
  return template.replace(PLACEHOLDER, () => json);
}

/** `--name value` pairs of the command line. */
function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!m?.[1]) throw new Error(`unexpected argument: ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    out[m[1]] = value;
  }
  return out;
}

async function main(): Promise<void> {
  let args: Record<string, string>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(String((err as Error).message));
    args = {};
  }
  const unknown = Object.keys(args).filter((k) => !["out", "portal", "mot"].includes(k));
  if (!args.out || unknown.length > 0) {
    console.error("usage: npm run manifest -- --out <file> [--portal <url>] [--mot <token>]");
    process.exit(2);
  }
  const master = process.env.MOT_SHARED_SECRET || devVars().MOT_SHARED_SECRET;
  if (!master) {
    console.error("MOT_SHARED_SECRET is neither in the environment nor in .dev.vars");
    process.exit(1);
  }
  const mot = args.mot ?? DEMO_MOT;
  const portal = args.portal ?? `http://localhost:${process.env.PORT ?? 8788}`;
  const html = await buildManifest({ master, mot, portal });
  const out = resolve(args.out);
  // Owner-only: the file carries the channel's link secret.
  writeFileSync(out, html, { mode: 0o600 });
  console.log(`wrote ${out}`);
  console.log(`  channel (mot): ${mot}   portal: ${portal}`);
  console.log("  It holds this channel's link secret: give it only to the people of this channel;");
  console.log(`  revoke the channel with MOT_REVOKED=${mot} (then build a manifest with a new --mot).`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
