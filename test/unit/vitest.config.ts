import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Unit tests of pure modules, run in workerd too (same runtime as production). */
export default defineConfig({
  plugins: [
    cloudflareTest({
      miniflare: {
        compatibilityDate: "2026-04-20",
        compatibilityFlags: ["nodejs_compat"],
        // `FC_SEED=<n>` replays the property tests of a failed run (see seed.ts).
        bindings: process.env.FC_SEED ? { FC_SEED: process.env.FC_SEED } : {},
      },
    }),
  ],
  test: { name: "unit", root: import.meta.dirname, include: ["**/*.test.ts"] },
});
