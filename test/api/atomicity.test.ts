/**
 * Fault injection: the app runs against a D1 wrapper whose write batch (the one that carries the
 * event row) gets a failing statement spliced in. D1 runs a batch as one transaction, so nothing
 * of the request may survive: no booking, no event, no fee event, no status change, no stored
 * idempotent response. The client sees a JSON 500 `internal_error` without internals, and a
 * retry against the healthy database succeeds.
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, json, login, newUid, slotAt, testEnv } from "../support/client";
import { type Who, bookingRows, count, newRequestId, post, rows, voucherRow } from "../support/voucher-kit";

type Where = "append" | "after-first" | "prepend" | "throw-after-commit";
/** `missing-table` fails when SQLite prepares the statement; `constraint` fails while executing it. */
type Kind = "missing-table" | "constraint";

const FAILING_SQL: Record<Kind, string> = {
  "missing-table": "INSERT INTO nonexistent_table VALUES (1)",
  constraint: "INSERT INTO voucher_templates (id, service_type, title, default_duration) VALUES ('x', 'x', 'x', NULL)",
};

/** An env whose D1 fails every batch that writes an event row; counts the injected failures. */
function faultyEnv(where: Where = "append", kind: Kind = "missing-table") {
  const real = testEnv.DB;
  const state = { injected: 0 };
  const failing = () => real.prepare(FAILING_SQL[kind]);
  const sqlOf = (s: D1PreparedStatement) => String((s as unknown as { statement?: string }).statement ?? "");
  /** Runs `statements` on `target`, with the failure spliced in when they write an event row. */
  const batch = <T = unknown>(target: Pick<D1Database, "batch">, statements: D1PreparedStatement[]) => {
    if (!statements.some((s) => /insert into "events"/i.test(sqlOf(s)))) return target.batch<T>(statements);
    state.injected++;
    if (where === "throw-after-commit") {
      // The batch commits, then the connection "drops": the caller only sees an error.
      return target.batch<T>(statements).then(() => {
        throw new Error("D1_ERROR: Network connection lost.");
      });
    }
    const spliced =
      where === "append"
        ? [...statements, failing()]
        : where === "prepend"
          ? [failing(), ...statements]
          : [statements[0] as D1PreparedStatement, failing(), ...statements.slice(1)];
    return target.batch<T>(spliced);
  };
  const db = {
    prepare: (query: string) => real.prepare(query),
    exec: (query: string) => real.exec(query),
    dump: () => real.dump(),
    // Every request runs in a D1 session: the session's batches get the same failure.
    withSession: (constraint?: string) => {
      const session = real.withSession(constraint as D1SessionConstraint);
      return {
        prepare: (query: string) => session.prepare(query),
        batch: <T = unknown>(statements: D1PreparedStatement[]) => batch<T>(session, statements),
        getBookmark: () => session.getBookmark(),
      };
    },
    batch: <T = unknown>(statements: D1PreparedStatement[]) => batch<T>(real, statements),
  };
  const env = new Proxy(testEnv, {
    get: (target, key) => (key === "DB" ? db : Reflect.get(target, key)),
  }) as Env;
  return { env, state };
}

/** Everything a voucher request could have written. */
async function snapshot(voucherId: string) {
  const bookings = await bookingRows(voucherId);
  const ids = [voucherId, ...bookings.map((b) => b.id as string)];
  const marks = ids.map(() => "?").join(",");
  return {
    voucher: await voucherRow(voucherId),
    bookings,
    events: await rows(`SELECT * FROM events WHERE subject_id IN (${marks}) ORDER BY id`, ...ids),
    fees: await rows(`SELECT * FROM fee_events WHERE subject_id IN (${marks}) ORDER BY id`, ...ids),
    eventCount: await count("events"),
    feeCount: await count("fee_events"),
    bookingCount: await count("voucher_bookings"),
    voucherCount: await count("vouchers"),
  };
}

function expectInternalError(res: { status: number; body: Record<string, any>; headers: Headers }, rid: string) {
  expect(res.status).toBe(500);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("x-request-id")).toBe(rid);
  expect(res.body).toMatchObject({ ok: false, code: "internal_error", error: "internal error", requestId: rid });
  // No internals on the wire.
  expect(JSON.stringify(res.body)).not.toMatch(/nonexistent_table|voucher_templates|sqlite|D1_|insert|constraint/i);
}

async function bookedVoucher() {
  const issuer = await login();
  const holder = await login();
  const { voucher, validFrom } = await issueVoucher(issuer);
  const b = await post("/api/voucher/book", holder, {
    voucherId: voucher.voucherId,
    slotId: slotAt(validFrom, 1),
    holderUid: holder.uid,
  });
  expect(b.status).toBe(200);
  return { issuer, holder, voucherId: voucher.voucherId as string, validFrom, bookingId: b.body.booking.bookingId as string };
}

