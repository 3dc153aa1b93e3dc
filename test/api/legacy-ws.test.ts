/**
 * The original portal's `/ws` end to end: the Pages route accepts
 * the socket, `join` opens the Room DO as the verified caller, and frames are translated both ways
 * (join/message/leave ↔ system/message), interoperating with clients of the new protocol.
 */
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { LEGACY_FRAME_CAP } from "../../src/rooms/legacy";
import { issueVoucher, login, newUid, testEnv, compatEnv as compat, checkContract } from "../support/client";
import { collect, upgrade } from "../support/sockets";

const pairRoom = () => `room-${newUid("pair").replace(/[^A-Za-z0-9_.-]/g, "")}`;

/** A portal socket on /ws with the session as the browser sends it: the cookie. */
async function portal(session?: string, env: Env = testEnv) {
  const headers: Record<string, string> = session ? { cookie: `ts_session=${session}` } : {};
  const sock = collect(await upgrade("/ws", undefined, headers, env));
  const send = (frame: unknown) => sock.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  return { ...sock, send };
}

/** Waits until the socket is closed and returns the close code. */
function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
}

describe("GET /ws: refusals are plain HTTP", () => {
  it("answers 426 to a request that is not an upgrade", async () => {
    const res = await app.request("http://localhost/ws", {}, testEnv);
    await checkContract("GET", "/ws", res);
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ ok: false, code: "upgrade_required" });
  });

  it("answers 401 without a session (strict mode), before any socket exists", async () => {
    const res = await upgrade("/ws");
    expect(res.status).toBe(401);
    expect(res.webSocket).toBeNull();
    expect(await res.json()).toMatchObject({ code: "unauthenticated" });
    const forged = await upgrade("/ws", undefined, { cookie: "ts_session=s1.k2.forged.sig" });
    expect(forged.status).toBe(401);
  });
});

