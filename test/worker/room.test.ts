/**
 * The Room Durable Object end to end through its stub: upgrade refusals, welcome and presence,
 * chat/history, targeted signals, size caps, rate limits, pushes, resume across hibernation, the
 * sweep alarm, capacity and stats. Sockets are opened the way the Pages Function will open them.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { CLOSE, ServerFrame } from "../../src/rooms/protocol";
import type { Attachment, Room, RoomEnv } from "../../src/rooms/room.do";
import { eventually } from "../support/wait";
import { Client, closeAll, type Frame, freshRoom, upgradeRequest } from "./client";

afterEach(() => closeAll());

/**
 * Writes a chat entry straight into a Room's history (the chat rate limit would make seeding
 * many over a socket slow). `at` is the storage time the pruning reads; the frame's own `at` is `seq`.
 */
function seedChat(sql: SqlStorage, seq: number, c: { id: string; uid?: string; text?: string; at?: number }): void {
  const uid = c.uid ?? "old";
  const frame = JSON.stringify({ type: "chat", seq, at: seq, id: c.id, from: { uid, connId: "c0" }, text: c.text ?? "x" });
  sql.exec(
    "INSERT INTO history (seq, kind, uid, client_id, at, frame) VALUES (?, 'chat', ?, ?, ?, ?)",
    seq,
    uid,
    c.id,
    c.at ?? Date.now(),
    frame,
  );
}

/** Every frame a client received must match the published server schema. */
function expectValidFrames(...clients: Client[]) {
  for (const c of clients) for (const f of c.frames) expect(ServerFrame.safeParse(f).success, JSON.stringify(f)).toBe(true);
}

describe("upgrade", () => {
  it("refuses without the trusted headers, with plain HTTP and no socket", async () => {
    const { roomId, stub } = freshRoom();
    const noUid = await stub.fetch(upgradeRequest(roomId, null));
    expect(noUid.status).toBe(403);
    expect(noUid.webSocket).toBeNull();
    expect(await noUid.json()).toMatchObject({ ok: false, code: "no_identity" });

    const noRoom = await stub.fetch(upgradeRequest(null, "alice"));
    expect(noRoom.status).toBe(403);
    expect(noRoom.webSocket).toBeNull();

    const badRoom = await stub.fetch(upgradeRequest("nope:x/y", "alice"));
    expect(badRoom.status).toBe(400);
    const badUid = await stub.fetch(upgradeRequest(roomId, "a b"));
    expect(badUid.status).toBe(400);

    const notUpgrade = await stub.fetch(
      new Request("http://room/ws", { headers: { "x-room-id": roomId, "x-room-uid": "alice" } }),
    );
    expect(notUpgrade.status).toBe(426);
    expect(notUpgrade.webSocket).toBeNull();
    expect((await stub.stats()).connections).toBe(0);
  });

  it("binds the object to the first room id it serves", async () => {
    const { roomId, stub } = freshRoom();
    await Client.connect(stub, roomId, "alice");
    const other = await stub.fetch(upgradeRequest("honeycomb:elsewhere", "bob"));
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ code: "wrong_room" });
  });

  it("answers 503 with Retry-After once the room is full, before accepting", async () => {
    const { roomId, stub } = freshRoom();
    for (let i = 0; i < 4; i++) await Client.connect(stub, roomId, `u${i}`);
    const res = await stub.fetch(upgradeRequest(roomId, "late"));
    expect(res.status).toBe(503);
    expect(res.webSocket).toBeNull();
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await stub.stats()).connections).toBe(4);
  });
});

