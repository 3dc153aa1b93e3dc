/**
 * Statements rendered once per isolate (`src/db/precompiled.ts`) behave in `db.batch` exactly
 * like the query builder's: same rows, same driver mapping, fresh values on every use. This pins
 * drizzle's batch contract the module relies on; an upgrade that changes it fails here.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { precompiled, rowsOf } from "../../src/db/precompiled";
import { vouchers } from "../../src/db/schema";
import { issueVoucher, login, testEnv } from "../support/client";

describe("precompiled statements", () => {
  it("render once, bind each use's values, and map rows like the query builder", async () => {
    const db = createDb(testEnv.DB);
    const me = await login();
    const a = (await issueVoucher(me)).voucher;
    const b = (await issueVoucher(me, { transferable: false })).voucher;
    let renders = 0;
    const byId = precompiled<{ id: string }>((r, p) => {
      renders++;
      return r
        .select()
        .from(vouchers)
        .where(eq(vouchers.id, sql`${p("id")}`));
    }, rowsOf(vouchers));
    const touch = precompiled<{ id: string; at: number }>((r, p) =>
      r
        .update(vouchers)
        .set({ updatedAt: sql`${p("at")}` })
        .where(eq(vouchers.id, sql`${p("id")}`)),
    );

    const [rowsA, rowsB, touched, builder] = await db.batch([
      byId(db, { id: a.voucherId }),
      byId(db, { id: b.voucherId }),
      touch(db, { id: a.voucherId, at: 42 }),
      db.select().from(vouchers).where(eq(vouchers.id, b.voucherId)),
    ]);
    expect(renders).toBe(1);
    expect((rowsA as { id: string }[])[0]?.id).toBe(a.voucherId);
    // Same shape and values as the builder's row, booleans mapped (transferable false, not 0).
    expect(rowsB).toEqual(builder);
    expect((rowsB as { transferable: unknown }[])[0]?.transferable).toBe(false);
    expect((touched as D1Result).meta.changes).toBe(1);
    const [after] = await db.batch([byId(db, { id: a.voucherId })]);
    expect((after as { updatedAt: number }[])[0]?.updatedAt).toBe(42);
    expect(renders).toBe(1);
  });
});
