/**
 * Limits of `GET /api/rooms/:roomId/ws` (src/rooms/routes.ts, src/rooms/access.ts), all refused
 * with plain HTTP before any upgrade:
 * - the per-caller rate limit of the route (`RATE_LIMIT_READ_PER_MIN`, the route is a read):
 *   429 + Retry-After + JSON, decided before the Room is contacted, so the Room's Durable Object
 *   is never reached (none is created) and the room is not registered;
 * - the Room's own capacity (`ROOM_MAX_CONNECTIONS`, 200 in the auxiliary backend Worker, the
 *   production value): its `503 room_full` + Retry-After goes back through the Pages route as
 *   the Room answered it;
 * - `503 room_unavailable` + Retry-After when the Room cannot be reached: provoked with a `ROOMS`
 *   binding whose stub throws, the failure a real stub reports when its object is unreachable.
 *
 * The rate-limit tests pin the clock (`vi.setSystemTime`) into a fresh window so the burst falls
 * into one known window and Retry-After is exact; nothing measures elapsed time.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ROOM_FULL_RETRY_AFTER_S } from "../../src/rooms/room.do";
import { json, login, testEnv } from "../support/client";
import { collect, doExists, enter, type Frame, roomName as room, ticketFor, upgrade, wsPath } from "../support/sockets";
import { row } from "../support/voucher-kit";
import { eventually } from "../support/wait";

const registered = async (roomId: string) => (await row("SELECT id FROM rooms WHERE id = ?", roomId)) !== undefined;

/** A plain-HTTP JSON refusal (no socket), its parsed body. */
async function refusal(res: Response, status: number, code: string): Promise<Frame> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.webSocket).toBeNull();
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Frame;
  expect(body).toMatchObject({ ok: false, code, error: expect.any(String) });
  return body;
}

// ── rate limit ──────────────────────────────────────────────────────────────────────────────

