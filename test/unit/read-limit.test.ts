/**
 * The read limiter: the Rate Limiting binding decides when there is one, the per-isolate fixed
 * window otherwise (and when the binding fails); a refusal is the same 429 as the write limiter's.
 * Clocks are passed in, nothing here waits.
 */
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/core/errors";
import { IsolateWindow, READ_WINDOW_MS, type ReadLimiterBinding, limitRead, readLimiterOf } from "../../src/http/read-limit";
import { rateLimited } from "../../src/http/rate-limit";

const T0 = Date.UTC(2026, 11, 1, 10); // a window boundary (whole minute)
let keyCounter = 0;
/** The fallback window is module state shared by the whole file: every test uses its own keys. */
const freshKey = (label: string) => `test.route|uid:${label}${keyCounter++}`;

/** Runs `fn` and returns the AppError it threw (fails the test if it threw nothing or something else). */
function refusal(fn: () => void): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected a 429, got none");
}

async function refusalOf(p: Promise<void>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (err instanceof AppError) return err;
  throw new Error(`expected a 429 AppError, got ${String(err)}`);
}

function expect429(err: AppError, limit: number, retryAfter: number) {
  expect(err.status).toBe(429);
  expect(err.code).toBe("rate_limited");
  expect(err.details).toEqual({ limit, retryAfter });
  expect(err.headers).toEqual({ "retry-after": String(retryAfter) });
}

/** A binding that answers from a script and records the keys it was asked about. */
function scriptedBinding(answers: Array<boolean | Error>) {
  const keys: string[] = [];
  const binding: ReadLimiterBinding = {
    async limit({ key }) {
      keys.push(key);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return { success: next ?? true };
    },
  };
  return { binding, keys };
}

const envWith = (binding: unknown) => ({ READ_LIMITER: binding }) as unknown as Env;
const noBinding = {} as Env;

describe("the per-isolate window", () => {
  it("admits `limit` requests per key and window, refuses the next with the seconds left in the window", () => {
    const w = new IsolateWindow();
    for (let i = 0; i < 3; i++) w.hit("a", 3, T0 + 15_000);
    expect429(
      refusal(() => w.hit("a", 3, T0 + 15_000)),
      3,
      45,
    );
    // Refused requests count too: the caller stays refused until the window ends.
    expect429(
      refusal(() => w.hit("a", 3, T0 + 59_500)),
      3,
      1,
    );
    // Another key is not affected.
    w.hit("b", 3, T0 + 59_500);
  });

  it("starts over in the next window", () => {
    const w = new IsolateWindow();
    for (let i = 0; i < 2; i++) w.hit("a", 2, T0 + 1_000);
    expect(() => w.hit("a", 2, T0 + 1_000)).toThrow(AppError);
    w.hit("a", 2, T0 + READ_WINDOW_MS);
    w.hit("a", 2, T0 + READ_WINDOW_MS + 1);
    expect(() => w.hit("a", 2, T0 + READ_WINDOW_MS + 2)).toThrow(AppError);
  });

  it("holds at most maxKeys keys; the oldest is forgotten first", () => {
    const w = new IsolateWindow(READ_WINDOW_MS, 3);
    w.hit("old", 1, T0);
    w.hit("k1", 1, T0);
    w.hit("k2", 1, T0);
    expect(() => w.hit("old", 1, T0)).toThrow(AppError); // still counted
    w.hit("k3", 1, T0); // evicts "old"
    expect(w.size).toBe(3);
    w.hit("old", 1, T0); // forgotten, so admitted again (and now evicts k1)
    expect(w.size).toBe(3);
    expect(() => w.hit("k2", 1, T0)).toThrow(AppError);
    expect(() => w.hit("k3", 1, T0)).toThrow(AppError);
  });
});

describe("limitRead", () => {
  it("with a binding: the binding decides, keyed as given; a refusal is the 429 with the binding's period", async () => {
    const { binding, keys } = scriptedBinding([true, true, false]);
    const key = freshKey("bound");
    // Limit 1 in the options: the fallback would refuse the 2nd request; the binding admits it.
    await limitRead(envWith(binding), key, { limit: 1, now: T0 });
    await limitRead(envWith(binding), key, { limit: 1, now: T0 });
    expect429(await refusalOf(limitRead(envWith(binding), key, { limit: 1, now: T0 })), 1, READ_WINDOW_MS / 1000);
    expect(keys).toEqual([key, key, key]);
  });

  it("without a binding: the per-isolate window", async () => {
    const key = freshKey("unbound");
    for (let i = 0; i < 4; i++) await limitRead(noBinding, key, { limit: 4, now: T0 + 30_000 });
    expect429(await refusalOf(limitRead(noBinding, key, { limit: 4, now: T0 + 30_000 })), 4, 30);
  });

  it("a failing binding falls back to the window (and says so once per window), it neither fails the read nor lets everything in", async () => {
    const down = () => new Error("down");
    const { binding } = scriptedBinding([down(), down(), down(), down()]);
    const logged: string[] = [];
    const key = freshKey("failing");
    const log = (level: string, msg: string) => logged.push(`${level}: ${msg}`);
    // A window of its own (later than any other test's), so the warning's once-per-window clock starts fresh.
    const opts = { limit: 2, now: T0 + 10 * READ_WINDOW_MS + 10_000, log };
    await limitRead(envWith(binding), key, opts);
    await limitRead(envWith(binding), key, opts);
    expect429(await refusalOf(limitRead(envWith(binding), key, opts)), 2, 50);
    expect(logged).toEqual(["warn: read limiter binding failed; using the per-isolate window"]);
    await limitRead(envWith(binding), key, { ...opts, now: opts.now + READ_WINDOW_MS });
    expect(logged).toHaveLength(2);
  });

  it("something named READ_LIMITER without a limit method is not a binding", () => {
    expect(readLimiterOf(envWith({}))).toBeNull();
    expect(readLimiterOf(envWith("x"))).toBeNull();
    expect(readLimiterOf(noBinding)).toBeNull();
    const { binding } = scriptedBinding([]);
    expect(readLimiterOf(envWith(binding))).toBe(binding);
  });

  it("the 429 has the write limiter's shape", () => {
    expect429(rateLimited(120, 7), 120, 7);
    expect(rateLimited(120, 7).message).toBe("rate limit exceeded");
  });
});
