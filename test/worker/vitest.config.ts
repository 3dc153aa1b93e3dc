import path from "node:path";
import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * The backend Worker's own project: `main` is src/worker/index.ts, so the Room DO runs in the test
 * isolate and runInDurableObject / runDurableObjectAlarm / evictDurableObject work on it (they do
 * not for a DO in another script, style-anchors P7).
 */
/** The `[triggers] crons` of the Worker's wrangler.toml, so a test can hold them against the code's table. */
function configuredCrons(): string[] {
  const toml = readFileSync(path.join(root, "src/worker/wrangler.toml"), "utf8");
  const line = /^crons\s*=\s*\[(.*)\]/m.exec(toml)?.[1] ?? "";
  return [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "");
}

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: path.join(root, "src/worker/wrangler.toml") },
      // A small room, so the capacity test needs 4 sockets and not 200.
      miniflare: {
        bindings: {
          ROOM_MAX_CONNECTIONS: "4",
          TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
          TEST_CRONS: JSON.stringify(configuredCrons()),
        },
      },
    })),
  ],
  test: {
    name: "worker",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    setupFiles: ["../api/setup.ts"],
    testTimeout: 15_000,
  },
});
