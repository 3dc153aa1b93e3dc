import path from "node:path";
import { buildPagesASSETSBinding, cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * Smoke test of the deployable artefact: `global-setup.mts` runs `wrangler pages functions build`
 * and the tests call the built bundle (dist-functions/index.js) as the worker's default export,
 * with the Pages project's bindings (wrangler.toml), the test secrets, and `ASSETS` serving public/
 * the way Pages serves static files for paths no function matches.
 */
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      main: path.join(root, "dist-functions/index.js"),
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
        serviceBindings: { ASSETS: await buildPagesASSETSBinding(path.join(root, "public")) },
      },
    })),
  ],
  test: {
    name: "smoke",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.mts"],
    setupFiles: ["./setup.ts"],
    testTimeout: 30_000,
  },
});