describe("GET /ws: the legacy protocol over the rooms", () => {
  it("join → system join to the others; message → message with from = thinker id; leave → system leave", async () => {
    const alice = await login();
    const bob = await login();
    const roomId = pairRoom();

    const a = await portal(alice.session);
    a.send({ type: "join", room_id: roomId, thinker_id: alice.thinkerId });
    const aJoined = await a.next((f) => f.type === "system" && f.event === "joined");
    expect(aJoined).toMatchObject({ room_id: roomId, thinker_id: alice.thinkerId, members: [] });

    const b = await portal(bob.session);
    b.send({ type: "join", room_id: roomId, thinker_id: bob.thinkerId });
    const bJoined = await b.next((f) => f.type === "system" && f.event === "joined");
    expect(bJoined.members).toEqual([alice.thinkerId]);
    const seen = await a.next((f) => f.type === "system" && f.event === "join");
    expect(seen).toMatchObject({ type: "system", room_id: roomId, event: "join", thinker_id: bob.thinkerId });

    b.send({ type: "message", room_id: roomId, thinker_id: bob.thinkerId, payload: { text: "Hallo Wabe" } });
    const msg = await a.next((f) => f.type === "message");
    expect(msg).toMatchObject({ type: "message", room_id: roomId, from: bob.thinkerId, payload: { text: "Hallo Wabe" } });
    expect(typeof msg.at).toBe("number");
    // No raw uid ever reaches a portal.
    expect(JSON.stringify([...a.frames, ...b.frames])).not.toContain(bob.uid);
    expect(JSON.stringify([...a.frames, ...b.frames])).not.toContain(alice.uid);

    // The sender echoes locally ("Du"): it never gets its own message back.
    a.send({ type: "message", room_id: roomId, thinker_id: alice.thinkerId, payload: { text: "Hi Bob" } });
    await b.next((f) => f.type === "message" && f.payload.text === "Hi Bob");
    expect(b.frames.filter((f) => f.type === "message")).toHaveLength(1);
    expect(a.frames.filter((f) => f.type === "message")).toHaveLength(1);

    b.send({ type: "leave", room_id: roomId });
    const left = await a.next((f) => f.type === "system" && f.event === "leave");
    expect(left).toMatchObject({ room_id: roomId, thinker_id: bob.thinkerId });
    a.ws.close(1000);
    b.ws.close(1000);
  });

  it("interoperates with the new protocol: a room socket sees portal chat, the portal sees room chat", async () => {
    const alice = await login();
    const carol = await login();
    const roomId = pairRoom();
    const a = await portal(alice.session);
    a.send({ type: "join", room_id: roomId, thinker_id: null });
    await a.next((f) => f.event === "joined");

    const c = collect(await upgrade(`/api/rooms/${encodeURIComponent(roomId)}/ws`, carol.session));
    const welcome = await c.next((f) => f.type === "welcome");
    expect(welcome.members.map((m: { uid: string }) => m.uid)).toContain(alice.uid);

    a.send({ type: "message", payload: { text: "from the portal" } });
    const chat = await c.next((f) => f.type === "chat");
    expect(chat).toMatchObject({ text: "from the portal", from: { uid: alice.uid } });

    c.ws.send(JSON.stringify({ type: "chat", id: "c1", text: "from the honeycomb" }));
    const msg = await a.next((f) => f.type === "message");
    expect(msg).toMatchObject({ from: carol.thinkerId, payload: { text: "from the honeycomb" } });
    // And it is in the room's history like any chat.
    c.ws.send(JSON.stringify({ type: "history", id: "h1", before: 1_000_000 }));
    const page = await c.next((f) => f.type === "history");
    expect(page.items.map((i: { text: string }) => i.text)).toEqual(
      expect.arrayContaining(["from the portal", "from the honeycomb"]),
    );
    a.ws.close(1000);
    c.ws.close(1000);
  });

  it("a second join leaves the first room (one room per socket)", async () => {
    const alice = await login();
    const bob = await login();
    const first = pairRoom();
    const second = pairRoom();
    const b = await portal(bob.session);
    b.send({ type: "join", room_id: first });
    await b.next((f) => f.event === "joined");

    const a = await portal(alice.session);
    a.send({ type: "join", room_id: first });
    await a.next((f) => f.event === "joined" && f.room_id === first);
    a.send({ type: "join", room_id: second });
    await a.next((f) => f.event === "joined" && f.room_id === second);
    await b.next((f) => f.event === "leave" && f.thinker_id === alice.thinkerId);

    // Messages now go to the second room only.
    a.send({ type: "message", payload: { text: "elsewhere" } });
    a.send({ type: "message", room_id: first, payload: { text: "wrong room" } });
    const err = await a.next((f) => f.type === "error");
    expect(err.code).toBe("not_joined");
    expect(b.frames.some((f) => f.type === "message")).toBe(false);
    a.ws.close(1000);
    b.ws.close(1000);
  });

  it("answers bad frames with error frames (no room_id, so the portal never shows them as chat)", async () => {
    const alice = await login();
    const a = await portal(alice.session);
    const cases: Array<[unknown, string]> = [
      [{ type: "message", payload: { text: "too early" } }, "not_joined"],
      ["{not json", "bad_frame"],
      [{ type: "register_user", user_id: "x" }, "bad_frame"],
      [{ type: "join", room_id: "room-a", thinker_id: "t", extra: 1 }, "bad_frame"],
      [{ type: "join", room_id: 42 }, "bad_frame"],
      [{ type: "join", room_id: "nope:x" }, "bad_room_id"],
      [{ type: "join", room_id: "room-'; DROP TABLE rooms;--" }, "bad_room_id"],
      [{ type: "join", room_id: pairRoom(), thinker_id: "thinker-0000000000000000" }, "thinker_mismatch"],
      [{ type: "join", room_id: "mortgage:offer:o1" }, "not_allowed"],
      [{ type: "join", room_id: `voucher:${newUid("v")}` }, "voucher_not_found"],
    ];
    for (const [frame, code] of cases) {
      const before = a.frames.length;
      a.send(frame);
      const err = await a.next((f) => a.frames.indexOf(f) >= before && f.type === "error");
      expect(err.code, JSON.stringify(frame)).toBe(code);
      expect(err.room_id).toBeUndefined();
      expect(typeof err.error).toBe("string");
    }
    // Five joins were spent above (schema-invalid frames cost none): the sixth is throttled.
    const before = a.frames.length;
    a.send({ type: "join", room_id: pairRoom() });
    const throttled = await a.next((f) => a.frames.indexOf(f) >= before && f.type === "error");
    expect(throttled.code).toBe("rate_limited");
    expect(throttled.retryAfter).toBeGreaterThan(0);
    // The socket survived all of it.
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    a.ws.close(1000);
  });

  it("applies the room's access rule: a voucher room admits only its issuer and holder", async () => {
    const issuer = await login();
    const stranger = await login();
    const { voucher } = await issueVoucher(issuer);
    const roomId = `voucher:${voucher.voucherId}`;
    const s = await portal(stranger.session);
    s.send({ type: "join", room_id: roomId });
    expect((await s.next((f) => f.type === "error")).code).toBe("not_allowed");
    const i = await portal(issuer.session);
    i.send({ type: "join", room_id: roomId });
    await i.next((f) => f.event === "joined" && f.room_id === roomId);
    s.ws.close(1000);
    i.ws.close(1000);
  });

  it("closes 1009 on a frame over the cap, before parsing it", async () => {
    const alice = await login();
    const a = await portal(alice.session);
    const done = closed(a.ws);
    a.send(`{"type":"message","payload":{"text":"${"x".repeat(LEGACY_FRAME_CAP)}"}}`);
    expect(await done).toBe(1009);
  });

  it("AUTH_MODE=compat: an unsigned portal joins as the thinker id it asserts", async () => {
    const roomId = pairRoom();
    const p = await portal(undefined, compat);
    p.send({ type: "join", room_id: roomId });
    expect((await p.next((f) => f.type === "error")).code).toBe("unauthenticated");
    p.send({ type: "join", room_id: roomId, thinker_id: "thinker-00000000000000aa" });
    const joined = await p.next((f) => f.event === "joined");
    expect(joined.thinker_id).toBe("thinker-00000000000000aa");

    // A verified portal in the same room sees the asserted thinker id as is.
    const bob = await login();
    const b = await portal(bob.session, compat);
    b.send({ type: "join", room_id: roomId, thinker_id: bob.thinkerId });
    expect((await b.next((f) => f.event === "joined")).members).toEqual(["thinker-00000000000000aa"]);
    p.send({ type: "message", payload: { text: "legacy" } });
    expect((await b.next((f) => f.type === "message")).from).toBe("thinker-00000000000000aa");
    p.ws.close(1000);
    b.ws.close(1000);
  });
});
