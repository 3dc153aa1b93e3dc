/**
 * The layers a newcomer can rely on, checked on the import statements of src/:
 *
 * - the ground floor (core, db, money) imports nothing above it;
 * - identity declares no routes (route declarations live with the other routes);
 * - the Room Durable Object and the modules it runs never import the HTTP kernel.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const src = join(root, "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : files(path);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

/** The repository-relative files a module imports (relative imports only; packages are not layers). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)[^"']*?from\s+["'](\.[^"']+)["']/gm)) {
    out.push(relative(root, resolve(dirname(file), m[1] as string)));
  }
  return out;
}

const layerOf = (path: string) => path.split("/")[1] ?? "";
const all = files(src).map((f) => ({ file: relative(root, f), imports: importsOf(f) }));

describe("layering", () => {
  it("sees the source tree", () => {
    expect(all.length).toBeGreaterThan(50);
    expect(all.some((f) => f.file === "src/core/errors.ts")).toBe(true);
  });

  it("the ground floor (core, db, money) imports nothing above it", () => {
    const ground = new Set(["core", "db", "money"]);
    const bad = all
      .filter((f) => ground.has(layerOf(f.file)))
      .flatMap((f) => f.imports.filter((i) => i.startsWith("src/") && !ground.has(layerOf(i))).map((i) => `${f.file} → ${i}`));
    expect(bad).toEqual([]);
  });

  it("core imports nothing but core", () => {
    const bad = all
      .filter((f) => layerOf(f.file) === "core")
      .flatMap((f) => f.imports.filter((i) => layerOf(i) !== "core").map((i) => `${f.file} → ${i}`));
    expect(bad).toEqual([]);
  });

  it("identity declares no routes", () => {
    const bad = all.filter((f) => layerOf(f.file) === "identity" && f.imports.some((i) => i.startsWith("src/http/")));
    expect(bad.map((f) => f.file)).toEqual([]);
  });

  it("the Room Durable Object and what it imports never reach the HTTP kernel", () => {
    const seen = new Set<string>();
    const queue = ["src/rooms/room.do.ts"];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const entry = all.find((f) => f.file === file || f.file === `${file}.ts`);
      for (const i of entry?.imports ?? []) if (i.startsWith("src/")) queue.push(i.endsWith(".ts") ? i : `${i}.ts`);
    }
    expect(seen.size).toBeGreaterThan(3);
    expect([...seen].filter((f) => f.startsWith("src/http/"))).toEqual([]);
  });
});
