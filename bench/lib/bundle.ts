/**
 * Size of the built Pages Functions bundle: `wrangler pages functions build` as Pages builds it
 * (not minified), plus a `--minify` build with an esbuild metafile to show what the bytes are.
 */
import { readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { run } from "./proc";

/** Raw and gzip bytes of one build's output directory. */
export interface BuildSize {
  outdir: string;
  files: Array<{ file: string; raw: number; gzip: number }>;
  raw: number;
  gzip: number;
}

/** Bundle sizes and the largest contributors of the minified build. */
export interface BundleReport {
  plain: BuildSize;
  minified: BuildSize;
  /** Bytes in the minified output per source group (npm package or project folder). */
  contributors: Array<{ group: string; bytes: number }>;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function sizeOf(outdir: string, skip: (file: string) => boolean): BuildSize {
  const files = walk(outdir)
    .filter((f) => !skip(f))
    .map((file) => {
      const buf = readFileSync(file);
      return { file, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
    });
  return {
    outdir,
    files,
    raw: files.reduce((a, f) => a + f.raw, 0),
    gzip: files.reduce((a, f) => a + f.gzip, 0),
  };
}

function group(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m?.[1]) return m[1];
  const top = /^(?:\.\.\/)*([^/]+)\//.exec(input.replace(/^.*?\/work\/main\//, ""));
  return top?.[1] ? `${top[1]}/ (project)` : input;
}

/** Builds the Functions twice under `tmp` and measures the outputs. */
export function measureBundle(tmp: string): BundleReport {
  const plainDir = join(tmp, "functions");
  const minDir = join(tmp, "functions-min");
  const meta = join(tmp, "functions-meta.json");
  rmSync(plainDir, { recursive: true, force: true });
  rmSync(minDir, { recursive: true, force: true });
  run("npx", ["wrangler", "pages", "functions", "build", "--outdir", plainDir]);
  run("npx", ["wrangler", "pages", "functions", "build", "--outdir", minDir, "--minify", "--metafile", meta]);
  const contributors = new Map<string, number>();
  const parsed = JSON.parse(readFileSync(meta, "utf8")) as {
    outputs?: Record<string, { inputs?: Record<string, { bytesInOutput: number }> }>;
  };
  for (const out of Object.values(parsed.outputs ?? {})) {
    for (const [input, info] of Object.entries(out.inputs ?? {})) {
      const g = group(input);
      contributors.set(g, (contributors.get(g) ?? 0) + info.bytesInOutput);
    }
  }
  return {
    plain: sizeOf(plainDir, (f) => f.endsWith(".map")),
    minified: sizeOf(minDir, (f) => f.endsWith(".map") || f.endsWith(".json")),
    contributors: [...contributors.entries()]
      .map(([g, bytes]) => ({ group: g, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8),
  };
}
