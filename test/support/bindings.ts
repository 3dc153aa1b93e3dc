/**
 * Secrets and settings the workerd test projects bind (Node side: imported by vitest configs).
 * Test-only values; the limits are raised so only the rate-limit tests see a 429.
 */
export const TEST_BINDINGS = {
  MOT_SHARED_SECRET: "test-mot-secret-0123456789",
  MOT_SHARED_SECRET_PREVIOUS: "test-mot-previous-0123456789",
  SESSION_KEYS: "k2:test-session-secret-new-0123456789,k1:test-session-secret-old-0123456789",
  IDENTITY_HASH_KEY: "test-identity-hash-key-0123456789",
  RATE_LIMIT_WRITE_PER_MIN: "100000",
  RATE_LIMIT_READ_PER_MIN: "100000",
  // The admin-auth tests fail on purpose many times from one address; the lockout test lowers it.
  ADMIN_AUTH_FAILURES_PER_MIN: "100000",
  LOG_LEVEL: "warn",
  ADMIN_TOKEN: "test-admin-token-0123456789",
} as const;
