import path from "node:path";
import { buildPagesASSETSBinding, cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_BINDINGS } from "../support/bindings";
import { backendWorker } from "../support/build-worker.mts";

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
          ...TEST_BINDINGS,
        },
        serviceBindings: { ASSETS: await buildPagesASSETSBinding(path.join(root, "public")) },
        // The backend Worker hosting the Room DO (ROOMS has script_name = "together-systems-backend").
        workers: [backendWorker()],
      },
    })),
  ],
  test: {
    name: "smoke",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    globalSetup: ["../support/build-worker.mts", "./global-setup.mts"],
    setupFiles: ["./setup.ts"],
    testTimeout: 30_000,
  },
});
