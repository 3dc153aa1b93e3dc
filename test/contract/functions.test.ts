/**
 * The route files under functions/: each exports its route under the route's method
 * (`onRequestPost`…), so Pages' router never compiles its pattern for a request of another
 * method; only the API's catch-all and middleware answer every method.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const EVERY_METHOD = new Set(["functions/api/[[path]].ts", "functions/api/_middleware.ts"]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("functions/", () => {
  const all = files(join(root, "functions")).map((f) => relative(root, f));

  it("route files export onRequest<Method> only; the catch-all and the middleware export onRequest", () => {
    expect(all.length).toBeGreaterThan(50);
    for (const file of all) {
      const exports = [...readFileSync(join(root, file), "utf8").matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
      if (EVERY_METHOD.has(file)) expect(exports, file).toEqual(["onRequest"]);
      else {
        expect(exports.length, file).toBeGreaterThan(0);
        for (const name of exports) expect(name, file).toMatch(/^onRequest(Get|Post|Put|Delete)$/);
      }
    }
  });
});
