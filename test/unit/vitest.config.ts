import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Unit tests of pure modules, run in workerd too (same runtime as production). */
export default defineConfig({
  plugins: [cloudflareTest({ miniflare: { compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat"] } })],
  test: { name: "unit", root: import.meta.dirname, include: ["**/*.test.ts"] },
});