describe("welcome and presence", () => {
  it("welcomes with you, members, seq and empty history", async () => {
    const { roomId, stub } = freshRoom();
    const { client, welcome } = await Client.connect(stub, roomId, "alice");
    expect(welcome).toMatchObject({ type: "welcome", you: { uid: "alice" }, history: [] });
    expect(welcome.discontinuity).toBeUndefined();
    const members = welcome.members as { uid: string; conns: string[] }[];
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ uid: "alice", conns: [(welcome.you as { connId: string }).connId], leavingSince: null });
    expect(welcome.seq).toBeGreaterThan(0); // alice's own join took a seq
    expectValidFrames(client);
  });

  it("counts two tabs of one uid as one member with two connections", async () => {
    const { roomId, stub } = freshRoom();
    const { client: bob } = await Client.connect(stub, roomId, "bob");
    await Client.connect(stub, roomId, "alice");
    expect((await bob.next((f) => f.type === "presence.join")).member).toMatchObject({ uid: "alice" });
    const { welcome } = await Client.connect(stub, roomId, "alice");
    // The second tab is an update of the same member, never a second join.
    const update = await bob.next((f) => f.type === "presence.update");
    expect(update.member).toMatchObject({ uid: "alice" });
    expect((update.member as { conns: string[] }).conns).toHaveLength(2);
    expect(await bob.settle((f) => f.type === "presence.join")).toEqual([]);
    const members = welcome.members as { uid: string; conns: string[] }[];
    expect(members.map((m) => m.uid).sort()).toEqual(["alice", "bob"]);
    expect(members.find((m) => m.uid === "alice")?.conns).toHaveLength(2);
    expect((await stub.presence()).length).toBe(2);
  });

  it("keeps a member through a reload inside the grace window: one update, no leave, no join", async () => {
    const { roomId, stub } = freshRoom();
    const { client: bob } = await Client.connect(stub, roomId, "bob");
    const { client: alice } = await Client.connect(stub, roomId, "alice");
    await bob.next((f) => f.type === "presence.join");
    alice.close();
    const gone = await bob.next((f) => f.type === "presence.update");
    expect(gone.member).toMatchObject({ uid: "alice", conns: [] });
    expect((gone.member as { leavingSince: number | null }).leavingSince).toBeTypeOf("number");
    // Reload: back within the window, an update (conns again), no leave and no join.
    await Client.connect(stub, roomId, "alice");
    const back = await bob.next((f) => f.type === "presence.update");
    expect(back.member).toMatchObject({ uid: "alice", leavingSince: null });
    expect(await bob.settle((f) => f.type === "presence.leave" || f.type === "presence.join")).toEqual([]);
  });

  it("lets a member update its meta; oversized meta is refused", async () => {
    const { roomId, stub } = freshRoom();
    const { client: bob } = await Client.connect(stub, roomId, "bob");
    const { client: alice } = await Client.connect(stub, roomId, "alice");
    alice.send({ type: "presence.update", id: "p1", meta: { name: "Alice", mic: true } });
    expect(await alice.next((f) => f.type === "ack")).toMatchObject({ ref: "p1" });
    const u = await bob.next((f) => f.type === "presence.update");
    expect(u.member).toMatchObject({ uid: "alice", meta: { name: "Alice", mic: true } });
    alice.send({ type: "presence.update", id: "p2", meta: { blob: "x".repeat(600) } });
    expect(await alice.next((f) => f.type === "error")).toMatchObject({ code: "bad_frame", ref: "p2" });
    expectValidFrames(alice, bob);
  });
});

