/**
 * `npm run db:seed`: idempotent demo data for the local D1 (`.wrangler/state`): the demo
 * identities and a few priced vouchers of the demo issuer. Reference data (templates, fee
 * rules) comes from the migrations, not from here.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { thinkerIdentity } from "../identity/thinker";
import { DEMO_UIDS, devVars, wranglerEnv } from "./vars";

const HOUR = 3_600_000;
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** SQL that creates or refreshes the demo data; safe to run any number of times. */
export async function seedSql(now: number, identityKey: string): Promise<string> {
  const lines: string[] = [];
  for (const uid of DEMO_UIDS) {
    const { publicId, thinkerId } = await thinkerIdentity(uid, identityKey);
    lines.push(
      `INSERT INTO thinkers (id, public_id, created_at, verified_at, meta) VALUES (${q(thinkerId)}, ${q(publicId)}, ${now}, ${now}, '{"demo":true}') ON CONFLICT (public_id) DO NOTHING;`,
    );
  }
  const [issuer] = DEMO_UIDS;
  const from = Math.ceil(now / HOUR) * HOUR;
  const demo = [
    ["v-demo-consulting", "consulting.session", "Beratungssitzung (Demo)", 60, 5000],
    ["v-demo-therapy", "therapy.session", "Therapiesitzung (Demo)", 50, 8000],
    ["v-demo-viewing", "realestate.viewing", "Immobilienbesichtigung (Demo)", 45, null],
  ] as const;
  for (const [id, template, title, minutes, price] of demo) {
    const priceSql = price === null ? "NULL, NULL" : `${price}, 'EUR'`;
    // Keeps the demo vouchers bookable: an unbooked demo voucher gets a fresh 7-day window.
    lines.push(
      `INSERT INTO vouchers (id, issuer_uid, holder_uid, template_id, service_type, title, description, duration_minutes, valid_from, valid_until, price_amount, price_currency, status, transferable, terms, created_at, updated_at)
       VALUES (${q(id)}, ${q(issuer)}, NULL, ${q(template)}, ${q(template)}, ${q(title)}, 'Seeded by npm start', ${minutes}, ${from}, ${from + 7 * 24 * HOUR}, ${priceSql}, 'issued', 1, '{"demo":true}', ${now}, ${now})
       ON CONFLICT (id) DO UPDATE SET valid_from = excluded.valid_from, valid_until = excluded.valid_until, updated_at = excluded.updated_at
       WHERE vouchers.status = 'issued' AND vouchers.valid_until < excluded.valid_until - ${24 * HOUR};`,
    );
  }
  // The mortgage parties (roles are granted by an admin in production) and the borrower's
  // property the original portal's mortgage button names.
  const [, borrower, lender, notary] = DEMO_UIDS;
  for (const [uid, role, name] of [
    [lender, "lender", "Demo Bank Clara AG"],
    [notary, "notary", "Notariat Dora (Demo)"],
  ] as const) {
    lines.push(
      `INSERT INTO parties (uid, display_name, created_at, updated_at) VALUES (${q(uid)}, ${q(name)}, ${now}, ${now}) ON CONFLICT (uid) DO NOTHING;`,
      `INSERT INTO party_roles (uid, role, granted_at) VALUES (${q(uid)}, ${q(role)}, ${now}) ON CONFLICT DO NOTHING;`,
    );
  }
  const address = JSON.stringify({ street: "Musterstraße 1", zip: "12345", city: "Musterstadt", country: "DE" });
  lines.push(
    `INSERT INTO properties (id, owner_uid, type, address, purchase_price_amount, own_capital_amount, currency, meta, created_at, updated_at)
     VALUES ('house-123', ${q(borrower)}, 'single-family-house', ${q(address)}, 45000000, 9000000, 'EUR',
       '{"livingAreaSqm":140,"plotSizeSqm":380,"yearBuilt":1998}', ${now}, ${now}) ON CONFLICT (id) DO NOTHING;`,
  );
  return lines.join("\n");
}

/** Applies the seed to the local D1 through wrangler. */
export async function seedLocal(): Promise<void> {
  const vars = devVars();
  const sqlText = await seedSql(Date.now(), vars.IDENTITY_HASH_KEY ?? "");
  const file = join(mkdtempSync(join(tmpdir(), "ts-seed-")), "seed.sql");
  writeFileSync(file, sqlText);
  execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", `--file=${file}`], {
    stdio: ["ignore", "ignore", "inherit"],
    env: wranglerEnv(),
  });
  console.log(`seeded ${DEMO_UIDS.length} demo identities, 3 demo vouchers, a demo lender, notary and property`);
}

if (import.meta.url === `file://${process.argv[1]}`) await seedLocal();
