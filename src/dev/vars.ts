/**
 * Local development helpers (Node): the `.dev.vars` secrets and signed portal links.
 *
 * @module
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { hmac, toHex } from "../core/crypto";

/** Reads `.dev.vars` (dotenv syntax), creating it from `.dev.vars.example` on first use. */
export function devVars(): Record<string, string> {
  if (!existsSync(".dev.vars")) {
    copyFileSync(".dev.vars.example", ".dev.vars");
    console.log("created .dev.vars from .dev.vars.example (local-only secrets)");
  }
  const vars: Record<string, string> = {};
  for (const line of readFileSync(".dev.vars", "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (m?.[1]) vars[m[1]] = m[2] ?? "";
  }
  return vars;
}

/** The manifest token the offline app bakes into its links. */
export const DEMO_MOT = "mot-shared-token-v1";

/** A portal link signed like the offline manifest does: `#mot=…&uid=…&ts=…&sig=…`. */
export async function portalLink(base: string, uid: string, secret: string, ts = Date.now()): Promise<string> {
  const sig = toHex(await hmac(secret, `${DEMO_MOT}.${uid}.${ts}`));
  const hash = new URLSearchParams({ mot: DEMO_MOT, uid, ts: String(ts), sig });
  return `${base}/#${hash}`;
}

/**
 * Environment for every wrangler the dev scripts start: no usage metrics, no banner (in wrangler 4
 * the npm update check runs only while printing the banner) and no download of the `Request.cf`
 * sample object (the app never reads `request.cf`; offline, the download failed with a stack trace
 * on every start). A value already set in the shell wins, so any of them can be turned back on.
 */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...process.env,
    ...extra,
  };
}

/** Demo identities seeded by `npm start`. */
export const DEMO_UIDS = [
  "demoIssuerAnna000000001",
  "demoHolderBen0000000001",
  "demoBankClara000000001",
  "demoNotaryDora00000001",
] as const;

/** What each demo identity is for (printed next to its link). */
export const DEMO_ROLES: Record<(typeof DEMO_UIDS)[number], string> = {
  demoIssuerAnna000000001: "voucher issuer",
  demoHolderBen0000000001: "voucher holder, borrower (owns property house-123)",
  demoBankClara000000001: "lender (Demo Bank Clara AG)",
  demoNotaryDora00000001: "notary (Notariat Dora, demo)",
};
