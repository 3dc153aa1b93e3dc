import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

/** API tests: the Hono app inside workerd with the Pages project's real D1 binding. */
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
          MOT_SHARED_SECRET: "test-mot-secret-0123456789",
          MOT_SHARED_SECRET_PREVIOUS: "test-mot-previous-0123456789",
          SESSION_KEYS: "k2:test-session-secret-new-0123456789,k1:test-session-secret-old-0123456789",
          IDENTITY_HASH_KEY: "test-identity-hash-key-0123456789",
          RATE_LIMIT_WRITE_PER_MIN: "100000",
          RATE_LIMIT_READ_PER_MIN: "100000",
          LOG_LEVEL: "warn",
        },
      },
    })),
  ],
  test: {
    name: "api",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    setupFiles: ["./setup.ts"],
    testTimeout: 30_000,
  },
});