describe("chat", () => {
  it("broadcasts to the others, acks the sender with the seq, and keeps history", async () => {
    const { roomId, stub } = freshRoom();
    const { client: alice } = await Client.connect(stub, roomId, "alice");
    const { client: bob } = await Client.connect(stub, roomId, "bob");
    alice.send({ type: "chat", id: "m1", text: "hallo" });
    const ack = await alice.next((f) => f.type === "ack");
    const got = await bob.next((f) => f.type === "chat");
    expect(got).toMatchObject({ type: "chat", id: "m1", text: "hallo", from: { uid: "alice" }, seq: ack.seq });
    expect(await alice.settle((f) => f.type === "chat")).toEqual([]); // no echo: the ack carries the seq

    // A retried send with the same id is acknowledged again and not delivered twice.
    alice.send({ type: "chat", id: "m1", text: "hallo" });
    expect(await alice.next((f) => f.type === "ack")).toMatchObject({ ref: "m1", seq: ack.seq });
    expect(await bob.settle((f) => f.type === "chat")).toEqual([]);

    const { welcome } = await Client.connect(stub, roomId, "carol");
    expect(welcome.history).toEqual([got]);
    expectValidFrames(alice, bob);
  });

  it("sends only the last 50 entries on welcome and pages older ones by seq", async () => {
    const { roomId, stub } = freshRoom();
    await runInDurableObject(stub, (_room: Room, state) => {
      // Seed 60 chat entries; seqs not contiguous, like real seqs interleaved with presence deltas.
      for (let i = 1; i <= 60; i++) seedChat(state.storage.sql, i * 2, { id: `s${i}`, text: `#${i}` });
      state.storage.sql.exec("UPDATE meta SET value = 120 WHERE key = 'seq'");
    });
    const { client, welcome } = await Client.connect(stub, roomId, "alice");
    const history = welcome.history as { seq: number; text: string }[];
    expect(history).toHaveLength(50);
    expect(history[0]?.text).toBe("#11");
    expect(history[49]?.text).toBe("#60");
    client.send({ type: "history", id: "h1", before: history[0]?.seq, limit: 8 });
    const page = await client.next((f) => f.type === "history");
    expect((page.items as { text: string }[]).map((i) => i.text)).toEqual(["#3", "#4", "#5", "#6", "#7", "#8", "#9", "#10"]);
    expect(page.hasMore).toBe(true);
    expectValidFrames(client);
  });

  it("a burst of pushed events does not push the last 50 chat messages out of welcome", async () => {
    const { roomId, stub } = freshRoom();
    await runInDurableObject(stub, (_room: Room, state) => {
      const sql = state.storage.sql;
      for (let i = 1; i <= 60; i++) seedChat(sql, i, { id: `c${i}`, text: `#${i}` });
      // 70 events after the conversation (a busy voucher room).
      for (let i = 61; i <= 130; i++) {
        const frame = JSON.stringify({
          type: "event",
          seq: i,
          at: i,
          eventId: `ev${i}`,
          eventType: "voucher.book",
          subject: `b${i}`,
          data: {},
        });
        sql.exec("INSERT INTO history (seq, kind, at, frame) VALUES (?, 'event', ?, ?)", i, Date.now(), frame);
      }
      sql.exec("UPDATE meta SET value = 130 WHERE key = 'seq'");
    });
    const { client, welcome } = await Client.connect(stub, roomId, "alice");
    const history = welcome.history as { seq: number; type: string; text?: string; eventId?: string }[];
    const chats = history.filter((h) => h.type === "chat");
    const events = history.filter((h) => h.type === "event");
    expect([chats.length, chats[0]?.text, chats[49]?.text]).toEqual([50, "#11", "#60"]);
    expect([events.length, events[0]?.eventId, events[49]?.eventId]).toEqual([50, "ev81", "ev130"]);
    expect(history.map((h) => h.seq)).toEqual([...history.map((h) => h.seq)].sort((a, b) => a - b));
    client.close();
  });
});

describe("signal", () => {
  it("reaches exactly its target connection and is never stored", async () => {
    const { roomId, stub } = freshRoom();
    const { client: alice } = await Client.connect(stub, roomId, "alice");
    const { client: bob, welcome: bw } = await Client.connect(stub, roomId, "bob");
    const { client: carol } = await Client.connect(stub, roomId, "carol");
    const bobConn = (bw.you as { connId: string }).connId;
    alice.send({ type: "signal", id: "s1", to: bobConn, kind: "offer", data: { type: "offer", sdp: "v=0" } });
    const got = await bob.next((f) => f.type === "signal");
    expect(got).toMatchObject({ kind: "offer", data: { sdp: "v=0" }, from: { uid: "alice" } });
    expect(await carol.settle((f) => f.type === "signal")).toEqual([]);
    expect(await alice.settle((f) => f.type === "signal")).toEqual([]);
    const rows = await runInDurableObject(stub, (_r: Room, s) => s.storage.sql.exec("SELECT * FROM history").toArray());
    expect(rows).toEqual([]);

    alice.send({ type: "signal", id: "s2", to: "cnobodyhere", kind: "ice", data: { candidate: "x" } });
    expect(await alice.next((f) => f.type === "error")).toMatchObject({ code: "unknown_peer", ref: "s2" });
    expectValidFrames(alice, bob, carol);
  });
});

