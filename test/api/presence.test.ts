/**
 * Presence on D1: `POST /api/presence/heartbeat` and `POST /api/presence/match`,
 * stored in `presence_sessions` / `rooms`, `thinker_id` bound to the session. Every case checks
 * the HTTP answer and what D1 holds afterwards; the match SQL is also checked against the pure
 * rule (`planMatch`) on random session sets.
 */
import fc from "fast-check";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { app } from "../../src/app";
import { thinkerIdentity } from "../../src/identity/thinker";
import { MATCH_WINDOW_MS, type SessionView, planMatch } from "../../src/presence/match";
import { json, login, newUid, signedLink, testEnv, compatEnv as compat, checkContract } from "../support/client";
import { type Who, countOf, newRequestId, post, row, rows } from "../support/voucher-kit";
import { check } from "../unit/seed";

const HEARTBEAT = "/api/presence/heartbeat";
const MATCH = "/api/presence/match";

type Thinker = Who & { thinkerId: string };
type SessionRow = {
  id: string;
  thinker_id: string;
  pair_code: string | null;
  status: string;
  room_id: string | null;
  last_seen_at: number;
  created_at: number;
};

const thinkerIdOf = async (uid: string) => (await thinkerIdentity(uid, testEnv.IDENTITY_HASH_KEY)).thinkerId;

/** A verified user with the thinker id verify gave them. */
async function thinker(): Promise<Thinker> {
  const who = await login();
  return { ...who, thinkerId: await thinkerIdOf(who.uid) };
}

const beat = (t: Thinker, extra: Record<string, unknown> = {}, requestId?: string) =>
  post(HEARTBEAT, t, { thinker_id: t.thinkerId, ...extra }, { requestId });
const matchAs = (t: Thinker, pairCode: string | null, requestId?: string) =>
  post(MATCH, t, { thinker_id: t.thinkerId, pair_code: pairCode }, { requestId });

const sessionOf = (thinkerId: string) => row<SessionRow>("SELECT * FROM presence_sessions WHERE thinker_id = ?", thinkerId);
const roomsOfPair = (pairCode: string) =>
  rows<SessionRow>("SELECT * FROM presence_sessions WHERE pair_code = ? ORDER BY created_at, id", pairCode);
const matchEvents = (roomId: string) =>
  rows<{ actor_uid: string; subject_type: string; meta: string; request_id: string }>(
    "SELECT * FROM events WHERE type = 'presence.match' AND subject_id = ? ORDER BY id",
    roomId,
  );
const eventCount = () => countOf("SELECT count(*) n FROM events");
const pairCode = () => newUid("pc");

function expectError(r: { status: number; body: Record<string, unknown> }, status: number, code: string) {
  expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
  expect(r.body.ok).toBe(false);
  expect(typeof r.body.error).toBe("string");
}

