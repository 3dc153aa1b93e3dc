import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_BINDINGS } from "../support/bindings";
import { backendWorker } from "../support/build-worker.mts";

const root = path.resolve(import.meta.dirname, "../..");

/** API tests: the Hono app inside workerd with the Pages project's real D1 binding. */
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
          ...TEST_BINDINGS,
        },
        // An empty second database: the migration tests apply the migrations step by step to it.
        d1Databases: { MIGRATION_DB: "migration-test" },
        // The backend Worker hosting the Room DO (ROOMS has script_name = "together-systems-backend").
        // A short leave grace, so the legacy /ws test sees `system leave` without waiting 10 s.
        workers: [backendWorker({ ROOM_LEAVE_GRACE_MS: "300" })],
        // The backend Worker's own fetch (it serves the upload route for a zone route).
        serviceBindings: { BACKEND: "together-systems-backend" },
      },
    })),
  ],
  test: {
    name: "api",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    globalSetup: ["../support/build-worker.mts"],
    setupFiles: ["./setup.ts"],
    testTimeout: 30_000,
  },
});
