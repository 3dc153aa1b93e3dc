/**
 * The slot grid (the original API's): first slot at validFrom, a start every 60 minutes, each as
 * long as the voucher's duration, ending by validUntil; past and booked slots are not offered.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type GridVoucher,
  SLOT_STEP_MS,
  freeSlots,
  isoInstant,
  parseSlotId,
  slotId,
  slotProblem,
} from "../../src/vouchers/slots";
import { check } from "./seed";

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 1, 10); // 2026-12-01T10:00:00.000Z
const iso = (t: number) => new Date(t).toISOString();

const voucher = (hours: number, durationMinutes = 60, validFrom = T0): GridVoucher & { id: string } => ({
  id: "v-test",
  validFrom,
  validUntil: validFrom + hours * HOUR,
  durationMinutes,
});

/** Every slot, no paging. */
const all = (v: GridVoucher & { id: string }, now: number, booked: number[] = [], from?: number) =>
  freeSlots(v, new Set(booked), now, { limit: 100_000, ...(from === undefined ? {} : { from }) });

const BEFORE = T0 - 86_400_000; // a day before validity: nothing is past yet

describe("the grid", () => {
  it("starts at validFrom, steps 60 minutes, lasts durationMinutes and ends by validUntil", () => {
    const { items, next } = all(voucher(4, 60), BEFORE);
    expect(next).toBeNull();
    expect(items).toEqual(
      [0, 1, 2, 3].map((n) => ({
        slotId: `slot-${iso(T0 + n * HOUR)}`,
        voucherId: "v-test",
        start: iso(T0 + n * HOUR),
        end: iso(T0 + (n + 1) * HOUR),
      })),
    );
    expect(items[0]?.slotId).toBe("slot-2026-12-01T10:00:00.000Z");
    expect(items.at(-1)?.end).toBe(iso(T0 + 4 * HOUR)); // the last slot ends exactly at validUntil
  });

  it("a shorter duration keeps the 60-minute step; the last slot still ends by validUntil", () => {
    const { items } = all(voucher(3, 45), BEFORE);
    expect(items.map((s) => s.start)).toEqual([iso(T0), iso(T0 + HOUR), iso(T0 + 2 * HOUR)]);
    expect(items.map((s) => s.end)).toEqual([iso(T0 + 45 * MIN), iso(T0 + HOUR + 45 * MIN), iso(T0 + 2 * HOUR + 45 * MIN)]);
  });

  it("durations over 60 minutes give overlapping slots", () => {
    const { items } = all(voucher(4, 90), BEFORE);
    // Starts 10:00, 11:00, 12:00 (12:00 + 90 min = 13:30 ≤ 14:00); 13:00 + 90 min would end after validUntil.
    expect(items.map((s) => s.start)).toEqual([iso(T0), iso(T0 + HOUR), iso(T0 + 2 * HOUR)]);
    const first = items[0];
    const second = items[1];
    expect(first && second && Date.parse(first.end) > Date.parse(second.start)).toBe(true);
  });

  it("a 1440-minute voucher has one slot per hour that fits a whole day", () => {
    expect(all(voucher(24, 1440), BEFORE).items.map((s) => [s.start, s.end])).toEqual([[iso(T0), iso(T0 + 24 * HOUR)]]);
    const twoDays = all(voucher(48, 1440), BEFORE).items;
    expect(twoDays).toHaveLength(25); // starts at +0 h … +24 h
    expect(twoDays.at(-1)?.end).toBe(iso(T0 + 48 * HOUR));
    expect(all(voucher(23, 1440), BEFORE).items).toEqual([]);
  });

  it("a validity shorter than the duration has no slots; a partial last hour is dropped", () => {
    expect(all(voucher(0.5, 60), BEFORE).items).toEqual([]);
    expect(all(voucher(2.5, 60), BEFORE).items.map((s) => s.start)).toEqual([iso(T0), iso(T0 + HOUR)]);
  });

  it("the grid is anchored at validFrom even off the full hour", () => {
    const from = T0 + 17 * MIN + 30_000;
    expect(all(voucher(3, 60, from), BEFORE).items.map((s) => s.start)).toEqual([
      iso(from),
      iso(from + HOUR),
      iso(from + 2 * HOUR),
    ]);
  });
});