/** Heartbeats every thinker into `pc` and returns the room each one's match answered. */
async function pair(pc: string, ...ts: Thinker[]) {
  for (const t of ts) expect((await beat(t, { pair_code: pc })).status).toBe(200);
  const answers = [];
  for (const t of ts) {
    const r = await matchAs(t, pc);
    expect(r.status).toBe(200);
    answers.push(r.body.room_id as string | null);
  }
  return answers;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("POST /api/presence/heartbeat", () => {
  it("creates the caller's session: online, no pair code, no room; last_seen is now; no event row", async () => {
    const t = await thinker();
    const before = await eventCount();
    const requestId = newRequestId();
    const started = Date.now();
    const r = await beat(t, {}, requestId);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, last_seen: expect.any(Number) });
    expect(r.body.last_seen).toBeGreaterThanOrEqual(started);
    expect(r.body.last_seen).toBeLessThanOrEqual(Date.now());
    expect(await sessionOf(t.thinkerId)).toEqual({
      id: expect.stringMatching(/^ps-/),
      thinker_id: t.thinkerId,
      pair_code: null,
      status: "online",
      room_id: null,
      last_seen_at: r.body.last_seen,
      created_at: r.body.last_seen,
    });
    expect(await rows("SELECT * FROM events WHERE request_id = ?", requestId)).toEqual([]);
    expect(await eventCount()).toBe(before);
    // The raw uid is stored nowhere in presence.
    expect(await countOf("SELECT count(*) n FROM presence_sessions WHERE instr(thinker_id, ?) > 0", t.uid)).toBe(0);
  });

  it("upserts: pair_code = given ∥ previous ∥ null, status = given ∥ previous ∥ online, room kept, one row", async () => {
    const t = await thinker();
    const pc = pairCode();
    vi.setSystemTime(Date.now());
    const t0 = Date.now();
    expect((await beat(t, { pair_code: pc })).body.last_seen).toBe(t0);
    const first = await sessionOf(t.thinkerId);
    expect(first).toMatchObject({ pair_code: pc, status: "online", room_id: null, last_seen_at: t0, created_at: t0 });

    // A room given by an earlier match survives heartbeats.
    await testEnv.DB.prepare("UPDATE presence_sessions SET room_id = ? WHERE thinker_id = ?")
      .bind(`room-${pc}-abc123`, t.thinkerId)
      .run();

    const steps: Array<[Record<string, unknown>, { pair_code: string; status: string }]> = [
      [{}, { pair_code: pc, status: "online" }],
      [{ pair_code: "" }, { pair_code: pc, status: "online" }],
      [
        { pair_code: null, status: null },
        { pair_code: pc, status: "online" },
      ],
      [{ status: "offline" }, { pair_code: pc, status: "offline" }],
      [{}, { pair_code: pc, status: "offline" }],
      [{ pair_code: "other.code_1-x" }, { pair_code: "other.code_1-x", status: "offline" }],
      [
        { status: "online", pair_code: pc },
        { pair_code: pc, status: "online" },
      ],
    ];
    let now = t0;
    for (const [body, want] of steps) {
      now += 1_000;
      vi.setSystemTime(now);
      const r = await beat(t, body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(r.body).toEqual({ ok: true, last_seen: now });
      expect(await sessionOf(t.thinkerId), JSON.stringify(body)).toEqual({
        ...first,
        ...want,
        room_id: `room-${pc}-abc123`,
        last_seen_at: now,
      });
    }
    expect(await countOf("SELECT count(*) n FROM presence_sessions WHERE thinker_id = ?", t.thinkerId)).toBe(1);
  });

  it("a first heartbeat may set offline; verify then reports the stored pair code", async () => {
    const t = await thinker();
    const pc = pairCode();
    expect((await beat(t, { pair_code: pc, status: "offline" })).status).toBe(200);
    expect(await sessionOf(t.thinkerId)).toMatchObject({ pair_code: pc, status: "offline", room_id: null });
    const verified = await json("/api/presence/verify", { body: await signedLink(t.uid) });
    expect(verified.body).toMatchObject({ ok: true, thinker_id: t.thinkerId, pair_code: pc });
  });

  it("concurrent heartbeats of one thinker leave one row", async () => {
    const t = await thinker();
    const pc = pairCode();
    const results = await Promise.all(Array.from({ length: 10 }, () => beat(t, { pair_code: pc })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await countOf("SELECT count(*) n FROM presence_sessions WHERE thinker_id = ?", t.thinkerId)).toBe(1);
  });
});

describe("POST /api/presence/match", () => {
  it("an empty or null pair code → room_id null, nothing written", async () => {
    const a = await thinker();
    const b = await thinker();
    await pair(pairCode(), a, b);
    const before = await eventCount();
    for (const pc of ["", null]) {
      const r = await matchAs(a, pc);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ ok: true, room_id: null });
    }
    expect(await eventCount()).toBe(before);
  });

  it("one online thinker alone → null; two → one shared room, registered, one event", async () => {
    const a = await thinker();
    const b = await thinker();
    const pc = pairCode();
    expect((await beat(a, { pair_code: pc })).status).toBe(200);
    expect((await matchAs(a, pc)).body).toEqual({ ok: true, room_id: null });
    expect((await sessionOf(a.thinkerId))?.room_id).toBeNull();

    expect((await beat(b, { pair_code: pc })).status).toBe(200);
    const requestId = newRequestId();
    const r = await matchAs(b, pc, requestId);
    expect(r.status).toBe(200);
    const roomId = r.body.room_id as string;
    expect(roomId).toMatch(new RegExp(`^room-${pc}-[0-9a-z]{6}$`));
    expect(r.body).toEqual({ ok: true, room_id: roomId });
    expect((await roomsOfPair(pc)).map((s) => s.room_id)).toEqual([roomId, roomId]);

    // The other thinker's match answers the same room and writes nothing new.
    const again = await matchAs(a, pc);
    expect(again.body).toEqual({ ok: true, room_id: roomId });

    const room = await row<{ type: string; owner_uid: string | null; meta: string }>("SELECT * FROM rooms WHERE id = ?", roomId);
    expect(room).toMatchObject({ type: "mixed", owner_uid: null });
    expect(JSON.parse(room?.meta ?? "{}")).toEqual({ source: "presence", pair_code: pc });

    const events = await matchEvents(roomId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_uid: b.uid, subject_type: "room", request_id: requestId });
    expect(JSON.parse(events[0]?.meta ?? "{}")).toEqual({ pair_code: pc, thinker_id: b.thinkerId, joined: 2, candidates: 2 });
  });

  it("the room is sticky: a newcomer joins it (one more event); repeated polls add no events", async () => {
    const [a, b, c] = [await thinker(), await thinker(), await thinker()];
    const pc = pairCode();
    const [, roomId] = await pair(pc, a, b);
    expect(roomId).toBeTruthy();
    for (let i = 0; i < 3; i++) expect((await matchAs(a, pc)).body.room_id).toBe(roomId);
    expect(await matchEvents(roomId as string)).toHaveLength(1);

    expect(await pair(pc, c)).toEqual([roomId]);
    expect((await roomsOfPair(pc)).map((s) => s.room_id)).toEqual([roomId, roomId, roomId]);
    const events = await matchEvents(roomId as string);
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1]?.meta ?? "{}")).toMatchObject({ thinker_id: c.thinkerId, joined: 1, candidates: 3 });
    expect(await countOf("SELECT count(*) n FROM rooms WHERE id = ?", roomId)).toBe(1);

    // The first member leaving does not move the others.
    expect((await beat(a, { status: "offline" })).status).toBe(200);
    expect((await matchAs(b, pc)).body.room_id).toBe(roomId);
    expect((await matchAs(c, pc)).body.room_id).toBe(roomId);
  });

  it("offline and stale sessions are not candidates", async () => {
    const [a, b, c] = [await thinker(), await thinker(), await thinker()];
    const pc = pairCode();
    expect((await beat(a, { pair_code: pc })).status).toBe(200);
    expect((await beat(b, { pair_code: pc, status: "offline" })).status).toBe(200);
    expect((await matchAs(a, pc)).body.room_id).toBeNull();
    expect((await matchAs(b, pc)).body.room_id).toBeNull();

    // c seen 61 s ago.
    expect((await beat(c, { pair_code: pc })).status).toBe(200);
    await testEnv.DB.prepare("UPDATE presence_sessions SET last_seen_at = ? WHERE thinker_id = ?")
      .bind(Date.now() - 61_000, c.thinkerId)
      .run();
    expect((await matchAs(a, pc)).body.room_id).toBeNull();
    expect((await roomsOfPair(pc)).map((s) => s.room_id)).toEqual([null, null, null]);
    expect(await countOf("SELECT count(*) n FROM rooms WHERE json_extract(meta, '$.pair_code') = ?", pc)).toBe(0);

    // A fresh heartbeat brings c back.
    expect((await beat(c, { pair_code: pc })).status).toBe(200);
    const roomId = (await matchAs(a, pc)).body.room_id;
    expect(roomId).toMatch(/^room-/);
    const after = await roomsOfPair(pc);
    expect(Object.fromEntries(after.map((s) => [s.thinker_id, s.room_id]))).toEqual({
      [a.thinkerId]: roomId,
      [b.thinkerId]: null,
      [c.thinkerId]: roomId,
    });
  });

  it("the 60 s window: seen exactly 60 s ago counts, 60.001 s ago does not", async () => {
    const T = Date.now();
    for (const [age, matched] of [
      [MATCH_WINDOW_MS, true],
      [MATCH_WINDOW_MS + 1, false],
    ] as const) {
      const [a, b] = [await thinker(), await thinker()];
      const pc = pairCode();
      vi.setSystemTime(T);
      expect((await beat(a, { pair_code: pc })).status).toBe(200);
      expect((await beat(b, { pair_code: pc })).status).toBe(200);
      vi.setSystemTime(T + age);
      const r = await matchAs(a, pc);
      expect(r.status).toBe(200);
      expect({ age, matched: r.body.room_id !== null }).toEqual({ age, matched });
      vi.useRealTimers();
    }
  });

  it("the caller need not be a candidate itself (as the original)", async () => {
    const [a, b, outsider] = [await thinker(), await thinker(), await thinker()];
    const pc = pairCode();
    expect((await beat(a, { pair_code: pc })).status).toBe(200);
    expect((await beat(b, { pair_code: pc })).status).toBe(200);
    const r = await matchAs(outsider, pc);
    expect(r.body.room_id).toMatch(/^room-/);
    expect(await sessionOf(outsider.thinkerId)).toBeUndefined();
    expect(await matchEvents(r.body.room_id)).toEqual([expect.objectContaining({ actor_uid: outsider.uid })]);
  });

  it("a room of another pair code is never reused", async () => {
    const [a, b, c] = [await thinker(), await thinker(), await thinker()];
    const alpha = pairCode();
    const [roomAlpha] = await pair(alpha, a, b);
    // a moves to a pair code that starts like the old room's suffix would: still a new room.
    const beta = `${alpha}-${(roomAlpha as string).slice(-6)}`;
    expect((await beat(a, { pair_code: beta })).status).toBe(200);
    expect((await beat(c, { pair_code: beta })).status).toBe(200);
    const roomBeta = (await matchAs(c, beta)).body.room_id as string;
    expect(roomBeta).toMatch(new RegExp(`^room-${beta}-[0-9a-z]{6}$`));
    expect(roomBeta).not.toBe(roomAlpha);
    expect((await sessionOf(a.thinkerId))?.room_id).toBe(roomBeta);
    // b stays in alpha's room.
    expect((await sessionOf(b.thinkerId))?.room_id).toBe(roomAlpha);
  });

  it("concurrent matches of several thinkers with one pair code end in ONE room", async () => {
    const ts = await Promise.all(Array.from({ length: 8 }, () => thinker()));
    const pc = pairCode();
    const beats = await Promise.all(ts.map((t) => beat(t, { pair_code: pc })));
    expect(beats.map((r) => r.status)).toEqual(Array(8).fill(200));
    const answers = await Promise.all(ts.map((t) => matchAs(t, pc)));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    const ids = new Set(answers.map((r) => r.body.room_id));
    expect(ids.size).toBe(1);
    const [roomId] = [...ids];
    expect(roomId).toMatch(/^room-/);
    expect(new Set((await roomsOfPair(pc)).map((s) => s.room_id))).toEqual(new Set([roomId]));
    expect(await countOf("SELECT count(*) n FROM rooms WHERE json_extract(meta, '$.pair_code') = ?", pc)).toBe(1);
    const events = await matchEvents(roomId);
    expect(events.reduce((n, e) => n + (JSON.parse(e.meta) as { joined: number }).joined, 0)).toBe(8);
  });

  it("heartbeats and matches interleaved concurrently never split a pair code over two rooms", async () => {
    const ts = await Promise.all(Array.from({ length: 8 }, () => thinker()));
    const pc = pairCode();
    const first = await Promise.all(
      ts.map(async (t) => {
        expect((await beat(t, { pair_code: pc })).status).toBe(200);
        return (await matchAs(t, pc)).body.room_id as string | null;
      }),
    );
    const final = await Promise.all(ts.map((t) => matchAs(t, pc)));
    const ids = new Set(final.map((r) => r.body.room_id));
    expect(ids.size).toBe(1);
    const [roomId] = [...ids];
    expect(roomId).toMatch(/^room-/);
    for (const answer of first) expect([null, roomId]).toContain(answer);
    expect(new Set((await roomsOfPair(pc)).map((s) => s.room_id))).toEqual(new Set([roomId]));
    expect(await countOf("SELECT count(*) n FROM rooms WHERE json_extract(meta, '$.pair_code') = ?", pc)).toBe(1);
  });
});

