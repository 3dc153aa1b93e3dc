import { defineConfig } from "vitest/config";

/** All test projects; `npm test` runs them after typecheck and lint. */
export default defineConfig({
  test: {
    projects: [
      "test/unit/vitest.config.ts",
      "test/api/vitest.config.ts",
      "test/smoke/vitest.config.ts",
      "test/worker/vitest.config.ts",
      "test/contract/vitest.config.ts",
    ],
  },
});
