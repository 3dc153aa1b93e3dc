import { defineConfig } from "vitest/config";

/**
 * Contract tests of the OpenAPI document, in Node: the standard validator compiles JSON Schema
 * with `new Function`, which workerd forbids (the API tests check responses with an interpreting
 * validator instead, see test/support/openapi.ts).
 */
export default defineConfig({
  test: { name: "contract", root: import.meta.dirname, include: ["**/*.test.ts"], environment: "node", testTimeout: 30_000 },
});