const PLACES: Array<[Where, Kind]> = [
  ["append", "missing-table"],
  ["after-first", "missing-table"],
  ["prepend", "missing-table"],
  ["append", "constraint"],
  ["after-first", "constraint"],
];

describe.each(PLACES)("a failure injected into the write batch (%s, %s)", (where, kind) => {
  it("book leaves no booking, event, fee event or status change; a retry succeeds", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const body = { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 1), holderUid: holder.uid };
    const before = await snapshot(voucher.voucherId);
    const { env, state } = faultyEnv(where, kind);
    const rid = newRequestId();
    const res = await post("/api/voucher/book", holder, body, { env, requestId: rid });
    expectInternalError(res, rid);
    expect(state.injected).toBe(1);
    expect(await snapshot(voucher.voucherId)).toEqual(before);
    expect(await voucherRow(voucher.voucherId)).toMatchObject({ status: "issued", holder_uid: null });
    expect(await rows("SELECT * FROM events WHERE request_id = ?", rid)).toEqual([]);

    const retry = await post("/api/voucher/book", holder, body);
    expect(retry.status).toBe(200);
    expect(await bookingRows(voucher.voucherId)).toHaveLength(1);
  });

  it("cancel leaves the booking booked, the voucher booked, no event and no reversal", async () => {
    const f = await bookedVoucher();
    const before = await snapshot(f.voucherId);
    const { env, state } = faultyEnv(where, kind);
    const rid = newRequestId();
    const res = await post("/api/voucher/cancel", f.holder, { bookingId: f.bookingId }, { env, requestId: rid });
    expectInternalError(res, rid);
    expect(state.injected).toBe(1);
    expect(await snapshot(f.voucherId)).toEqual(before);
    expect((await voucherRow(f.voucherId))?.status).toBe("booked");
    expect((await bookingRows(f.voucherId))[0]?.status).toBe("booked");

    const retry = await post("/api/voucher/cancel", f.holder, { bookingId: f.bookingId });
    expect(retry.status).toBe(200);
    expect(retry.body.alreadyCancelled).toBe(false);
  });

  it("reschedule leaves the old booking untouched and inserts no new one", async () => {
    const f = await bookedVoucher();
    const before = await snapshot(f.voucherId);
    const { env, state } = faultyEnv(where, kind);
    const rid = newRequestId();
    const res = await post(
      "/api/voucher/reschedule",
      f.issuer,
      { bookingId: f.bookingId, slotId: slotAt(f.validFrom, 3) },
      { env, requestId: rid },
    );
    expectInternalError(res, rid);
    expect(state.injected).toBe(1);
    expect(await snapshot(f.voucherId)).toEqual(before);
    expect((await bookingRows(f.voucherId)).map((b) => [b.id, b.status, b.rescheduled_to_id])).toEqual([
      [f.bookingId, "booked", null],
    ]);

    const retry = await post("/api/voucher/reschedule", f.issuer, { bookingId: f.bookingId, slotId: slotAt(f.validFrom, 3) });
    expect(retry.status).toBe(200);
  });

  it("issue leaves no voucher and no event", async () => {
    const issuer = await login();
    const voucherId = `v-${newUid()}`;
    const before = { vouchers: await count("vouchers"), events: await count("events") };
    const { env, state } = faultyEnv(where, kind);
    const rid = newRequestId();
    const res = await post("/api/voucher/issue", issuer, { issuerUid: issuer.uid, voucherId }, { env, requestId: rid });
    expectInternalError(res, rid);
    expect(state.injected).toBe(1);
    expect(await voucherRow(voucherId)).toBeUndefined();
    expect(await rows("SELECT * FROM events WHERE subject_id = ? OR request_id = ?", voucherId, rid)).toEqual([]);
    expect({ vouchers: await count("vouchers"), events: await count("events") }).toEqual(before);

    // The id is not taken by the failed attempt.
    const retry = await post("/api/voucher/issue", issuer, { issuerUid: issuer.uid, voucherId });
    expect(retry.status).toBe(200);
  });

  it("redeem and transfer change nothing", async () => {
    const f = await bookedVoucher();
    const { env, state } = faultyEnv(where, kind);
    const before = await snapshot(f.voucherId);
    const rid1 = newRequestId();
    expectInternalError(await post("/api/voucher/redeem", f.issuer, { voucherId: f.voucherId }, { env, requestId: rid1 }), rid1);
    expect(await snapshot(f.voucherId)).toEqual(before);

    const other = await issueVoucher(f.issuer, { holderUid: f.holder.uid });
    const before2 = await snapshot(other.voucher.voucherId);
    const rid2 = newRequestId();
    expectInternalError(
      await post(
        "/api/voucher/transfer",
        f.holder,
        { voucherId: other.voucher.voucherId, toUid: newUid() },
        { env, requestId: rid2 },
      ),
      rid2,
    );
    expect(await snapshot(other.voucher.voucherId)).toEqual(before2);
    expect(state.injected).toBe(2);
  });
});