describe("the match SQL agrees with the pure rule (planMatch)", () => {
  let caller: Thinker;
  beforeAll(async () => {
    caller = await thinker();
  });

  it("on random session sets around the window, statuses, rooms and arrival ties", async () => {
    let run = 0;
    await check(
      fc.asyncProperty(
        fc.array(
          fc.record({
            online: fc.constantFrom(true, true, true, false),
            age: fc.oneof(
              fc.constantFrom(0, -1_000, 59_999, 60_000, 60_001, 120_000),
              fc.integer({ min: -5_000, max: 59_000 }),
              fc.integer({ min: -5_000, max: 120_000 }),
            ),
            pair: fc.constantFrom("same", "same", "same", "same", "longer", "other", "none"),
            room: fc.constantFrom("none", "none", "mine-a", "mine-b", "longer", "other"),
            created: fc.integer({ min: 0, max: 3 }),
            tie: fc.constantFrom("a", "b", "c"),
          }),
          { minLength: 2, maxLength: 7 },
        ),
        async (specs) => {
          const T = Date.now() - (Date.now() % 1000);
          const pc = `prop${run++}x${newUid("p")}`;
          const pairOf = { same: pc, longer: `${pc}-aaaaaa`, other: `${pc}other`, none: null } as const;
          const roomOf = {
            none: null,
            "mine-a": `room-${pc}-aaaaaa`,
            "mine-b": `room-${pc}-bbbbbb`,
            longer: `room-${pc}-aaaaaa-cccccc`,
            other: `room-${pc}other-dddddd`,
          } as const;
          const sessions: SessionView[] = specs.map((s, i) => ({
            id: `ps-${s.tie}-${pc}-${i}`,
            thinkerId: `thinker-${pc}-${i}`,
            pairCode: pairOf[s.pair],
            status: s.online ? "online" : "offline",
            roomId: roomOf[s.room],
            lastSeenAt: T - s.age,
            createdAt: T - 200_000 + s.created,
          }));
          if (sessions.length > 0) {
            await testEnv.DB.batch(
              sessions.map((s) =>
                testEnv.DB.prepare(
                  "INSERT INTO presence_sessions (id, thinker_id, pair_code, status, room_id, last_seen_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ).bind(s.id, s.thinkerId, s.pairCode, s.status, s.roomId, s.lastSeenAt, s.createdAt),
              ),
            );
          }
          vi.setSystemTime(T);
          const requestId = newRequestId();
          const r = await matchAs(caller, pc, requestId);
          vi.useRealTimers();
          expect(r.status).toBe(200);
          const FRESH = "<fresh>";
          const plan = planMatch(sessions, pc, T, FRESH);
          const got = r.body.room_id as string | null;
          if (plan.roomId === FRESH) expect(got).toMatch(new RegExp(`^room-${pc}-[0-9a-z]{6}$`));
          else expect(got).toBe(plan.roomId);

          const after = await rows<SessionRow>("SELECT * FROM presence_sessions WHERE id LIKE ?", `ps-_-${pc}-%`);
          const want = Object.fromEntries(sessions.map((s) => [s.id, plan.joining.includes(s.id) ? got : s.roomId]));
          expect(Object.fromEntries(after.map((s) => [s.id, s.room_id]))).toEqual(want);

          const events = await rows<{ meta: string }>("SELECT meta FROM events WHERE request_id = ?", requestId);
          expect(events.map((e) => JSON.parse(e.meta).joined)).toEqual(plan.joining.length > 0 ? [plan.joining.length] : []);
          expect(await countOf("SELECT count(*) n FROM rooms WHERE id = ?", got ?? "")).toBe(got ? 1 : 0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("identity", () => {
  it("thinker_id must be the caller's own → 403 thinker_mismatch, nothing written", async () => {
    const [me, other] = [await thinker(), await thinker()];
    const pc = pairCode();
    for (const thinkerId of [other.thinkerId, me.uid, "thinker-0000000000000000", `${me.thinkerId}0`]) {
      expectError(await post(HEARTBEAT, me, { thinker_id: thinkerId, pair_code: pc }), 403, "thinker_mismatch");
      expectError(await post(MATCH, me, { thinker_id: thinkerId, pair_code: pc }), 403, "thinker_mismatch");
    }
    expect(await sessionOf(me.thinkerId)).toBeUndefined();
    expect(await sessionOf(other.thinkerId)).toBeUndefined();
    expect(await countOf("SELECT count(*) n FROM presence_sessions WHERE pair_code = ?", pc)).toBe(0);
  });

  it("no session → 401 unauthenticated; a bad session → 401 invalid_session; nothing written", async () => {
    const t = await thinker();
    for (const path of [HEARTBEAT, MATCH]) {
      const body = { thinker_id: t.thinkerId, pair_code: "x" };
      expectError(await post(path, null, body), 401, "unauthenticated");
      expectError(await post(path, { uid: t.uid, session: "s1.k2.garbage.sig" }, body), 401, "invalid_session");
      expectError(await post(path, null, body, { headers: { "x-mot-user": t.uid } }), 401, "unauthenticated");
    }
    expect(await sessionOf(t.thinkerId)).toBeUndefined();
  });

  it("AUTH_MODE=compat without a session: thinker_id is asserted (a local uid maps to its thinker id)", async () => {
    const localUid = newUid("legacy");
    const verifiedId = await thinkerIdOf(newUid("linked"));
    const pc = pairCode();
    const legacy = (path: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
      post(path, null, body, { env: compat, headers });

    expect((await legacy(HEARTBEAT, { thinker_id: localUid, pair_code: pc, status: "online" })).status).toBe(200);
    expect((await legacy(HEARTBEAT, { thinker_id: verifiedId, pair_code: pc })).status).toBe(200);
    const derived = await thinkerIdOf(localUid);
    expect(await sessionOf(derived)).toMatchObject({ pair_code: pc, status: "online" });
    expect(await sessionOf(localUid)).toBeUndefined();
    expect(await sessionOf(verifiedId)).toMatchObject({ pair_code: pc });

    const r = await legacy(MATCH, { thinker_id: localUid, pair_code: pc });
    expect(r.status).toBe(200);
    expect(r.body.room_id).toMatch(/^room-/);
    expect((await legacy(MATCH, { thinker_id: verifiedId, pair_code: pc })).body.room_id).toBe(r.body.room_id);
    // The asserted identity is the event's actor.
    expect(await matchEvents(r.body.room_id)).toEqual([expect.objectContaining({ actor_uid: localUid })]);

    // An X-MOT-User must name the same person; the same request is refused in strict mode.
    expect((await legacy(HEARTBEAT, { thinker_id: localUid }, { "x-mot-user": localUid })).status).toBe(200);
    expect((await legacy(HEARTBEAT, { thinker_id: derived }, { "x-mot-user": localUid })).status).toBe(200);
    expectError(await legacy(HEARTBEAT, { thinker_id: localUid }, { "x-mot-user": newUid() }), 403, "thinker_mismatch");
    expectError(await post(HEARTBEAT, null, { thinker_id: localUid }), 401, "unauthenticated");
  });

  it("AUTH_MODE=compat with a session: the session decides, as in strict mode", async () => {
    const [me, other] = [await thinker(), await thinker()];
    const e = { env: compat };
    expect((await post(HEARTBEAT, me, { thinker_id: me.thinkerId }, e)).status).toBe(200);
    expectError(await post(HEARTBEAT, me, { thinker_id: other.thinkerId }, e), 403, "thinker_mismatch");
    expectError(await post(HEARTBEAT, me, { thinker_id: me.uid }, e), 403, "thinker_mismatch");
    expect(await sessionOf(other.thinkerId)).toBeUndefined();
  });
});

describe("validation", () => {
  it("malformed bodies → 400 validation_failed, nothing written", async () => {
    const t = await thinker();
    const id = t.thinkerId;
    const bad: Array<[string, Record<string, unknown>]> = [
      [HEARTBEAT, {}],
      [HEARTBEAT, { thinker_id: "" }],
      [HEARTBEAT, { thinker_id: 42 }],
      [HEARTBEAT, { thinker_id: "thinker id" }],
      [HEARTBEAT, { thinker_id: "x".repeat(129) }],
      [HEARTBEAT, { thinker_id: id, status: "away" }],
      [HEARTBEAT, { thinker_id: id, status: "" }],
      [HEARTBEAT, { thinker_id: id, pair_code: "a b" }],
      [HEARTBEAT, { thinker_id: id, pair_code: "äöü" }],
      [HEARTBEAT, { thinker_id: id, pair_code: "a/b" }],
      [HEARTBEAT, { thinker_id: id, pair_code: "a:b" }],
      [HEARTBEAT, { thinker_id: id, pair_code: "p".repeat(65) }],
      [HEARTBEAT, { thinker_id: id, pair_code: 7 }],
      [HEARTBEAT, { thinker_id: id, room_id: "room-x-abcdef" }],
      [MATCH, { thinker_id: id }],
      [MATCH, { pair_code: "alpha" }],
      [MATCH, { thinker_id: id, pair_code: "'; DROP TABLE rooms; --" }],
      [MATCH, { thinker_id: id, pair_code: "p".repeat(65) }],
      [MATCH, { thinker_id: id, pair_code: ["alpha"] }],
      [MATCH, { thinker_id: id, pair_code: "alpha", status: "online" }],
    ];
    for (const [path, body] of bad) {
      const r = await post(path, t, body);
      expect({ path, body, status: r.status, code: r.body.code }).toEqual({ path, body, status: 400, code: "validation_failed" });
    }
    expect(await sessionOf(id)).toBeUndefined();
    // The longest pair code is accepted.
    expect((await beat(t, { pair_code: "p".repeat(64) })).status).toBe(200);
  });

  it("GET /api/presence/debug (the original leaked every token) is not served: JSON 404", async () => {
    for (const method of ["GET", "POST"]) {
      const res = await app.request("http://localhost/api/presence/debug", { method }, testEnv);
      await checkContract(method, "/api/presence/debug", res);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ ok: false, code: "not_found" });
    }
  });

  it("a wrong method → 405 (not the static site)", async () => {
    for (const path of [HEARTBEAT, MATCH]) {
      const r = await json(path);
      expectError(r, 405, "method_not_allowed");
      expect(r.headers.get("allow")).toBe("POST");
    }
  });
});
