/**
 * Right to deletion reaches the Room Durable Objects: a person's chat messages leave every room
 * they entered, frames naming them (a pushed voucher event) name the tombstone instead, their
 * open sockets are closed with 4410, and the D1 membership rows are gone. Runs against the real
 * Room class (the backend Worker is an auxiliary worker in this project).
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, login, slotAt } from "../support/client";
import { admin } from "../support/settlement-kit";
import { type Frame, enter as enterPath, wsPath } from "../support/sockets";

/** A socket into a room, with its welcome and its close event. */
const enter = (roomId: string, session: string) => enterPath(wsPath(roomId), session);
import { post, rows } from "../support/voucher-kit";

describe("DELETE /api/admin/thinkers/:uid and the rooms", () => {
  it("deletes the person's chat, rewrites frames naming them, closes their sockets", async () => {
    const p = await login();
    const q = await login();
    const cell = `honeycomb:erase-${crypto.randomUUID().slice(0, 8)}`;
    const pSock = await enter(cell, p.session);
    const qSock = await enter(cell, q.session);
    pSock.ws.send(JSON.stringify({ type: "chat", id: "p-1", text: "P was here" }));
    qSock.ws.send(JSON.stringify({ type: "chat", id: "q-1", text: "Q was here" }));
    await qSock.next((f) => f.type === "chat" && f.text === "P was here");
    await pSock.next((f) => f.type === "chat" && f.text === "Q was here");

    // Q's voucher, booked by P; only Q ever opens its room, and the pushed event names P.
    const { voucher, validFrom } = await issueVoucher(q);
    const voucherRoom = `voucher:${voucher.voucherId}`;
    const qVoucher = await enter(voucherRoom, q.session);
    const booked = await post("/api/voucher/book", p, {
      voucherId: voucher.voucherId,
      slotId: slotAt(validFrom, 1),
      holderUid: p.uid,
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    expect((await qVoucher.next((f) => f.type === "event")).data.holderUid).toBe(p.uid);
    expect(await rows("SELECT room_id FROM room_members WHERE uid = ?", p.uid)).toEqual([{ room_id: cell }]);

    const erased = await admin(`/api/admin/thinkers/${p.uid}`, { method: "DELETE" });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.rooms).toEqual({ rooms: 2, socketsClosed: 1, messagesDeleted: 1, framesRewritten: 1 });
    expect(erased.body.rows.room_members).toBe(1);
    expect((await pSock.closed).code).toBe(4410);
    // Q sees P leave at once (no grace window).
    await qSock.next((f) => f.type === "presence.leave" && f.uid === p.uid);
    expect(await rows("SELECT room_id FROM room_members WHERE uid = ?", p.uid)).toEqual([]);

    // A fresh look into both rooms: P's message is gone, Q's stays; the event names the tombstone.
    const again = await enter(cell, q.session);
    const texts = (again.welcome.history as Frame[]).map((h) => h.text);
    expect(texts).toEqual(["Q was here"]);
    expect(JSON.stringify(again.welcome)).not.toContain(p.uid);
    const vAgain = await enter(voucherRoom, q.session);
    const ev = (vAgain.welcome.history as Frame[]).find((h) => h.type === "event");
    expect(ev?.data.holderUid).toBe(erased.body.tombstone);
    expect(JSON.stringify(vAgain.welcome)).not.toContain(p.uid);

    // Nothing left to erase: a repeat is 404 and reaches no room.
    expect((await admin(`/api/admin/thinkers/${p.uid}`, { method: "DELETE" })).status).toBe(404);
    for (const s of [qSock, qVoucher, again, vAgain]) s.ws.close(1000);
  });
});
