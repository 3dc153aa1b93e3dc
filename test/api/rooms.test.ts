/**
 * Room routes: tickets, the WebSocket upgrade through the backend Worker's Room DO
 * (an auxiliary worker in this project), access rules, GET room, and voucher events pushed into
 * `voucher:<id>` after the booking commits.
 */
import { describe, expect, it } from "vitest";
import { issueVoucher, json, login, newUid, slotAt, testEnv } from "../support/client";
import { type Frame, collect, doExists, roomName as room, ticketFor, upgrade } from "../support/sockets";
import { count, post, row } from "../support/voucher-kit";

const enc = encodeURIComponent;

describe("POST /api/rooms/:roomId/ticket", () => {
  it("issues a 30 s ticket bound to uid and room; only its hash is stored", async () => {
    const me = await login();
    const roomId = room();
    const res = await ticketFor(me.session, roomId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(typeof res.body.ticket).toBe("string");
    const ttl = Date.parse(res.body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    const stored = await row("SELECT * FROM room_tickets WHERE uid = ? AND room_id = ?", me.uid, roomId);
    expect(stored).toBeDefined();
    expect(stored?.hash).not.toBe(res.body.ticket);
  });

  it("needs a session, a valid room id, and access to the room", async () => {
    expect((await json(`/api/rooms/${enc(room())}/ticket`, { method: "POST", body: {} })).status).toBe(401);
    const me = await login();
    const bad = await ticketFor(me.session, "nope:x");
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("bad_room_id");
    const mortgage = await ticketFor(me.session, "mortgage:offer:o-1");
    expect(mortgage.status).toBe(403);
  });

  it("a ticket opens the socket once; a second use, an expired one, or another room's → plain HTTP", async () => {
    const me = await login();
    const roomId = room("tk");
    const t = (await ticketFor(me.session, roomId)).body.ticket as string;

    const first = collect(await upgrade(`/api/rooms/${enc(roomId)}/ws?ticket=${enc(t)}`));
    const welcome = await first.next((f) => f.type === "welcome");
    expect(welcome.you.uid).toBe(me.uid);
    first.ws.close(1000);

    const again = await upgrade(`/api/rooms/${enc(roomId)}/ws?ticket=${enc(t)}`);
    expect(again.status).toBe(401);
    expect(again.webSocket).toBeNull();
    expect(((await again.json()) as Frame).code).toBe("invalid_ticket");

    const t2 = (await ticketFor(me.session, roomId)).body.ticket as string;
    await testEnv.DB.prepare("UPDATE room_tickets SET expires_at = ? WHERE uid = ?")
      .bind(Date.now() - 1, me.uid)
      .run();
    const expired = await upgrade(`/api/rooms/${enc(roomId)}/ws?ticket=${enc(t2)}`);
    expect(expired.status).toBe(401);

    const other = room("other");
    const t3 = (await ticketFor(me.session, roomId)).body.ticket as string;
    const wrong = await upgrade(`/api/rooms/${enc(other)}/ws?ticket=${enc(t3)}`);
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as Frame).code).toBe("ticket_room_mismatch");
    expect(await doExists(other)).toBe(false);
  });
});

describe("GET /api/rooms/:roomId/ws", () => {
  it("refuses without auth, with a bad session, or a bad room id: plain 4xx, no DO created", async () => {
    const roomId = room("anon");
    const anon = await upgrade(`/api/rooms/${enc(roomId)}/ws`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("content-type")).toContain("application/json");
    const forged = await upgrade(`/api/rooms/${enc(roomId)}/ws`, "forged.token", {
      "x-room-id": roomId,
      "x-room-uid": "mallory",
    });
    expect(forged.status).toBe(401);
    const bogus = await upgrade(`/api/rooms/${enc(roomId)}/ws?ticket=not-a-ticket`);
    expect(bogus.status).toBe(401);
    const me = await login();
    expect((await upgrade(`/api/rooms/${enc("voucher:a:b")}/ws`, me.session)).status).toBe(400);
    expect((await upgrade(`/api/rooms/${enc("mortgage:offer:o-9")}/ws`, me.session)).status).toBe(403);
    expect(await doExists(roomId)).toBe(false);
    expect(await doExists("mortgage:offer:o-9")).toBe(false);
  });

  it("a plain GET (no upgrade) → 426", async () => {
    const me = await login();
    const res = await json(`/api/rooms/${enc(room())}/ws`, { session: me.session });
    expect(res.status).toBe(426);
  });

  it("a session upgrades: 101, welcome with the verified uid (client x-room-* ignored), room registered", async () => {
    const me = await login();
    const roomId = room("ok");
    const res = await upgrade(`/api/rooms/${enc(roomId)}/ws`, me.session, { "x-room-uid": "mallory" });
    const c = collect(res);
    const welcome = await c.next((f) => f.type === "welcome");
    expect(welcome.you.uid).toBe(me.uid);
    const r = await row("SELECT * FROM rooms WHERE id = ?", roomId);
    expect(r?.type).toBe("mixed");
    expect(r?.owner_uid).toBe(me.uid);
    expect(JSON.parse(r?.meta as string)).toEqual({ kind: "honeycomb" });

    const got = await json(`/api/rooms/${enc(roomId)}`, { session: me.session });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body.room.id).toBe(roomId);
    expect(got.body.room.ownerUid).toBe(me.uid);
    expect(got.body.presence.map((m: Frame) => m.uid)).toContain(me.uid);
    c.ws.close(1000);
  });
});

