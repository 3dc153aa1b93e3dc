/**
 * The pure presence matching rule (`src/presence/match.ts`): candidates, room ids of a pair code,
 * and the choice of the shared room. The SQL that runs it is checked against `planMatch` in
 * test/api/presence.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MATCH_WINDOW_MS, type SessionView, isRoomOfPair, newPairRoomId, planMatch } from "../../src/presence/match";
import { PairCode } from "../../src/presence/schemas";
import { check } from "./seed";

const T = Date.UTC(2026, 11, 1, 10);
let n = 0;
const session = (over: Partial<SessionView> = {}): SessionView => ({
  id: `ps-${String(n++).padStart(4, "0")}`,
  thinkerId: `thinker-${n}`,
  pairCode: "alpha",
  status: "online",
  roomId: null,
  lastSeenAt: T,
  createdAt: T - 1000 + n,
  ...over,
});

describe("isRoomOfPair", () => {
  it("accepts room-<pair>-<suffix> with a suffix without '-' only", () => {
    expect(isRoomOfPair("room-alpha-x1y2z3", "alpha")).toBe(true);
    expect(isRoomOfPair("room-alpha-0badc0de", "alpha")).toBe(true); // the Node server's 8 hex
    expect(isRoomOfPair("room-alpha-", "alpha")).toBe(false);
    expect(isRoomOfPair("room-alpha-b-x1y2z3", "alpha")).toBe(false); // pair "alpha-b"
    expect(isRoomOfPair("room-alpha-b-x1y2z3", "alpha-b")).toBe(true);
    expect(isRoomOfPair("room-alpha-x1y2z3", "alpha-x1y2z3")).toBe(false);
    expect(isRoomOfPair("room-alphabet-x1y2z3", "alpha")).toBe(false);
    expect(isRoomOfPair("room-Alpha-x1y2z3", "alpha")).toBe(false);
    expect(isRoomOfPair("honeycomb:alpha", "alpha")).toBe(false);
  });

  it("a new room id is room-<pair>-<6 base36> and belongs to its pair only", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newPairRoomId("alpha.1_x");
      expect(id).toMatch(/^room-alpha\.1_x-[0-9a-z]{6}$/);
      expect(isRoomOfPair(id, "alpha.1_x")).toBe(true);
      expect(isRoomOfPair(id, "alpha")).toBe(false);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
    await check(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), (a, b) => {
        const id = newPairRoomId(a);
        expect(id.length).toBeLessThanOrEqual(128);
        expect(isRoomOfPair(id, b)).toBe(a === b);
      }),
    );
  });
});

describe("PairCode", () => {
  it("'' and null mean not given; 1-64 safe characters pass; anything else is refused", () => {
    expect(PairCode.parse("")).toBeNull();
    expect(PairCode.parse(null)).toBeNull();
    expect(PairCode.parse("projekt_alpha.2-b")).toBe("projekt_alpha.2-b");
    expect(PairCode.parse("p".repeat(64))).toBe("p".repeat(64));
    for (const bad of ["p".repeat(65), "a b", "a:b", "a/b", "ä", "a%20", "\u0000", 5]) {
      expect(PairCode.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("planMatch", () => {
  it("needs two online candidates seen within the window", () => {
    const fresh = "room-alpha-fresh1";
    expect(planMatch([session()], "alpha", T, fresh)).toEqual({ roomId: null, joining: [], candidates: 1 });
    const offline = session({ status: "offline" });
    const stale = session({ lastSeenAt: T - MATCH_WINDOW_MS - 1 });
    const otherPair = session({ pairCode: "beta" });
    const a = session();
    expect(planMatch([a, offline, stale, otherPair], "alpha", T, fresh).roomId).toBeNull();
    const edge = session({ lastSeenAt: T - MATCH_WINDOW_MS });
    expect(planMatch([a, edge, offline, stale], "alpha", T, fresh)).toEqual({
      roomId: fresh,
      joining: [a.id, edge.id],
      candidates: 2,
    });
  });

  it("reuses the earliest candidate's room of this pair code; rooms of other pairs are ignored", () => {
    const fresh = "room-alpha-fresh1";
    const first = session({ createdAt: T - 5000, roomId: "room-beta-aaaaaa" });
    const second = session({ createdAt: T - 4000, roomId: "room-alpha-bbbbbb" });
    const third = session({ createdAt: T - 3000, roomId: "room-alpha-cccccc" });
    const fourth = session({ createdAt: T - 2000 });
    expect(planMatch([fourth, third, second, first], "alpha", T, fresh)).toEqual({
      roomId: "room-alpha-bbbbbb",
      joining: [first.id, third.id, fourth.id],
      candidates: 4,
    });
    // Equal arrival times: the smaller id comes first.
    const x = session({ id: "ps-b", createdAt: T, roomId: "room-alpha-xxxxxx" });
    const y = session({ id: "ps-a", createdAt: T, roomId: "room-alpha-yyyyyy" });
    expect(planMatch([x, y], "alpha", T, fresh).roomId).toBe("room-alpha-yyyyyy");
  });

  it("is stable: planning again after applying a plan changes nothing", async () => {
    await check(
      fc.property(
        fc.array(
          fc.record({
            online: fc.boolean(),
            age: fc.integer({ min: -1000, max: 2 * MATCH_WINDOW_MS }),
            room: fc.constantFrom(null, "room-alpha-aaaaaa", "room-alpha-bbbbbb", "room-beta-cccccc"),
            created: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 8 },
        ),
        (specs) => {
          const sessions = specs.map((s, i) =>
            session({
              id: `ps-${i}`,
              status: s.online ? "online" : "offline",
              lastSeenAt: T - s.age,
              roomId: s.room,
              createdAt: s.created,
            }),
          );
          const plan = planMatch(sessions, "alpha", T, "room-alpha-fresh1");
          const applied = sessions.map((s) => (plan.joining.includes(s.id) ? { ...s, roomId: plan.roomId } : s));
          const again = planMatch(applied, "alpha", T, "room-alpha-fresh2");
          expect(again.roomId).toBe(plan.roomId);
          expect(again.joining).toEqual([]);
        },
      ),
    );
  });
});
