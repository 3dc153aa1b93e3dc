/**
 * Waiting for state another component reaches on its own schedule (a Room handling a close),
 * without fixed sleeps: a slow machine waits longer instead of failing.
 *
 * @module
 */

/**
 * Polls `check` every `everyMs` until it returns true, for up to `ms`. The deadline is a timer,
 * not `Date.now()`, so it holds while a test has pinned the clock (`vi.setSystemTime`).
 */
export async function eventually(check: () => Promise<boolean>, what: string, ms = 3000, everyMs = 10): Promise<void> {
  let late = false;
  const timer = setTimeout(() => {
    late = true;
  }, ms);
  try {
    while (!(await check())) {
      if (late) throw new Error(`not reached within ${ms} ms: ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    clearTimeout(timer);
  }
}
