/**
 * The unit of work against real D1: the request's checks ride in its first round trip, a refused
 * check stops the commit before any write lands, a check is carried once, and a domain guard's
 * abort stays the handler's to interpret.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, isGuardAbort } from "../../src/db/client";
import { rateLimits, voucherTemplates } from "../../src/db/schema";
import { AppError } from "../../src/core/errors";
import { RateLimiter } from "../../src/http/rate-limit";
import { SessionCheck } from "../../src/http/session-check";
import { UnitOfWork } from "../../src/http/unit-of-work";
import { login, newUid, testEnv } from "../support/client";
import { count } from "../support/voucher-kit";

const db = createDb(testEnv.DB);
const claimsOf = (session: string) =>
  JSON.parse(atob((session.split(".")[2] ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as { tid: string; gen: number };
const marker = () => `uow-${newUid()}`;
const insertMarker = (key: string) => db.insert(rateLimits).values({ key, windowStart: 0, count: 1 });

describe("UnitOfWork", () => {
  it("a live session passes in the read batch; the handler's rows come back unshifted", async () => {
    const me = await login();
    const uow = new UnitOfWork(db, [
      new SessionCheck(db, { thinkerId: claimsOf(me.session).tid, gen: claimsOf(me.session).gen }),
    ]);
    const [[row]] = await uow.read([db.select({ n: sql<number>`41 + 1` }).from(voucherTemplates).limit(1)]);
    expect(row?.n).toBe(42);
  });

  it("a stale generation is refused in the read batch (401 session_revoked)", async () => {
    const me = await login();
    const { tid, gen } = claimsOf(me.session);
    const uow = new UnitOfWork(db, [new SessionCheck(db, { thinkerId: tid, gen: gen - 1 })]);
    await expect(uow.read([db.select({ n: sql<number>`1` }).from(voucherTemplates).limit(1)])).rejects.toMatchObject({
      status: 401,
      code: "session_revoked",
    });
  });

  it("a refused session aborts the commit before any write lands", async () => {
    const key = marker();
    const uow = new UnitOfWork(db, [new SessionCheck(db, { thinkerId: "thinker-0000000000000000", gen: 1 })]);
    await expect(uow.commit([insertMarker(key)])).rejects.toMatchObject({ code: "session_revoked" });
    expect(await count("rate_limits", "key = ?", key)).toBe(0);
  });

  it("a live session commits, and the check is carried once (a second read has no check in front)", async () => {
    const me = await login();
    const { tid, gen } = claimsOf(me.session);
    const check = new SessionCheck(db, { thinkerId: tid, gen });
    const uow = new UnitOfWork(db, [check]);
    const key = marker();
    const rows = await uow.commit([insertMarker(key)]);
    expect(rows).toHaveLength(1);
    expect(check.done).toBe(true);
    expect(await count("rate_limits", "key = ?", key)).toBe(1);
    expect(check.readStatements()).toHaveLength(1);
    await expect(uow.commit([insertMarker(marker())])).rejects.toThrow("commit called twice");
  });

  it("the write limiter counts in the commit and aborts it past the limit (429, nothing written)", async () => {
    const key = `uow-limit-${newUid()}`;
    const now = Date.now();
    for (let i = 1; i <= 3; i++) {
      const mark = marker();
      const uow = new UnitOfWork(db, [new RateLimiter(db, key, 2, now)]);
      if (i <= 2) {
        await uow.commit([insertMarker(mark)]);
        expect(await count("rate_limits", "key = ?", mark)).toBe(1);
      } else {
        const err = await uow.commit([insertMarker(mark)]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect(err).toMatchObject({ status: 429, code: "rate_limited" });
        expect(await count("rate_limits", "key = ?", mark)).toBe(0);
      }
    }
  });

  it("a domain guard's abort is passed through for the handler to explain", async () => {
    const uow = new UnitOfWork(db, [new RateLimiter(db, `uow-guard-${newUid()}`, 100, Date.now())]);
    const guard = db.run(sql`INSERT INTO write_guards (guard) SELECT NULL WHERE changes() = 0`);
    const noop = db.run(sql`UPDATE rate_limits SET count = count WHERE key = 'nothing-matches-this'`);
    const err = await uow.commit([noop, guard]).catch((e: unknown) => e);
    expect(isGuardAbort(err)).toBe(true);
    expect(err).not.toBeInstanceOf(AppError);
  });

  it("settle() runs pending checks alone, then nothing", async () => {
    const uow = new UnitOfWork(db, [new SessionCheck(db, { thinkerId: "thinker-ffffffffffffffff", gen: 3 })]);
    await expect(uow.settle()).rejects.toMatchObject({ code: "session_revoked" });
    await expect(uow.settle()).resolves.toBeUndefined();
  });
});
