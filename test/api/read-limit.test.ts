/**
 * Reads are limited without writing to D1, through the whole pipeline: a burst over the limit gets
 * the 429, and neither the admitted reads nor the refused ones issue a single write statement
 * (the D1 spy sees every statement's SQL and D1's own rows-written count). A `READ_LIMITER`
 * binding, when bound, decides instead of the per-isolate window; a failing one falls back to it.
 *
 * The clock is pinned into a fresh minute so the burst falls into one window of the fallback;
 * every test uses its own caller, so the fallback's shared per-isolate state cannot leak between
 * tests.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReadLimiterBinding } from "../../src/http/read-limit";
import { call, issueVoucher, json, login, testEnv } from "../support/client";
import { dbSnapshot } from "../support/db-snapshot";
import { spyD1 } from "../support/d1-spy";

const WINDOW = 60_000;

/** Pins the clock `offsetMs` into the next minute (no earlier request of this isolate shares it). */
function pinClock(offsetMs: number): number {
  const real = Date.now();
  const now = real - (real % WINDOW) + WINDOW + offsetMs;
  vi.setSystemTime(now);
  return now;
}

afterEach(() => {
  vi.useRealTimers();
});

/** A binding that answers from a script and records the keys it was asked about. */
function scriptedBinding(answer: (n: number) => boolean | Error) {
  const keys: string[] = [];
  const binding: ReadLimiterBinding = {
    async limit({ key }) {
      keys.push(key);
      const a = answer(keys.length);
      if (a instanceof Error) throw a;
      return { success: a };
    },
  };
  return { binding, keys };
}

describe("a burst of reads", () => {
  it("over the limit → 429 with Retry-After; no read, admitted or refused, writes to D1", async () => {
    pinClock(20_000);
    const me = await login();
    const { voucher } = await issueVoucher(me);
    const spy = spyD1(testEnv.DB);
    const env = { ...testEnv, DB: spy.d1, RATE_LIMIT_READ_PER_MIN: "3" } as Env;
    const before = await dbSnapshot();

    const path = `/api/slots/available?voucherId=${voucher.voucherId}&limit=5`;
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof json>> | null = null;
    for (let i = 0; i < 6; i++) {
      const r = await json(path, { session: me.session }, env);
      statuses.push(r.status);
      if (r.status === 429) refused ??= r;
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect(refused?.body).toMatchObject({ ok: false, code: "rate_limited", details: { limit: 3, retryAfter: 40 } });
    expect(refused?.headers.get("retry-after")).toBe("40");

    expect(spy.record.statements.length).toBeGreaterThan(0);
    expect(spy.record.writes).toEqual([]);
    expect(spy.record.rowsWritten).toBe(0);
    // Every request ran in a read session (no bookmark sent: anywhere).
    expect(spy.record.sessions.length).toBe(6);
    expect(new Set(spy.record.sessions)).toEqual(new Set(["first-unconstrained"]));
    expect(await dbSnapshot()).toEqual(before);
  });

  it("a write is counted in D1, which the spy sees (so its silence on reads means something)", async () => {
    pinClock(25_000);
    const me = await login();
    const spy = spyD1(testEnv.DB);
    const env = { ...testEnv, DB: spy.d1 } as Env;
    const r = await json("/api/voucher/issue", { session: me.session, body: { issuerUid: me.uid, title: "w" } }, env);
    expect(r.status).toBe(200);
    expect(spy.record.writes.some((sql) => /rate_limits/i.test(sql))).toBe(true);
    expect(spy.record.rowsWritten).toBeGreaterThan(0);
    expect(spy.record.sessions).toEqual(["first-primary"]);
  });
});

describe("the READ_LIMITER binding", () => {
  it("decides when bound: its refusal is the 429, keyed per route and caller; the window is not consulted", async () => {
    pinClock(30_000);
    const me = await login();
    // Admits 5, then refuses; the env's limit of 2 would have refused the 3rd.
    const { binding, keys } = scriptedBinding((n) => n <= 5);
    const env = { ...testEnv, RATE_LIMIT_READ_PER_MIN: "2", READ_LIMITER: binding } as unknown as Env;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call("/api/voucher/list", { session: me.session }, env);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(new Set(keys)).toEqual(new Set([`voucher.list|uid:${me.uid}`]));
    const refused = await json("/api/voucher/list", { session: me.session }, env);
    expect(refused.body).toMatchObject({ code: "rate_limited", details: { limit: 2, retryAfter: 60 } });
    expect(refused.headers.get("retry-after")).toBe("60");
  });

  it("is not asked about writes (they keep the D1 limiter in their batch)", async () => {
    pinClock(35_000);
    const me = await login();
    const { binding, keys } = scriptedBinding(() => false);
    const env = { ...testEnv, READ_LIMITER: binding } as unknown as Env;
    const r = await json("/api/voucher/issue", { session: me.session, body: { issuerUid: me.uid, title: "w" } }, env);
    expect(r.status).toBe(200);
    expect(keys).toEqual([]);
  });

  it("a failing binding falls back to the per-isolate window: reads still answer, and are still limited", async () => {
    pinClock(40_000);
    const me = await login();
    const { binding, keys } = scriptedBinding(() => new Error("binding down"));
    // LOG_LEVEL error: the warning each failing call logs is expected here.
    const env = { ...testEnv, RATE_LIMIT_READ_PER_MIN: "2", LOG_LEVEL: "error", READ_LIMITER: binding } as unknown as Env;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("/api/voucher/list", { session: me.session }, env);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(keys).toHaveLength(3);
  });
});