describe("frame validation", () => {
  it("answers malformed frames with an error frame and keeps the socket", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    client.send("not json");
    expect(await client.next((f) => f.type === "error")).toMatchObject({ code: "bad_frame" });
    client.send({ type: "chat", id: "m1" });
    expect(await client.next((f) => f.type === "error")).toMatchObject({ code: "bad_frame", ref: "m1" });
    client.send({ type: "launch", id: "x" });
    expect(await client.next((f) => f.type === "error")).toMatchObject({ code: "bad_frame" });
    client.send({ type: "chat", id: "m2", text: "still here" });
    expect(await client.next((f) => f.type === "ack")).toMatchObject({ ref: "m2" });
    expectValidFrames(client);
  });

  it("closes with 1003 on a binary frame", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    client.ws.send(new Uint8Array([1, 2, 3]));
    expect((await client.closed).code).toBe(CLOSE.UNSUPPORTED);
  });

  it("closes with 1009 on a frame over the hard cap", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    client.send({ type: "chat", id: "big", text: "x".repeat(70 * 1024) });
    expect((await client.closed).code).toBe(CLOSE.TOO_BIG);
    expect((await stub.stats()).drops).toBeGreaterThanOrEqual(1);
  });

  it("applies per-type caps: 4 KiB presence before parsing, 4 KiB ICE", async () => {
    const { roomId, stub } = freshRoom();
    const { client: a } = await Client.connect(stub, roomId, "alice");
    a.send(`{"type":"presence.update","id":"p","meta":{"x":"${"y".repeat(5000)}"}}`);
    expect((await a.closed).code).toBe(CLOSE.TOO_BIG);

    const { client: b } = await Client.connect(stub, roomId, "bob");
    const { welcome: cw } = await Client.connect(stub, roomId, "carol");
    const to = (cw.you as { connId: string }).connId;
    b.send({ type: "signal", id: "i", to, kind: "ice", data: { candidate: "c".repeat(5000) } });
    expect((await b.closed).code).toBe(CLOSE.TOO_BIG);
  });
});

describe("rate limits", () => {
  it("throttles with retryAfter, then closes a repeat offender with 1008", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    for (let i = 0; i < 25; i++) client.send({ type: "chat", id: `m${i}`, text: "spam" });
    const err = await client.next((f) => f.type === "error");
    expect(err).toMatchObject({ code: "rate_limited" });
    expect(err.retryAfter).toBeGreaterThan(0);
    for (let i = 25; i < 60; i++) client.send({ type: "chat", id: `m${i}`, text: "spam" });
    expect((await client.closed).code).toBe(CLOSE.POLICY);
    expect((await stub.stats()).rateLimited).toBeGreaterThanOrEqual(10);
  });

  it("ROOM_RATE_LIMIT_SCALE multiplies every limit (chat burst 20 → 200 at scale 10)", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    // This project binds one env for all tests; give this instance a scale of 10. The Room reads
    // the var on every frame, so the next frames see it.
    await runInDurableObject(stub, (room: Room) => {
      const r = room as unknown as { env: RoomEnv };
      r.env = { ...r.env, ROOM_RATE_LIMIT_SCALE: "10" };
    });
    // 150 at once: 7.5 × the unscaled burst (which throttles from the 21st, see above).
    for (let i = 0; i < 150; i++) client.send({ type: "chat", id: `s${i}`, text: "fast" });
    const acks: Frame[] = [];
    for (let i = 0; i < 150; i++) acks.push(await client.next((f) => f.type === "ack" || f.type === "error"));
    expect(acks.filter((f) => f.type !== "ack")).toEqual([]);
    expect((await stub.stats()).rateLimited).toBe(0);
    // Still a limit: past the scaled burst (200) the same socket is throttled. The bucket keeps
    // refilling at 50/s while frames are processed, so a slow machine gets more than 200 through;
    // the room handles frames far faster than that (ms each), so a long wave always reaches it.
    for (let i = 150; i < 750; i++) client.send({ type: "chat", id: `s${i}`, text: "fast" });
    expect(await client.next((f) => f.type === "error")).toMatchObject({ code: "rate_limited" });
    // Strikes are not scaled: the throttled wave ends the socket, as for an unscaled offender.
    expect((await client.closed).code).toBe(CLOSE.POLICY);
  });
});