describe("past and booked slots", () => {
  it("excludes slots that start at or before now", () => {
    const v = voucher(5, 60);
    expect(all(v, T0).items.map((s) => s.start)).toEqual([1, 2, 3, 4].map((n) => iso(T0 + n * HOUR)));
    expect(all(v, T0 - 1).items).toHaveLength(5);
    expect(all(v, T0 + HOUR + 1).items.map((s) => s.start)).toEqual([2, 3, 4].map((n) => iso(T0 + n * HOUR)));
    expect(all(v, T0 + 5 * HOUR).items).toEqual([]);
  });

  it("excludes booked starts", () => {
    const v = voucher(5, 60);
    const { items } = all(v, BEFORE, [T0 + HOUR, T0 + 3 * HOUR]);
    expect(items.map((s) => s.start)).toEqual([0, 2, 4].map((n) => iso(T0 + n * HOUR)));
    expect(
      all(
        v,
        BEFORE,
        [0, 1, 2, 3, 4].map((n) => T0 + n * HOUR),
      ).items,
    ).toEqual([]);
  });
});

describe("paging", () => {
  const v = voucher(10, 60);

  it("limit cuts the list and next is the start of the first slot left out", () => {
    const page = freeSlots(v, new Set(), BEFORE, { limit: 3 });
    expect(page.items.map((s) => s.start)).toEqual([0, 1, 2].map((n) => iso(T0 + n * HOUR)));
    expect(page.next).toBe(T0 + 3 * HOUR);
  });

  it("following next pages through every slot exactly once", () => {
    const booked = new Set([T0 + 4 * HOUR]);
    const seen: string[] = [];
    let from: number | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = freeSlots(v, booked, BEFORE, { limit: 3, ...(from === undefined ? {} : { from }) });
      seen.push(...page.items.map((s) => s.start));
      if (page.next === null) break;
      from = page.next;
    }
    expect(seen).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9].map((n) => iso(T0 + n * HOUR)));
  });

  it("next skips booked slots and is null when the page ends the grid", () => {
    const page = freeSlots(v, new Set([T0 + 2 * HOUR, T0 + 3 * HOUR]), BEFORE, { limit: 2 });
    expect(page.next).toBe(T0 + 4 * HOUR);
    expect(freeSlots(v, new Set(), BEFORE, { limit: 10 }).next).toBeNull();
  });

  it("from rounds up to the next grid start and never reaches into the past", () => {
    expect(all(v, BEFORE, [], T0 + 2 * HOUR).items[0]?.start).toBe(iso(T0 + 2 * HOUR));
    expect(all(v, BEFORE, [], T0 + 2 * HOUR + 1).items[0]?.start).toBe(iso(T0 + 3 * HOUR));
    expect(all(v, BEFORE, [], T0 - 10 * HOUR).items[0]?.start).toBe(iso(T0));
    expect(all(v, T0 + 5 * HOUR, [], T0).items[0]?.start).toBe(iso(T0 + 6 * HOUR));
    expect(all(v, BEFORE, [], T0 + 10 * HOUR).items).toEqual([]);
  });

  it("limit 0 returns no items and points at the first free slot", () => {
    expect(freeSlots(v, new Set(), BEFORE, { limit: 0 })).toEqual({ items: [], next: T0 });
  });
});

