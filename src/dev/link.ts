/**
 * `npm run link -- <uid> [base-url] [--mot <token>]`: prints a signed portal link (valid for 5
 * minutes, once). Without `--mot` the link carries the demo token and is signed with the master
 * secret (an operator's link); with it, the link is signed as that channel's manifest signs it,
 * with the channel secret, so a channel (and its revocation) can be tried locally.
 */
import { hmac, toHex } from "../core/crypto";
import { channelSecret } from "../identity/link";
import { MOT_PATTERN } from "../identity/schemas";
import { devVars, portalLink } from "./vars";

const args = process.argv.slice(2);
const motAt = args.indexOf("--mot");
const mot = motAt >= 0 ? args[motAt + 1] : undefined;
const positional = motAt >= 0 ? [...args.slice(0, motAt), ...args.slice(motAt + 2)] : args;
const [uid, base = `http://localhost:${process.env.PORT ?? 8788}`] = positional;
if (!uid || !/^[A-Za-z0-9_-]{1,128}$/.test(uid) || (motAt >= 0 && !(mot && MOT_PATTERN.test(mot)))) {
  console.error(
    "usage: npm run link -- <uid> [base-url] [--mot <token>]   (uid: 1-128 chars of A-Z a-z 0-9 _ -; token without '.')",
  );
  process.exit(2);
}
const secret = devVars().MOT_SHARED_SECRET;
if (!secret) {
  console.error("MOT_SHARED_SECRET is not set in .dev.vars");
  process.exit(1);
}
if (mot) {
  const ts = Date.now();
  const sig = toHex(await hmac(await channelSecret(secret, mot), `${mot}.${uid}.${ts}`));
  console.log(`${base}/#${new URLSearchParams({ mot, uid, ts: String(ts), sig })}`);
} else {
  console.log(await portalLink(base, uid, secret));
}