describe("cross-origin cookie upgrades (cross-site WebSocket hijacking)", () => {
  it("a cookie session from another origin is refused before the DO; same origin, Bearer and tickets pass", async () => {
    const me = await login();
    const roomId = room("origin");
    const cookie = { cookie: `ts_session=${me.session}` };
    const evil = { ...cookie, origin: "https://evil.example" };
    for (const path of [`/api/rooms/${enc(roomId)}/ws`, "/ws"]) {
      const res = await upgrade(path, undefined, evil);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe("bad_origin");
    }
    expect(await doExists(roomId)).toBe(false);

    const same = collect(await upgrade(`/api/rooms/${enc(roomId)}/ws`, undefined, { ...cookie, origin: "http://localhost" }));
    expect((await same.next((f) => f.type === "welcome")).you.uid).toBe(me.uid);
    // A ticket is an explicit grant: it still opens the room from that page.
    const t = await ticketFor(me.session, roomId);
    const viaTicket = collect(await upgrade(`/api/rooms/${enc(roomId)}/ws?ticket=${enc(t.body.ticket)}`, undefined, evil));
    expect((await viaTicket.next((f) => f.type === "welcome")).you.uid).toBe(me.uid);
    same.ws.close(1000);
    viaTicket.ws.close(1000);
  });
});

describe("voucher rooms", () => {
  it("admit the issuer and the holder; a stranger gets 403 and no DO; unknown voucher → 404", async () => {
    const issuer = await login();
    const holder = await login();
    const stranger = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const voucherId = voucher.voucherId as string;
    const roomId = `voucher:${voucherId}`;

    const s = await upgrade(`/api/rooms/${enc(roomId)}/ws`, stranger.session);
    expect(s.status, await s.clone().text()).toBe(403);
    expect(await doExists(roomId)).toBe(false);
    expect((await ticketFor(stranger.session, roomId)).status).toBe(403);
    expect((await json(`/api/rooms/${enc(roomId)}`, { session: stranger.session })).status).toBe(403);
    expect((await upgrade(`/api/rooms/${enc(`voucher:${newUid("v")}`)}/ws`, issuer.session)).status).toBe(404);

    // The holder before booking is not a party yet; the issuer is.
    expect((await upgrade(`/api/rooms/${enc(roomId)}/ws`, holder.session)).status).toBe(403);
    const sock = collect(await upgrade(`/api/rooms/${enc(roomId)}/ws`, issuer.session));
    await sock.next((f) => f.type === "welcome");

    // Booking makes the holder a party and pushes the event into the room.
    const booked = await post("/api/voucher/book", holder, {
      voucherId,
      slotId: slotAt(validFrom, 1),
      holderUid: holder.uid,
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    const ev = await sock.next((f) => f.type === "event");
    expect(ev.eventType).toBe("voucher.book");
    expect(ev.data.voucherId).toBe(voucherId);
    const logged = await row("SELECT * FROM events WHERE id = ?", ev.eventId);
    expect(logged?.type).toBe("voucher.book");

    const h = collect(await upgrade(`/api/rooms/${enc(roomId)}/ws`, holder.session));
    const welcome = await h.next((f) => f.type === "welcome");
    expect(welcome.history.some((e: Frame) => e.eventId === ev.eventId)).toBe(true);

    const moved = await post("/api/voucher/reschedule", holder, {
      bookingId: booked.body.booking.bookingId,
      slotId: slotAt(validFrom, 2),
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const rev = await h.next((f) => f.type === "event" && f.eventType === "voucher.reschedule");
    expect(rev.data.voucherId).toBe(voucherId);
    expect((await row("SELECT type FROM events WHERE id = ?", rev.eventId))?.type).toBe("voucher.reschedule");
    // Both sockets get it once, with the same seq.
    expect((await sock.next((f) => f.eventId === rev.eventId)).seq).toBe(rev.seq);

    const newBookingId = moved.body.booking.bookingId as string;
    const cancelled = await post("/api/voucher/cancel", holder, { bookingId: newBookingId });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const cev = await h.next((f) => f.type === "event" && f.eventType === "voucher.cancel");
    expect(cev.subject).toBe(newBookingId);
    expect(h.frames.filter((f) => f.type === "event" && f.eventType === "voucher.reschedule")).toHaveLength(1);
    sock.ws.close(1000);
    h.ws.close(1000);
  });

  it("a booking change on a voucher whose room was never entered wakes no Durable Object", async () => {
    const issuer = await login();
    const holder = await login();
    const { voucher, validFrom } = await issueVoucher(issuer);
    const voucherId = voucher.voucherId as string;
    const roomId = `voucher:${voucherId}`;
    const booked = await post("/api/voucher/book", holder, { voucherId, slotId: slotAt(validFrom, 1), holderUid: holder.uid });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    const cancelled = await post("/api/voucher/cancel", holder, { bookingId: booked.body.booking.bookingId });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    // Both events are logged in D1; the room stays unregistered and its DO never exists.
    expect(await count("events", "subject_id = ? AND type = 'voucher.book'", booked.body.booking.bookingId)).toBe(1);
    expect(await row("SELECT id FROM rooms WHERE id = ?", roomId)).toBeUndefined();
    expect(await doExists(roomId)).toBe(false);

    // Once someone has entered it (the upgrade registers the room), the next change is pushed.
    const sock = collect(await upgrade(`/api/rooms/${enc(roomId)}/ws`, issuer.session));
    expect((await sock.next((f) => f.type === "welcome")).history).toEqual([]);
    const again = await post("/api/voucher/book", holder, { voucherId, slotId: slotAt(validFrom, 2), holderUid: holder.uid });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const ev = await sock.next((f) => f.type === "event");
    expect([ev.eventType, ev.subject]).toEqual(["voucher.book", again.body.booking.bookingId]);
    sock.ws.close(1000);
  });

  it("GET room of an unused public room → 404 room_not_found", async () => {
    const me = await login();
    const res = await json(`/api/rooms/${enc(room("unused"))}`, { session: me.session });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("room_not_found");
  });
});