describe("slot ids", () => {
  it("slotId is slot-<ISO> and parseSlotId inverts it", () => {
    expect(slotId(T0)).toBe("slot-2026-12-01T10:00:00.000Z");
    expect(parseSlotId("slot-2026-12-01T10:00:00.000Z")).toBe(T0);
  });

  it("accepts the other ISO-8601 instant spellings, offsets included", () => {
    expect(parseSlotId("slot-2026-12-01T10:00:00Z")).toBe(T0);
    expect(parseSlotId("slot-2026-12-01T10:00Z")).toBe(T0);
    expect(parseSlotId("slot-2026-12-01T11:00:00+01:00")).toBe(T0);
    expect(parseSlotId("slot-2026-12-01T05:30:00.000-04:30")).toBe(T0);
    expect(parseSlotId("slot-2026-12-01T10:00:00.5Z")).toBe(T0 + 500);
    expect(parseSlotId("slot-2028-02-29T10:00:00Z")).toBe(Date.UTC(2028, 1, 29, 10)); // leap day
    expect(parseSlotId("slot-2026-12-31T23:00:00-01:00")).toBe(Date.UTC(2027, 0, 1, 0)); // offset crosses the year
  });

  it("rejects garbage", () => {
    for (const bad of [
      "",
      "slot-",
      "slot-abc",
      "2026-12-01T10:00:00.000Z",
      "slot_2026-12-01T10:00:00.000Z",
      "SLOT-2026-12-01T10:00:00.000Z",
      "slot-2026-12-01",
      "slot-2026-12-01T10:00:00",
      "slot-2026-12-01 10:00:00Z",
      "slot-2026-12-01T10:00:00.000Z ",
      " slot-2026-12-01T10:00:00.000Z",
      "slot-2026-12-01T10:00:00.000Zjunk",
      "slot-2026-12-01T10:00:00.0000Z",
      "slot-2026-13-01T10:00:00.000Z",
      "slot-2026-12-32T10:00:00.000Z",
      "slot-2026-12-01T25:00:00.000Z",
      "slot-2026-12-01T24:00:00.000Z",
      "slot-2026-02-30T10:00:00.000Z",
      "slot-2026-02-29T10:00:00Z",
      "slot-2026-04-31T10:00:00Z",
      "slot-2026-12-00T10:00:00Z",
      "slot-2026-12-01T10:61:00.000Z",
      "slot-+275760-09-13T00:00:00.000Z",
      "slot-1764583200000",
      "slot-2026-12-01T10:00:00.000Z'; DROP TABLE vouchers;--",
    ]) {
      expect(parseSlotId(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it("round-trips any instant", async () => {
    await check(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) }), (t) => {
        expect(parseSlotId(slotId(t))).toBe(t);
      }),
    );
  });
});

describe("slotProblem", () => {
  const v = voucher(4, 60);
  const now = T0 - HOUR;

  it("null for a future start on the grid, first and last included", () => {
    expect(slotProblem(v, T0, now)).toBeNull();
    expect(slotProblem(v, T0 + HOUR, now)).toBeNull();
    expect(slotProblem(v, T0 + 3 * HOUR, now)).toBeNull(); // ends exactly at validUntil
  });

  it("not_on_grid before validFrom, between grid starts, or ending after validUntil", () => {
    expect(slotProblem(v, T0 - HOUR, now - HOUR)).toBe("not_on_grid");
    expect(slotProblem(v, T0 + 30 * MIN, now)).toBe("not_on_grid");
    expect(slotProblem(v, T0 + 1, now)).toBe("not_on_grid");
    expect(slotProblem(v, T0 + HOUR - 1, now)).toBe("not_on_grid");
    expect(slotProblem(v, T0 + 4 * HOUR, now)).toBe("not_on_grid");
    expect(slotProblem(voucher(4, 90), T0 + 3 * HOUR, now)).toBe("not_on_grid"); // would end 30 min late
  });

  it("in_past for grid starts at or before now; off-grid wins over past", () => {
    expect(slotProblem(v, T0, T0)).toBe("in_past");
    expect(slotProblem(v, T0, T0 + 1)).toBe("in_past");
    expect(slotProblem(v, T0 + HOUR, T0 + HOUR - 1)).toBeNull();
    expect(slotProblem(v, T0 + 30 * MIN, T0 + 2 * HOUR)).toBe("not_on_grid");
  });
});

describe("grid properties", () => {
  const grid = fc
    .record({
      validFrom: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
      hours: fc.integer({ min: 0, max: 24 * 14 }),
      extraMinutes: fc.integer({ min: 0, max: 59 }),
      durationMinutes: fc.integer({ min: 1, max: 1440 }),
    })
    .map(({ validFrom, hours, extraMinutes, durationMinutes }) => ({
      id: "v-prop",
      validFrom,
      validUntil: validFrom + hours * HOUR + extraMinutes * MIN,
      durationMinutes,
    }));

  /** The grid by brute force: every validFrom + k·60 min that fits. */
  const reference = (v: GridVoucher, now: number, booked: ReadonlySet<number>, from: number) => {
    const out: number[] = [];
    for (let s = v.validFrom; s + v.durationMinutes * MIN <= v.validUntil; s += SLOT_STEP_MS) {
      if (s > now && s >= from && !booked.has(s)) out.push(s);
    }
    return out;
  };

  it("every emitted slot passes slotProblem === null, is free, in order, and the list is complete", async () => {
    await check(
      fc.property(
        grid,
        fc.integer({ min: -48, max: 24 * 15 }),
        fc.integer({ min: -10 * HOUR, max: 10 * HOUR }),
        fc.array(fc.integer({ min: 0, max: 24 * 14 }), { maxLength: 40 }),
        fc.option(fc.integer({ min: -48 * HOUR, max: 24 * 15 * HOUR }), { nil: undefined }),
        (v, nowHours, jitter, bookedHours, fromOffset) => {
          const now = v.validFrom + nowHours * HOUR + jitter;
          const booked = new Set(bookedHours.map((h) => v.validFrom + h * HOUR));
          const from = fromOffset === undefined ? undefined : v.validFrom + fromOffset;
          const { items, next } = freeSlots(v, booked, now, { limit: 100_000, ...(from === undefined ? {} : { from }) });
          const starts = items.map((s) => parseSlotId(s.slotId));
          for (const [i, s] of items.entries()) {
            const start = starts[i];
            expect(start).not.toBeNull();
            if (start === null || start === undefined) continue;
            expect(slotProblem(v, start, now)).toBeNull();
            expect(booked.has(start)).toBe(false);
            expect(s.start).toBe(iso(start));
            expect(Date.parse(s.end) - start).toBe(v.durationMinutes * MIN);
            expect(Date.parse(s.end)).toBeLessThanOrEqual(v.validUntil);
            expect(s.voucherId).toBe(v.id);
          }
          expect(starts).toEqual(reference(v, now, booked, from ?? Number.NEGATIVE_INFINITY));
          expect(next).toBeNull();
        },
      ),
      { numRuns: 500 },
    );
  });

  it("pages of any size concatenate to the whole list", async () => {
    await check(
      fc.property(
        grid,
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.integer({ min: 0, max: 24 * 14 }), { maxLength: 20 }),
        (v, limit, bh) => {
          const now = v.validFrom - 1;
          const booked = new Set(bh.map((h) => v.validFrom + h * HOUR));
          const whole = freeSlots(v, booked, now, { limit: 100_000 }).items;
          const paged: typeof whole = [];
          let from: number | undefined;
          for (let guard = 0; guard <= whole.length; guard++) {
            const page = freeSlots(v, booked, now, { limit, ...(from === undefined ? {} : { from }) });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            paged.push(...page.items);
            if (page.next === null) break;
            expect(page.items).toHaveLength(limit);
            from = page.next;
          }
          expect(paged).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("isoInstant", () => {
  it("writes exactly what toISOString writes, for any instant", () => {
    const edges = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001];
    for (const ms of edges) expect(isoInstant(ms), String(ms)).toBe(new Date(ms).toISOString());
    check(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (ms) => {
        expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
    // Runs on one day and across days, as a slot page renders them (the day cache must follow).
    check(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.array(fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 })),
        (base, steps) => {
          for (const d of steps) expect(isoInstant(base + d)).toBe(new Date(base + d).toISOString());
        },
      ),
      { numRuns: 300 },
    );
  });
});
