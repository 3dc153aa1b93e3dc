/**
 * `npm run db:check`: fails when `src/db/schema.ts` and the committed migrations drift apart,
 * by letting drizzle-kit generate against a copy of `migrations/` and checking it adds nothing.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";

// drizzle-kit prefixes `--out` with "./", so the scratch copy must live inside the repo (gitignored).
const dir = ".wrangler/migrations-check";
rmSync(dir, { recursive: true, force: true });
mkdirSync(".wrangler", { recursive: true });
try {
  cpSync("migrations", dir, { recursive: true });
  const before = readdirSync(dir).sort();
  execFileSync("npx", ["drizzle-kit", "generate", "--dialect", "sqlite", "--schema", "src/db/schema.ts", "--out", dir], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const added = readdirSync(dir).filter((f) => !before.includes(f));
  if (added.length > 0) {
    console.error(`schema and migrations drift: drizzle-kit would add ${added.join(", ")}. Run npm run db:generate and commit.`);
    process.exit(1);
  }
  console.log("migrations match src/db/schema.ts");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