describe("idempotency under a failed batch", () => {
  async function keyRows(who: Who, key: string) {
    return rows("SELECT * FROM idempotency_keys WHERE caller_key = ? AND key = ?", `uid:${who.uid}`, key);
  }

  it("a failed book releases its Idempotency-Key, so the retry runs for real", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const body = { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 2), holderUid: holder.uid };
    const key = `idem-${newUid()}`;
    const { env } = faultyEnv();
    const rid = newRequestId();
    const res = await post("/api/voucher/book", holder, body, { env, requestId: rid, headers: { "idempotency-key": key } });
    expectInternalError(res, rid);
    // The stored response went into the failed batch too: nothing done, the claim released.
    expect(await keyRows(holder, key)).toEqual([]);
    expect(await bookingRows(voucher.voucherId)).toEqual([]);

    const retry = await post("/api/voucher/book", holder, body, { headers: { "idempotency-key": key } });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    const stored = await keyRows(holder, key);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ state: "done", status: 200 });

    // And now it replays the success, without a second booking.
    const replay = await post("/api/voucher/book", holder, body, { headers: { "idempotency-key": key } });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.booking.bookingId).toBe(retry.body.booking.bookingId);
    expect(await bookingRows(voucher.voucherId)).toHaveLength(1);
  });

  it("a failed cancel with an Idempotency-Key leaves the booking booked and the key free", async () => {
    const f = await bookedVoucher();
    const key = `idem-${newUid()}`;
    const { env } = faultyEnv("after-first");
    const rid = newRequestId();
    const res = await post(
      "/api/voucher/cancel",
      f.holder,
      { bookingId: f.bookingId },
      { env, requestId: rid, headers: { "idempotency-key": key } },
    );
    expectInternalError(res, rid);
    expect(await keyRows(f.holder, key)).toEqual([]);
    expect((await bookingRows(f.voucherId))[0]?.status).toBe("booked");
    const retry = await post(
      "/api/voucher/cancel",
      f.holder,
      { bookingId: f.bookingId },
      { headers: { "idempotency-key": key } },
    );
    expect(retry.status).toBe(200);
    expect(retry.body.alreadyCancelled).toBe(false);
  });
});

describe("a response lost after the commit", () => {
  it("is a JSON 500; the booking stands and a retry with the same Idempotency-Key replays it", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const body = { voucherId: voucher.voucherId, slotId: slotAt(validFrom, 2), holderUid: holder.uid };
    const key = `idem-${newUid()}`;
    const { env, state } = faultyEnv("throw-after-commit");
    const rid = newRequestId();
    const res = await post("/api/voucher/book", holder, body, { env, requestId: rid, headers: { "idempotency-key": key } });
    expectInternalError(res, rid);
    expect(state.injected).toBe(1);
    // The batch did commit, as one unit: booking, event, fee event and the stored response.
    const stored = await bookingRows(voucher.voucherId);
    expect(stored).toHaveLength(1);
    expect(await rows("SELECT type FROM events WHERE request_id = ?", rid)).toEqual([{ type: "voucher.book" }]);
    expect(await count("fee_events", "subject_id = ?", stored[0]?.id)).toBe(1);

    const retry = await post("/api/voucher/book", holder, body, { headers: { "idempotency-key": key } });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.booking.bookingId).toBe(stored[0]?.id);
    expect(await bookingRows(voucher.voucherId)).toHaveLength(1);
  });
});

describe("the fault wrapper itself", () => {
  it("passes reads through: read routes work on the faulty env and nothing is injected", async () => {
    const issuer = await login();
    const { voucher } = await issueVoucher(issuer, {}, 3);
    const { env, state } = faultyEnv();
    const list = await json("/api/voucher/list", { session: issuer.session }, env);
    expect(list.status).toBe(200);
    expect(list.body.items.map((v: any) => v.voucherId)).toEqual([voucher.voucherId]);
    const slots = await json(`/api/slots/available?voucherId=${voucher.voucherId}`, {}, env);
    expect(slots.status).toBe(200);
    expect(slots.body.items).toHaveLength(3);
    expect(state.injected).toBe(0);
  });
});