describe("push", () => {
  it("delivers an event once per eventId, stores it, and reports duplicates", async () => {
    const { roomId, stub } = freshRoom("voucher:v");
    const { client } = await Client.connect(stub, roomId, "issuer");
    const event = { eventId: "ev-1", type: "voucher.book", subject: roomId, data: { slot: "2026-05-01T10:00Z" } };
    const first = await stub.push(event);
    expect(first).toMatchObject({ ok: true, delivered: 1, duplicate: false });
    if (!first.ok) throw new Error("push failed");
    const again = await stub.push(event);
    expect(again).toEqual({ ok: true, seq: first.seq, delivered: 0, duplicate: true });
    const got = await client.next((f) => f.type === "event");
    expect(got).toMatchObject({ eventId: "ev-1", eventType: "voucher.book", subject: roomId, seq: first.seq });
    expect(await client.settle((f) => f.type === "event")).toEqual([]);
    const { welcome } = await Client.connect(stub, roomId, "holder");
    expect(welcome.history).toEqual([got]);
    expect(await stub.push({ ...event, eventId: "ev-2", type: "Not A Type" })).toMatchObject({ ok: false, code: "bad_event" });
    expectValidFrames(client);
  });
});

describe("hibernation and resume", () => {
  it("keeps attachments and presence across an eviction and replays the gap on resume", async () => {
    const { roomId, stub } = freshRoom();
    const { client: alice, welcome: aw } = await Client.connect(stub, roomId, "alice");
    const { client: bob } = await Client.connect(stub, roomId, "bob");
    alice.send({ type: "chat", id: "m1", text: "one" });
    const first = await bob.next((f) => f.type === "chat");

    await evictDurableObject(stub); // sockets hibernate, memory is gone

    // Bob's socket survived; alice's frames still carry her identity (from the attachment).
    alice.send({ type: "chat", id: "m2", text: "two" });
    const second = await bob.next((f) => f.type === "chat");
    expect(second.from).toEqual(aw.you);
    const atts = await runInDurableObject(stub, (_r: Room, s) =>
      s.getWebSockets().map((w) => w.deserializeAttachment() as Attachment),
    );
    expect(atts.map((a) => a.uid).sort()).toEqual(["alice", "bob"]);
    expect(atts.find((a) => a.uid === "alice")?.buckets.chat).toBeDefined();
    expect((await stub.presence()).map((m) => m.uid).sort()).toEqual(["alice", "bob"]);

    await evictDurableObject(stub);
    alice.send({ type: "chat", id: "m3", text: "three" });
    await alice.next((f) => f.type === "ack" && f.ref === "m3");

    // Bob resumes from the first message: gets exactly what came after it.
    bob.drain();
    bob.send({ type: "hello", lastSeq: first.seq });
    const w = await bob.next((f) => f.type === "welcome");
    expect(w.discontinuity).toBeUndefined();
    expect((w.history as { text: string }[]).map((h) => h.text)).toEqual(["two", "three"]);

    // A new connection can resume through the URL too.
    const { welcome: viaUrl } = await Client.connect(stub, roomId, "bob", `?lastSeq=${second.seq}`);
    expect((viaUrl.history as { text: string }[]).map((h) => h.text)).toEqual(["three"]);
    expectValidFrames(alice, bob);
  });

  it("flags a discontinuity when the gap is no longer retained", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    client.send({ type: "chat", id: "m1", text: "one" });
    await client.next((f) => f.type === "ack");
    await runInDurableObject(stub, (_r: Room, s) => {
      s.storage.sql.exec("UPDATE meta SET value = 1000 WHERE key = 'pruned_through'");
    });
    client.send({ type: "resume", lastSeq: 1 });
    const w = await client.next((f) => f.type === "welcome");
    expect(w.discontinuity).toBe(true);
    expect((w.history as { text: string }[]).map((h) => h.text)).toEqual(["one"]);
    client.send({ type: "resume", lastSeq: 10_000 }); // from the future: another incarnation of the room
    expect((await client.next((f) => f.type === "welcome")).discontinuity).toBe(true);
  });

  it("answers the heartbeat ping without the object (auto-response)", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    await evictDurableObject(stub);
    client.send('{"type":"ping"}');
    expect(await client.next((f) => f.type === "pong")).toEqual({ type: "pong" });
    const stamp = await runInDurableObject(stub, (_r: Room, s) =>
      s.getWebSocketAutoResponseTimestamp(s.getWebSockets()[0] as WebSocket),
    );
    expect(stamp).toBeInstanceOf(Date);
  });
});

