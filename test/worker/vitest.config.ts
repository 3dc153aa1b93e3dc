import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * The backend Worker's own project: `main` is src/worker/index.ts, so the Room DO runs in the test
 * isolate and runInDurableObject / runDurableObjectAlarm / evictDurableObject work on it (they do
 * not for a DO in another script, style-anchors P7).
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(root, "src/worker/wrangler.toml") },
      // A small room, so the capacity test needs 4 sockets and not 200.
      miniflare: { bindings: { ROOM_MAX_CONNECTIONS: "4" } },
    }),
  ],
  test: { name: "worker", root: import.meta.dirname, include: ["**/*.test.ts"], testTimeout: 15_000 },
});
