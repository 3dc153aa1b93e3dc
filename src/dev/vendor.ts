/**
 * `npm run vendor`: copies the browser libraries the static pages use from `node_modules` into
 * `public/vendor/` (gitignored), so pages load them from our own origin — no CDN, and the exact
 * version is the one pinned in package-lock.json. Run by `npm start`, `npm run build` and
 * `npm run deploy` before anything serves or uploads `public/`.
 *
 * Vendored: uPlot (MIT, the charts of public/admin.html) — the minified IIFE build (defines the
 * global `uPlot`), its stylesheet and its license.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One vendored package: the files copied from `node_modules/<pkg>/` to `public/vendor/<to>`. */
interface Vendored {
  readonly pkg: string;
  readonly files: ReadonlyArray<readonly [from: string, to: string]>;
}

export const VENDORED: readonly Vendored[] = [
  {
    pkg: "uplot",
    files: [
      ["dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
      ["dist/uPlot.min.css", "uPlot.min.css"],
      ["LICENSE", "uPlot.LICENSE.txt"],
    ],
  },
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Copies every {@link VENDORED} file into `<root>/public/vendor/`. Returns the written paths.
 *
 * @throws Error naming the package when it is not installed (`npm install` / `npm ci` first).
 */
export function vendorAssets(root = ROOT): string[] {
  const out = join(root, "public", "vendor");
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const { pkg, files } of VENDORED) {
    const dir = join(root, "node_modules", pkg);
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) throw new Error(`vendor: ${pkg} is not installed (run npm ci)`);
    const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
    for (const [from, to] of files) {
      copyFileSync(join(dir, from), join(out, to));
      written.push(join(out, to));
    }
    console.log(`vendored ${pkg}@${version} → public/vendor/ (${files.map(([, to]) => to).join(", ")})`);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) vendorAssets();
