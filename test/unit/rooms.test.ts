/**
 * The Room's pure parts: room ids, the frame decoder (caps before parse), the presence reducer
 * with its grace window, and the token bucket.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as presence from "../../src/rooms/presence";
import {
  decodeClientFrame,
  FRAME_CAPS,
  HARD_FRAME_CAP,
  ICE_CAP,
  peekType,
  RATE_LIMITS,
  scaledLimit,
  utf8Length,
} from "../../src/rooms/protocol";
import { type Bucket, take } from "../../src/rooms/rate";
import { MAX_ROOM_ID_LENGTH, parseRoomId } from "../../src/rooms/room-id";
import { check } from "./seed";

describe("parseRoomId", () => {
  it.each([
    ["honeycomb:cell-7", { kind: "honeycomb", id: "cell-7", public: true }],
    ["wabe:A-2", { kind: "wabe", id: "A-2", public: true }],
    ["deal:XYZ", { kind: "deal", id: "XYZ", public: true }],
    ["voucher:v_01HX", { kind: "voucher", id: "v_01HX", public: false }],
    ["mortgage:offer:mort-offer-2025-0001", { kind: "mortgage", object: "offer", id: "mort-offer-2025-0001", public: false }],
    ["mortgage:tranche:mort-tranche-2025-0001-A", { kind: "mortgage", object: "tranche", public: false }],
    ["room-ABC123-k3j9zq", { kind: "pair", id: "ABC123-k3j9zq", public: true }],
    // The original portal's own rooms: room-<pairCode>, room-<thinker_id>.
    ["room-abc", { kind: "pair", id: "abc", public: true }],
    ["room-thinker-0123456789abcdef", { kind: "pair", id: "thinker-0123456789abcdef", public: true }],
  ])("accepts %s", (raw, expected) => {
    expect(parseRoomId(raw)).toMatchObject({ roomId: raw, ...expected });
  });

  it.each([
    "",
    "honeycomb:",
    "honeycomb",
    "honeycomb:a:b",
    "honeycomb:a b",
    "honeycomb:a/b",
    "honeycomb:ä",
    "Honeycomb:x",
    "mortgage:HOUSE-123",
    "mortgage:loan:1",
    "mortgage:offer:",
    "voucher:x?y",
    "room-",
    "room-a:b",
    "room-a b",
    "chat:x",
    `deal:${"x".repeat(MAX_ROOM_ID_LENGTH)}`,
  ])("rejects %j", (raw) => {
    expect(parseRoomId(raw)).toBeNull();
  });

  it("never accepts an id longer than the cap or with characters outside the charset", async () => {
    await check(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = parseRoomId(s);
        if (r) expect(s.length <= MAX_ROOM_ID_LENGTH && /^[A-Za-z0-9_.:-]+$/.test(s)).toBe(true);
      }),
    );
  });
});

describe("decodeClientFrame", () => {
  it("parses valid frames of every type", () => {
    const frames = [
      { type: "hello" },
      { type: "hello", lastSeq: 12 },
      { type: "resume", lastSeq: 0 },
      { type: "ping" },
      { type: "chat", id: "m1", text: "hi" },
      { type: "signal", id: "s1", to: "cabc", kind: "answer", data: { sdp: "v=0" } },
      { type: "presence.update", id: "p1", meta: { name: "A", mic: false, n: 1, x: null } },
      { type: "history", id: "h1", before: 10, limit: 5 },
    ];
    for (const f of frames) expect(decodeClientFrame(JSON.stringify(f))).toMatchObject({ ok: true, frame: f });
  });

  it("reports malformed frames with the client id when it can", () => {
    expect(decodeClientFrame("{")).toMatchObject({ ok: false, reason: "malformed" });
    expect(decodeClientFrame('{"type":"chat","id":"m9","text":""}')).toMatchObject({ ok: false, reason: "malformed", ref: "m9" });
    expect(decodeClientFrame('{"type":"chat","id":"m9","text":"x","seq":3}')).toMatchObject({ ok: false, reason: "malformed" });
    expect(decodeClientFrame('{"type":"signal","id":"s","to":"c1","kind":"hack","data":1}')).toMatchObject({ ok: false });
    expect(decodeClientFrame('{"type":"presence.update","id":"p","meta":{"deep":{"x":1}}}')).toMatchObject({ ok: false });
    expect(decodeClientFrame("[]")).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("refuses oversized frames before parsing: hard cap, and the type cap when type comes first", () => {
    // Not even valid JSON: a parse would fail, so a too_big result proves the size check ran first.
    expect(decodeClientFrame(`{"x":"${"a".repeat(HARD_FRAME_CAP)}`)).toMatchObject({
      ok: false,
      reason: "too_big",
      cap: HARD_FRAME_CAP,
    });
    const cap = FRAME_CAPS["presence.update"];
    expect(decodeClientFrame(`{"type":"presence.update","meta":"${"a".repeat(cap)}`)).toMatchObject({
      ok: false,
      reason: "too_big",
      cap,
    });
  });

  it("still enforces the type cap when type is not the first key, and the ICE cap", () => {
    const meta = JSON.stringify({ id: "p", meta: { a: "x".repeat(100) }, pad: "y".repeat(5000), type: "presence.update" });
    expect(decodeClientFrame(meta)).toMatchObject({ ok: false }); // strict schema or cap, never accepted
    const ice = JSON.stringify({ type: "signal", id: "s", to: "c1", kind: "ice", data: "z".repeat(ICE_CAP) });
    expect(decodeClientFrame(ice)).toMatchObject({ ok: false, reason: "too_big", cap: ICE_CAP });
    const offer = JSON.stringify({ type: "signal", id: "s", to: "c1", kind: "offer", data: "z".repeat(ICE_CAP) });
    expect(decodeClientFrame(offer)).toMatchObject({ ok: true });
  });

  it("counts bytes, not UTF-16 units", () => {
    const cap = FRAME_CAPS["presence.update"];
    // 1,500 × "€" is 1,500 units but 4,500 bytes.
    const frame = `{"type":"presence.update","id":"p","meta":{"n":"${"€".repeat(1500)}"}}`;
    expect(frame.length).toBeLessThan(cap);
    expect(decodeClientFrame(frame)).toMatchObject({ ok: false, reason: "too_big" });
  });

  it("utf8Length agrees with TextEncoder on well-formed strings", async () => {
    await check(
      fc.property(fc.string({ unit: "grapheme", maxLength: 100 }), (s) => {
        expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      }),
    );
  });

  it("peeks the type as a top-level key before any nested value or escape", () => {
    expect(peekType('{"type":"chat","id":"x"}')).toBe("chat");
    expect(peekType(' { "type" : "presence.update" }')).toBe("presence.update");
    expect(peekType('{"id":"x","type":"chat"}')).toBe("chat");
    expect(peekType('{"type":"offer"}')).toBeUndefined();
    // Not provably top-level: after a nested value, inside a string, in an array, or too far in.
    expect(peekType('{"meta":{"a":1},"type":"chat"}')).toBeUndefined();
    expect(peekType('{"text":"say \\",\\"type\\":\\"chat","type":"presence.update"}')).toBeUndefined();
    expect(peekType('[{"type":"chat"}]')).toBeUndefined();
    expect(peekType(`{"id":"${"x".repeat(300)}","type":"chat"}`)).toBeUndefined();
    expect(peekType('{"xtype":"chat"}')).toBeUndefined();
  });

  it("refuses oversized frames before parsing: presence with type second, ICE by its kind", () => {
    // Unterminated JSON: a `too_big` answer proves no parse happened (a parse would say malformed).
    const presence = `{"id":"p1","type":"presence.update","meta":{"x":"${"a".repeat(5000)}`;
    expect(decodeClientFrame(presence)).toMatchObject({ ok: false, reason: "too_big", cap: FRAME_CAPS["presence.update"] });
    const ice = `{"type":"signal","id":"s1","to":"c2","kind":"ice","data":"${"a".repeat(5000)}`;
    expect(decodeClientFrame(ice)).toMatchObject({ ok: false, reason: "too_big", cap: ICE_CAP });
    // An offer of the same size is fine (64 KiB cap) and parses.
    const offer = `{"type":"signal","id":"s2","to":"c2","kind":"offer","data":{"sdp":"${"a".repeat(5000)}"}}`;
    expect(decodeClientFrame(offer)).toMatchObject({ ok: true });
    // A duplicate key cannot buy a larger cap: the parsed frame's own cap still applies.
    const twoTypes = `{"type":"chat","id":"p2","type":"signal","to":"c2","kind":"ice","data":"${"a".repeat(5000)}"}`;
    expect(decodeClientFrame(twoTypes)).toMatchObject({ ok: false, reason: "too_big", cap: ICE_CAP });
  });
});

describe("presence reducer", () => {
  const T = 1_000_000;

  it("remove drops a member at once with a leave (erasure), and is a no-op for unknown uids", () => {
    const s = presence.connect(presence.connect(presence.EMPTY, "a", "c1", T).state, "b", "c2", T).state;
    const t = presence.remove(s, "a");
    expect(t.deltas).toEqual([{ kind: "leave", uid: "a" }]);
    expect(presence.members(t.state).map((m) => m.uid)).toEqual(["b"]);
    expect(presence.remove(t.state, "a")).toEqual({ state: t.state, deltas: [] });
  });

  it("joins once per uid, counts tabs as connections, and updates instead of rejoining", () => {
    let s = presence.EMPTY;
    let t = presence.connect(s, "a", "c1", T);
    expect(t.deltas).toEqual([{ kind: "join", member: { uid: "a", conns: ["c1"], meta: {}, joinedAt: T, leavingSince: null } }]);
    s = t.state;
    t = presence.connect(s, "a", "c2", T + 1);
    expect(t.deltas.map((d) => d.kind)).toEqual(["update"]);
    s = t.state;
    expect(s.get("a")?.conns).toEqual(["c1", "c2"]);
    expect(presence.connect(s, "a", "c2", T + 2).deltas).toEqual([]); // same connection twice: no-op
    expect(presence.EMPTY.size).toBe(0); // inputs are never mutated
  });

  it("starts the grace window on the last disconnect and leaves only after it", () => {
    let s = presence.connect(presence.EMPTY, "a", "c1", T).state;
    s = presence.connect(s, "a", "c2", T).state;
    s = presence.disconnect(s, "a", "c1", T + 10).state;
    expect(s.get("a")).toMatchObject({ conns: ["c2"], leavingSince: null });
    const last = presence.disconnect(s, "a", "c2", T + 20);
    s = last.state;
    expect(s.get("a")).toMatchObject({ conns: [], leavingSince: T + 20 });
    expect(presence.disconnect(s, "a", "c2", T + 30).deltas).toEqual([]); // idempotent
    expect(presence.nextExpiry(s, 10_000)).toBe(T + 20 + 10_000);
    expect(presence.expire(s, T + 20 + 9_999, 10_000).deltas).toEqual([]);
    const gone = presence.expire(s, T + 20 + 10_000, 10_000);
    expect(gone.deltas).toEqual([{ kind: "leave", uid: "a" }]);
    expect(gone.state.size).toBe(0);
  });

  it("a reconnect inside the window cancels the leave without a join", () => {
    let s = presence.connect(presence.EMPTY, "a", "c1", T).state;
    s = presence.disconnect(s, "a", "c1", T + 1).state;
    const back = presence.connect(s, "a", "c9", T + 5_000);
    expect(back.deltas.map((d) => d.kind)).toEqual(["update"]);
    expect(back.state.get("a")).toMatchObject({ conns: ["c9"], leavingSince: null, joinedAt: T });
    expect(presence.expire(back.state, T + 60_000).deltas).toEqual([]);
  });

  it("sets meta as one update and ignores unknown uids", () => {
    const s = presence.connect(presence.EMPTY, "a", "c1", T).state;
    expect(presence.setMeta(s, "a", { name: "A" }).deltas).toEqual([
      { kind: "update", member: { uid: "a", conns: ["c1"], meta: { name: "A" }, joinedAt: T, leavingSince: null } },
    ]);
    expect(presence.setMeta(s, "zz", { name: "Z" }).deltas).toEqual([]);
  });

  it("keeps conns consistent under any sequence of connects and disconnects", async () => {
    const op = fc.record({ up: fc.boolean(), uid: fc.constantFrom("a", "b"), conn: fc.constantFrom("c1", "c2", "c3") });
    await check(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let s = presence.EMPTY;
        const open = new Map<string, string>(); // conn → uid (a conn belongs to the uid that opened it)
        let now = T;
        for (const o of ops) {
          now += 100;
          if (o.up && !open.has(o.conn)) {
            s = presence.connect(s, o.uid, o.conn, now).state;
            open.set(o.conn, o.uid);
          } else if (!o.up && open.has(o.conn)) {
            s = presence.disconnect(s, open.get(o.conn) as string, o.conn, now).state;
            open.delete(o.conn);
          }
        }
        for (const m of s.values()) {
          expect(new Set(m.conns).size).toBe(m.conns.length);
          expect(m.leavingSince === null).toBe(m.conns.length > 0);
          for (const c of m.conns) expect(open.get(c)).toBe(m.uid);
        }
        expect([...s.values()].flatMap((m) => m.conns).length).toBe(open.size);
      }),
    );
  });
});

describe("token bucket", () => {
  const limit = { perSecond: 5, burst: 20 };

  it("allows the burst, then refuses with the wait until the next token", () => {
    let b = take(undefined, limit, 0).bucket;
    for (let i = 1; i < 20; i++) {
      const r = take(b, limit, 0);
      expect(r.ok).toBe(true);
      b = r.bucket;
    }
    const refused = take(b, limit, 0);
    expect(refused).toMatchObject({ ok: false, retryAfterMs: 200 });
    expect(take(refused.bucket, limit, 199).ok).toBe(false);
    expect(take(refused.bucket, limit, 200).ok).toBe(true);
  });

  it("never exceeds the burst, never goes negative, and survives a clock going backwards", async () => {
    await check(
      fc.property(fc.array(fc.integer({ min: -1000, max: 5000 }), { maxLength: 50 }), (steps) => {
        let b = take(undefined, limit, 10_000).bucket;
        let now = 10_000;
        for (const d of steps) {
          now += d;
          const r = take(b, limit, now);
          b = r.bucket;
          expect(b.tokens).toBeGreaterThanOrEqual(0);
          expect(b.tokens).toBeLessThanOrEqual(limit.burst);
          if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe("scaledLimit (ROOM_RATE_LIMIT_SCALE)", () => {
  it("multiplies rate and burst, so the bucket admits scale × the burst", () => {
    const scaled = scaledLimit(RATE_LIMITS.chat, 1000);
    expect(scaled).toEqual({ perSecond: 5000, burst: 20_000 });
    let b: Bucket | undefined;
    let admitted = 0;
    for (let i = 0; i < 20_000; i++) {
      const t = take(b, scaled, 0);
      b = t.bucket;
      if (t.ok) admitted++;
    }
    expect(admitted).toBe(20_000);
    expect(take(b, scaled, 0)).toMatchObject({ ok: false, retryAfterMs: 1 });
  });

  it.each([1, 0, -2, Number.NaN, Number.POSITIVE_INFINITY])("leaves the limit as it is for scale %s", (scale) => {
    expect(scaledLimit(RATE_LIMITS.chat, scale)).toBe(RATE_LIMITS.chat);
  });
});