describe("GET /api/rooms/:roomId/ws: rate limit", () => {
  const WINDOW = 60_000;
  const LIMIT = 2;
  const limited = { ...testEnv, RATE_LIMIT_READ_PER_MIN: String(LIMIT) } as Env;
  let windowStart = 0;

  /** Pins the clock `offsetMs` into the next window (a future one, shared with no earlier test). */
  function pinClock(offsetMs: number): void {
    const real = Date.now();
    windowStart = real - (real % WINDOW) + WINDOW;
    vi.setSystemTime(windowStart + offsetMs);
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  function expectRateLimited(body: Frame, headers: Headers, retryAfter: number) {
    expect(body.details).toEqual({ limit: LIMIT, retryAfter });
    expect(headers.get("retry-after")).toBe(String(retryAfter));
  }

  it("a session over the limit → plain 429 + Retry-After + JSON, no DO created, room not registered", async () => {
    pinClock(10_000);
    const me = await login();
    const first = room("rl-a");
    const sockets = [await enter(wsPath(first), me.session, {}, limited), await enter(wsPath(first), me.session, {}, limited)];
    expect(await doExists(first)).toBe(true);

    // Another room, same caller: the limit is per (route, caller), not per room.
    const second = room("rl-b");
    const over = await upgrade(wsPath(second), me.session, {}, limited);
    const body = await refusal(over, 429, "rate_limited");
    expectRateLimited(body, over.headers, 50);
    expect(await doExists(second)).toBe(false);
    expect(await registered(second)).toBe(false);

    // The room the caller is already in refuses the same way, and no third socket appears.
    const again = await upgrade(wsPath(first), me.session, {}, limited);
    expectRateLimited(await refusal(again, 429, "rate_limited"), again.headers, 50);
    const seen = await json(`/api/rooms/${encodeURIComponent(first)}`, { session: me.session });
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    const members = (seen.body.presence as Frame[]).filter((m) => m.uid === me.uid);
    expect(members.map((m) => m.conns.length)).toEqual([LIMIT]);

    // An upgrade is a GET: counted without a D1 counter row (see the read limiter).
    const counter = await row("SELECT count FROM rate_limits WHERE key = ?", `rooms.ws|uid:${me.uid}`);
    expect(counter).toBeUndefined();

    // Another caller is not affected; the next window lets this caller in again.
    const other = await login();
    const theirs = await enter(wsPath(second), other.session, {}, limited);
    vi.setSystemTime(windowStart + WINDOW + 1_000);
    const next = await enter(wsPath(second), me.session, {}, limited);
    for (const s of [...sockets, theirs, next]) s.ws.close(1000);
  });

  it("a ticket over the limit (anonymous: keyed by client IP) → plain 429, no DO created", async () => {
    pinClock(30_500);
    const me = await login();
    const ip = "198.51.100.23";
    const ticket = async (roomId: string) => {
      const t = await ticketFor(me.session, roomId);
      expect(t.status, JSON.stringify(t.body)).toBe(200);
      return t.body.ticket as string;
    };
    const inside = room("rl-t");
    const sockets = [];
    for (let i = 0; i < LIMIT; i++) {
      sockets.push(
        await enter(
          wsPath(inside, `?ticket=${encodeURIComponent(await ticket(inside))}`),
          undefined,
          { "cf-connecting-ip": ip },
          limited,
        ),
      );
    }
    const outside = room("rl-u");
    const over = await upgrade(
      wsPath(outside, `?ticket=${encodeURIComponent(await ticket(outside))}`),
      undefined,
      { "cf-connecting-ip": ip },
      limited,
    );
    expectRateLimited(await refusal(over, 429, "rate_limited"), over.headers, 30);
    expect(await doExists(outside)).toBe(false);
    expect(await registered(outside)).toBe(false);
    // The same ticket flow from another IP passes.
    const elsewhere = await enter(
      wsPath(outside, `?ticket=${encodeURIComponent(await ticket(outside))}`),
      undefined,
      { "cf-connecting-ip": "198.51.100.99" },
      limited,
    );
    for (const s of [...sockets, elsewhere]) s.ws.close(1000);
  });
});

// ── the Room's capacity ─────────────────────────────────────────────────────────────────────

/** The capacity the auxiliary backend Worker runs with (its `ROOM_MAX_CONNECTIONS` binding)… */
const raw = (files: Record<string, string>) => Object.values(files)[0] ?? "";
const CAPACITY = Number(
  /ROOM_MAX_CONNECTIONS:\s*"(\d+)"/.exec(
    raw(import.meta.glob<string>("../support/build-worker.mts", { query: "?raw", import: "default", eager: true })),
  )?.[1],
);
/** …and the production one (src/worker/wrangler.toml): the test runs at the deployed capacity. */
const PRODUCTION_CAPACITY = Number(
  /^ROOM_MAX_CONNECTIONS\s*=\s*"(\d+)"/m.exec(
    raw(import.meta.glob<string>("../../src/worker/wrangler.toml", { query: "?raw", import: "default", eager: true })),
  )?.[1],
);

/** What the Room itself answers to one more upgrade, asked directly through the binding. */
function askRoom(roomId: string, uid: string): Promise<Response> {
  const headers = { upgrade: "websocket", "x-room-id": roomId, "x-room-uid": uid };
  return testEnv.ROOMS.getByName(roomId).fetch(new Request("https://room.internal/connect", { headers }));
}

describe("GET /api/rooms/:roomId/ws: a full room", () => {
  it("the Room's 503 room_full + Retry-After passes through the route unchanged; a freed place admits one more", async () => {
    expect(CAPACITY).toBeGreaterThan(0);
    expect(CAPACITY).toBe(PRODUCTION_CAPACITY);
    const users = await Promise.all(Array.from({ length: 4 }, () => login()));
    const session = (i: number) => users[i % users.length]?.session;
    const roomId = room("full");
    const open: Array<ReturnType<typeof collect>> = [];
    try {
      for (let i = 0; i < CAPACITY; i++) {
        const res = await upgrade(wsPath(roomId), session(i));
        expect(res.status, `socket ${i + 1} of ${CAPACITY}`).toBe(101);
        open.push(collect(res));
      }

      const full = await upgrade(wsPath(roomId), session(0));
      const body = await refusal(full, 503, "room_full");
      expect(full.headers.get("retry-after")).toBe(String(ROOM_FULL_RETRY_AFTER_S));
      // Like every other answer of the API, it names the request (added by the pipeline).
      expect(full.headers.get("x-request-id")).toMatch(/^req-/);
      // Unchanged: the same status, headers that matter and body as the Room's own answer.
      const direct = await askRoom(roomId, users[0]?.uid ?? "");
      expect(direct.webSocket).toBeNull();
      expect(direct.status).toBe(503);
      expect(full.headers.get("content-type")).toBe(direct.headers.get("content-type"));
      expect(full.headers.get("retry-after")).toBe(direct.headers.get("retry-after"));
      expect(body).toEqual(await direct.json());

      // A place freed by a close admits exactly one more; the refusals above left no socket behind.
      open.shift()?.ws.close(1000);
      let admitted: Response | undefined;
      await eventually(
        async () => {
          const res = await upgrade(wsPath(roomId), session(1));
          if (res.status === 101) admitted = res;
          else await refusal(res, 503, "room_full");
          return admitted !== undefined;
        },
        "a place freed after a close",
        5_000,
        50,
      );
      expect(admitted?.status, "no place freed after a close").toBe(101);
      if (admitted) open.push(collect(admitted));
      await refusal(await upgrade(wsPath(roomId), session(2)), 503, "room_full");
    } finally {
      for (const s of open) s.ws.close(1000);
    }
  });
});

// ── an unreachable Room ─────────────────────────────────────────────────────────────────────

describe("GET /api/rooms/:roomId/ws: the Room cannot be reached", () => {
  it("503 room_unavailable + Retry-After, plain JSON, when the Room's stub throws", async () => {
    const me = await login();
    const roomId = room("down");
    const asked: string[] = [];
    // The binding as the route sees it when the Room's object is unreachable: the stub's fetch rejects.
    const unreachable = {
      getByName(name: string) {
        asked.push(name);
        return {
          fetch: () => Promise.reject(new Error("injected: Durable Object unreachable")),
        };
      },
    };
    const down = { ...testEnv, ROOMS: unreachable } as unknown as Env;
    const logged: string[] = [];
    const errors = vi.spyOn(console, "error").mockImplementation((line: unknown) => {
      logged.push(String(line));
    });
    let res: Response;
    try {
      res = await upgrade(wsPath(roomId), me.session, {}, down);
    } finally {
      errors.mockRestore();
    }
    await refusal(res, 503, "room_unavailable");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(asked).toEqual([roomId]);
    // The operator sees why: one error line naming the room and the stub's failure.
    const lines = logged.map((l) => JSON.parse(l) as Frame);
    expect(lines.find((l) => l.msg === "room unavailable")).toMatchObject({
      level: "error",
      roomId,
      error: expect.stringContaining("injected: Durable Object unreachable"),
    });
    expect(await doExists(roomId)).toBe(false);
    // Once the Room is reachable again, the same caller gets in.
    const back = await enter(wsPath(roomId), me.session);
    back.ws.close(1000);
  });
});
