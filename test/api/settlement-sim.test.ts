/**
 * Seeded simulation of the settlement guarantees. fast-check generates sequences of
 * real API bookings, cancellations and reschedules, fee rule changes, settlement runs (repeated,
 * concurrent, or killed at a chosen D1 batch by a fault-injecting binding and then recovered),
 * and invoice/pay actions. After every step the invariant checker runs against the whole
 * database. On failure fast-check prints the seed and the shrunk command list to replay.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { issueVoucher, login, slotAt, testEnv } from "../support/client";
import { admin, checkInvariants, faultyD1, settle } from "../support/settlement-kit";
import { post, rows } from "../support/voucher-kit";

type Who = Awaited<ReturnType<typeof login>>;

type Command =
  | { kind: "book"; issuer: number; holder: number; price: number }
  | { kind: "cancel"; pick: number }
  | { kind: "reschedule"; pick: number }
  | { kind: "fee"; ratePpm: number; rounding: "half_up" | "half_even" | "floor" | "ceil"; fixed: number }
  | { kind: "run" }
  | { kind: "rerun" }
  | { kind: "concurrent" }
  | { kind: "crash"; batch: number; when: "before" | "after" }
  | { kind: "invoice"; pick: number }
  | { kind: "pay"; pick: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("book" as const),
      issuer: fc.nat(1),
      holder: fc.nat(2),
      price: fc.integer({ min: 0, max: 250_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reschedule" as const), pick: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("fee" as const),
      ratePpm: fc.integer({ min: 0, max: 100_000 }),
      rounding: fc.constantFrom("half_up" as const, "half_even" as const, "floor" as const, "ceil" as const),
      fixed: fc.integer({ min: 0, max: 500 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "run" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "rerun" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "concurrent" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("crash" as const),
      batch: fc.nat(4),
      when: fc.constantFrom("before" as const, "after" as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("invoice" as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pay" as const), pick: fc.nat(20) }) },
);

/** A new period boundary strictly after everything written so far. */
async function boundary(): Promise<number> {
  const t = Date.now();
  await new Promise((r) => setTimeout(r, 2));
  return t + 1;
}

describe("settlement simulation", () => {
  it("keeps every invariant under random bookings, fee changes, reruns, concurrent runs and crashes", async () => {
    const issuers: Who[] = [await login(), await login()];
    const holders: Who[] = [await login(), await login(), await login()];
    const original = (await admin("/api/admin/fees")).body.items.find((f: { id: string }) => f.id === "voucher.booking");
    let start = await boundary();
    let lastPeriod: { from: number; to: number } | null = null;
    let closed: Record<string, any>[] = [];
    let steps = 0;

    try {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (cmds) => {
          for (const c of cmds) {
            await apply(c);
            steps++;
            // A crashed run may leave its period half done until the recovery run, which `apply` does.
            closed = await checkInvariants(closed);
          }
        }),
        { numRuns: 30 },
      );
    } finally {
      await admin("/api/admin/fees/voucher.booking", {
        method: "PUT",
        body: { ratePpm: original.ratePpm, rounding: original.rounding, fixedAmount: original.fixedAmount },
      });
    }
    expect(steps).toBeGreaterThan(30);
    // The simulation did produce settlements, closed ones and reversals (the checks had material).
    const [agg] = await rows(
      `SELECT (SELECT COUNT(*) FROM settlements) AS s, (SELECT COUNT(*) FROM settlements WHERE status <> 'open') AS closed,
        (SELECT COUNT(*) FROM fee_events WHERE kind = 'reversal') AS reversals`,
    );
    console.log(JSON.stringify({ simulation: agg, steps }));
    expect(agg?.s).toBeGreaterThan(0);

    async function activeBookings() {
      return rows<{ id: string; holder_uid: string; voucher_id: string; slot_start: number }>(
        "SELECT id, holder_uid, voucher_id, slot_start FROM voucher_bookings WHERE status = 'booked' ORDER BY id",
      );
    }
    function holderOf(uid: string): Who {
      return holders.find((h) => h.uid === uid) as Who;
    }

    async function closePeriod() {
      const to = await boundary();
      lastPeriod = { from: start, to };
      start = to;
      return lastPeriod;
    }

    async function apply(c: Command): Promise<void> {
      switch (c.kind) {
        case "book": {
          const issuer = issuers[c.issuer] as Who;
          const holder = holders[c.holder] as Who;
          const { voucher, validFrom } = await issueVoucher(issuer, { price: { amount: c.price, currency: "EUR" } });
          const res = await post("/api/voucher/book", holder, {
            voucherId: voucher.voucherId,
            slotId: slotAt(validFrom, 1),
            holderUid: holder.uid,
          });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          return;
        }
        case "cancel":
        case "reschedule": {
          const active = await activeBookings();
          const b = active[c.pick % Math.max(1, active.length)];
          if (!b) return;
          const holder = holderOf(b.holder_uid);
          const res =
            c.kind === "cancel"
              ? await post("/api/voucher/cancel", holder, { bookingId: b.id })
              : await post("/api/voucher/reschedule", holder, {
                  bookingId: b.id,
                  slotId: `slot-${new Date(b.slot_start + 3_600_000).toISOString()}`,
                });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          return;
        }
        case "fee": {
          const res = await admin("/api/admin/fees/voucher.booking", {
            method: "PUT",
            body: { ratePpm: c.ratePpm, rounding: c.rounding, fixedAmount: c.fixed },
          });
          expect(res.status).toBe(200);
          return;
        }
        case "run": {
          const p = await closePeriod();
          expect((await settle(p.from, p.to)).status).toBe("done");
          return;
        }
        case "rerun": {
          if (!lastPeriod) return;
          const before = await rows("SELECT * FROM settlements ORDER BY id");
          const out = await settle(lastPeriod.from, lastPeriod.to);
          expect(out.status).toBe("done");
          // A rerun assigns only what arrived late (never anything here: periods end in the past).
          expect(out.status === "done" && out.assigned).toBe(0);
          expect(await rows("SELECT * FROM settlements ORDER BY id")).toEqual(before);
          return;
        }
        case "concurrent": {
          const p = await closePeriod();
          const outs = await Promise.all([settle(p.from, p.to, { chunkSize: 2 }), settle(p.from, p.to, { chunkSize: 2 })]);
          expect(outs.map((o) => o.status).sort()).toEqual(["done", "skipped"]);
          return;
        }
        case "crash": {
          const p = await closePeriod();
          const db = createDb(faultyD1(testEnv.DB, { batch: c.batch, when: c.when }));
          try {
            await settle(p.from, p.to, { db, chunkSize: 2 });
          } catch (err) {
            expect(String(err)).toMatch(/injected fault/);
          }
          // Recovery: a later run, after the dead run's lease expired.
          const later = Date.now() + 10 * 60_000;
          expect((await settle(p.from, p.to, { chunkSize: 2, now: () => later })).status).toBe("done");
          return;
        }
        case "invoice":
        case "pay": {
          const want = c.kind === "invoice" ? "open" : "invoiced";
          const candidates = await rows<{ id: string }>("SELECT id FROM settlements WHERE status = ? ORDER BY id", want);
          const s = candidates[c.pick % Math.max(1, candidates.length)];
          if (!s) return;
          const res = await admin(`/api/admin/settlements/${s.id}/${c.kind}`, { method: "POST" });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          return;
        }
      }
    }
  }, 240_000);
});
