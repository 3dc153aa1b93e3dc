/**
 * `Room.messagesBy`, the read behind the right of access: the chat messages one person wrote that
 * the room retains, newest first, bounded, and nothing of anyone else (pushed events included).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Room } from "../../src/rooms/room.do";
import { Client, closeAll, freshRoom } from "./client";

describe("Room.messagesBy", () => {
  it("answers the person's own chat, newest first, and says when it cut", async () => {
    const { roomId, stub } = freshRoom();
    await runInDurableObject(stub, (_room: Room, state) => {
      const put = (seq: number, uid: string, id: string, text: string) =>
        state.storage.sql.exec(
          "INSERT INTO history (seq, kind, uid, client_id, at, frame) VALUES (?, 'chat', ?, ?, ?, ?)",
          seq,
          uid,
          id,
          1_000 + seq,
          JSON.stringify({ type: "chat", seq, at: 1_000 + seq, id, from: { uid, connId: "c0" }, text }),
        );
      put(1, "alice", "a1", "erste");
      put(2, "bob", "b1", "von bob");
      put(3, "alice", "a2", "zweite");
      put(4, "alice", "a3", "dritte");
      // A pushed event naming alice is no message of hers.
      state.storage.sql.exec(
        "INSERT INTO history (seq, kind, uid, client_id, at, frame) VALUES (5, 'event', NULL, NULL, 1005, ?)",
        JSON.stringify({ type: "event", seq: 5, data: { holderUid: "alice" } }),
      );
      state.storage.sql.exec("UPDATE meta SET value = 5 WHERE key = 'seq'");
    });

    const all = await stub.messagesBy("alice", 10);
    expect(all).toEqual({
      messages: [
        { seq: 4, at: 1_004, id: "a3", text: "dritte" },
        { seq: 3, at: 1_003, id: "a2", text: "zweite" },
        { seq: 1, at: 1_001, id: "a1", text: "erste" },
      ],
      truncated: false,
    });
    const two = await stub.messagesBy("alice", 2);
    expect(two.messages.map((m) => m.id)).toEqual(["a3", "a2"]);
    expect(two.truncated).toBe(true);
    expect(await stub.messagesBy("bob", 3)).toEqual({
      messages: [{ seq: 2, at: 1_002, id: "b1", text: "von bob" }],
      truncated: false,
    });
    expect(await stub.messagesBy("carol", 3)).toEqual({ messages: [], truncated: false });

    // A message sent over a socket is found too.
    const { client } = await Client.connect(stub, roomId, "carol");
    client.send({ type: "chat", id: "c1", text: "live" });
    await client.next((f) => f.type === "ack" && f.ref === "c1");
    expect((await stub.messagesBy("carol", 3)).messages.map((m) => m.text)).toEqual(["live"]);
    await closeAll();
  });
});
