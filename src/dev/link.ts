/**
 * `npm run link -- <uid> [base-url]`: prints a signed portal link (valid for 5 minutes, once).
 */
import { devVars, portalLink } from "./vars";

const [uid, base = `http://localhost:${process.env.PORT ?? 8788}`] = process.argv.slice(2);
if (!uid || !/^[A-Za-z0-9._-]{1,128}$/.test(uid)) {
  console.error("usage: npm run link -- <uid> [base-url]   (uid: 1-128 chars of A-Z a-z 0-9 . _ -)");
  process.exit(2);
}
const secret = devVars().MOT_SHARED_SECRET;
if (!secret) {
  console.error("MOT_SHARED_SECRET is not set in .dev.vars");
  process.exit(1);
}
console.log(await portalLink(base, uid, secret));