describe("sweep alarm", () => {
  it("closes a silent socket, then emits the leave after the grace window", async () => {
    const { roomId, stub } = freshRoom();
    const { client: alice } = await Client.connect(stub, roomId, "alice");
    const { client: bob } = await Client.connect(stub, roomId, "bob");
    await alice.next((f) => f.type === "presence.join");
    await evictDurableObject(stub);
    // Make bob look silent for 10 minutes (no frames, no pings).
    await runInDurableObject(stub, (_r: Room, s) => {
      for (const ws of s.getWebSockets()) {
        const att = ws.deserializeAttachment() as Attachment;
        if (att.uid === "bob") ws.serializeAttachment({ ...att, lastSeen: Date.now() - 600_000 });
      }
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await bob.closed).code).toBe(CLOSE.IDLE);
    expect((await alice.next((f) => f.type === "presence.update")).member).toMatchObject({ uid: "bob", conns: [] });
    expect(await alice.settle((f) => f.type === "presence.leave")).toEqual([]);

    // The grace window passes (back-date the pending leave instead of waiting 10 s).
    await runInDurableObject(stub, (_r: Room, s) => {
      s.storage.sql.exec("UPDATE members SET leaving_since = leaving_since - 60000 WHERE leaving_since IS NOT NULL");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alice.next((f) => f.type === "presence.leave")).toMatchObject({ uid: "bob" });
    expect((await stub.presence()).map((m) => m.uid)).toEqual(["alice"]);
    expectValidFrames(alice);
  });

  it("prunes history to the last 500 entries and 7 days, and resumes across the cut are discontinuous", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    await runInDurableObject(stub, (_r: Room, s) => {
      const old = Date.now() - 8 * 24 * 3600_000;
      // The first 5 are older than the TTL; the rest are recent but over the count.
      for (let seq = 100; seq < 620; seq++)
        seedChat(s.storage.sql, seq, { id: `s${seq}`, uid: "o", at: seq < 105 ? old : Date.now() });
      s.storage.sql.exec("UPDATE meta SET value = 700 WHERE key = 'seq'");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(stub, (_r: Room, s) => ({
      n: s.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM history").one().n,
      min: s.storage.sql.exec<{ m: number }>("SELECT MIN(seq) AS m FROM history").one().m,
      cut: s.storage.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'pruned_through'").one().value,
    }));
    expect(left).toEqual({ n: 500, min: 120, cut: 119 });
    client.send({ type: "resume", lastSeq: 110 });
    expect((await client.next((f) => f.type === "welcome")).discontinuity).toBe(true);
    client.send({ type: "resume", lastSeq: 600 });
    const w = await client.next((f) => f.type === "welcome");
    expect(w.discontinuity).toBeUndefined();
    expect(w.history).toHaveLength(19);
  });

  it("disarms itself when the room is empty and settled", async () => {
    const { roomId, stub } = freshRoom();
    const { client } = await Client.connect(stub, roomId, "alice");
    client.close();
    await client.closed;
    await eventually(
      () =>
        runInDurableObject(
          stub,
          (_r: Room, s) => s.storage.sql.exec("SELECT 1 FROM members WHERE leaving_since IS NOT NULL").toArray().length === 1,
        ),
      "the Room handled the close",
    );
    await runInDurableObject(stub, (_r: Room, s) => {
      s.storage.sql.exec("UPDATE members SET leaving_since = leaving_since - 60000");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true); // the pending leave
    expect((await stub.presence()).length).toBe(0);
    expect(await runInDurableObject(stub, (_r: Room, s) => s.storage.getAlarm())).toBeNull();
  });
});

describe("stats", () => {
  it("counts connections, frames in and out, and survives eviction", async () => {
    const { roomId, stub } = freshRoom();
    const { client: alice } = await Client.connect(stub, roomId, "alice");
    const { client: bob } = await Client.connect(stub, roomId, "bob");
    alice.send({ type: "chat", id: "m1", text: "hi" });
    await bob.next((f) => f.type === "chat");
    await alice.next((f) => f.type === "ack");
    const before = await stub.stats();
    expect(before.connections).toBe(2);
    expect(before.messagesIn).toBe(1);
    // welcome ×2, alice's join → nobody, bob's join → alice, chat → bob, ack → alice
    expect(before.messagesOut).toBe(5);
    await evictDurableObject(stub);
    expect(await stub.stats()).toEqual(before);
  });
});
