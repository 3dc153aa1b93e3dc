/**
 * The honeycomb client's pure module (public/honeycomb-core.js): backoff with full jitter, stable
 * reset, close/ticket classification, URLs, room targets (cells and voucher rooms, ids checked by
 * the server's rule), the presence/chat reducer incl. resume and discontinuity, and the German
 * wording of pushed voucher events.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addPending,
  applyFrame,
  attemptAfterClose,
  BASE_DELAY_MS,
  CHAT_FRAME_CAP,
  cellFromHash,
  cellIds,
  cellTarget,
  chatFrame,
  closeInfo,
  describeEvent,
  formatSlot,
  hashForTarget,
  initialState,
  isVoucherId,
  MAX_DELAY_MS,
  MAX_ENTRIES,
  MAX_ROOM_ID_LENGTH,
  nextDelay,
  parseVoucherInput,
  pendingChats,
  type RoomState,
  roomIdForCell,
  roomIdForVoucher,
  type ServerFrame,
  STABLE_MS,
  slowDelay,
  targetFromHash,
  ticketOutcome,
  ticketPath,
  ticketRefusal,
  voucherTarget,
  wsUrl,
} from "../../public/honeycomb-core.js";
import { decodeClientFrame, FRAME_CAPS, ServerFrame as ServerFrameSchema } from "../../src/rooms/protocol";
import { MAX_ROOM_ID_LENGTH as SERVER_MAX_ROOM_ID_LENGTH, parseRoomId } from "../../src/rooms/room-id";
import { check } from "./seed";

const you = { uid: "u-me", connId: "cme" };
const member = (uid: string, conns = ["c1"]) => ({ uid, conns, meta: {}, joinedAt: 1, leavingSince: null });
const chat = (seq: number, uid: string, text: string, id = `id-${seq}`) =>
  ({ type: "chat", seq, at: 1000 + seq, id, from: { uid, connId: "c1" }, text }) as const;
const event = (seq: number, eventId = `e-${seq}`) =>
  ({ type: "event", seq, at: 1000 + seq, eventId, eventType: "voucher.book", subject: "v1", data: { n: seq } }) as const;
const welcome = (seq: number, history: ServerFrame[] = [], members = [member("u-me"), member("u-2")], extra = {}) =>
  ({ type: "welcome", at: 1, seq, you, members, history, ...extra }) as ServerFrame;

/** Every frame these tests feed the reducer must be a valid server frame of the real protocol. */
function valid<F extends ServerFrame>(f: F): F {
  expect(ServerFrameSchema.safeParse(f).success, JSON.stringify(f)).toBe(true);
  return f;
}
const run = (frames: ServerFrame[], from: RoomState = initialState()) => frames.map(valid).reduce(applyFrame, from);

describe("nextDelay", () => {
  it("first retry is random 0–1 s", () => {
    expect(nextDelay(0, () => 0)).toBe(0);
    expect(nextDelay(0, () => 0.5)).toBe(500);
    expect(nextDelay(0, () => 0.999999)).toBeLessThan(BASE_DELAY_MS);
  });

  it("doubles the window per attempt and caps it at 30 s", () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 6, 50, 1e9].map((a) => Math.round(nextDelay(a, top) / 1000))).toEqual([
      1, 2, 4, 8, 16, 30, 30, 30, 30,
    ]);
  });

  it("is full jitter: an integer in [0, min(cap, 1 s · 2^attempt)) for any draw", async () => {
    await check(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const d = nextDelay(attempt, () => r);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
      }),
    );
  });

  it("tolerates nonsense attempts and random() out of range", () => {
    expect(nextDelay(-3, () => 0.5)).toBe(500);
    expect(nextDelay(Number.NaN, () => 0.5)).toBe(500);
    expect(nextDelay(3, () => 7)).toBeLessThan(8000);
    expect(nextDelay(3, () => -1)).toBe(0);
  });

  it("defaults to Math.random", () => {
    for (let i = 0; i < 50; i++) expect(nextDelay(0)).toBeLessThan(BASE_DELAY_MS);
  });

  it("slowDelay (close 1008) waits between half the cap and the cap", () => {
    expect(slowDelay(() => 0)).toBe(MAX_DELAY_MS / 2);
    expect(slowDelay(() => 0.999999)).toBeLessThan(MAX_DELAY_MS);
  });
});

describe("attemptAfterClose", () => {
  it("resets after a stable connection, keeps counting otherwise", () => {
    expect(attemptAfterClose(4, 0, STABLE_MS)).toBe(0);
    expect(attemptAfterClose(4, 0, STABLE_MS - 1)).toBe(4);
    expect(attemptAfterClose(4, null, 1e12)).toBe(4);
  });
});

describe("closeInfo / ticketOutcome", () => {
  it.each([
    [1008, true, "1008"],
    [1009, false, "1009"],
    [4408, false, "4408"],
    [1006, false, "1006"],
  ])("close %i → retry, slow=%s, names the code", (code, slow, text) => {
    const info = closeInfo(code, "r");
    expect(info).toMatchObject({ retry: true, slow });
    expect(info.message).toContain(text);
    expect(info.message).toContain("(r)");
  });

  it("close 4410 (erased) → no retry", () => {
    expect(closeInfo(4410, "erased")).toMatchObject({ retry: false, slow: false });
    expect(closeInfo(4410).message).toContain("4410");
  });

  it("stops on 401 (no session) and on refusals 400/403/404; retries the rest", () => {
    expect(ticketOutcome(200)).toBe("ok");
    expect(ticketOutcome(401)).toBe("auth");
    for (const s of [400, 403, 404]) expect(ticketOutcome(s)).toBe("denied");
    for (const s of [408, 429, 500, 502, 503]) expect(ticketOutcome(s)).toBe("retry");
  });

  it("ticketRefusal names the reason of a refused ticket in German", () => {
    const notAllowed = ticketRefusal("voucher:v-1", 403, "not_allowed");
    expect(notAllowed).toContain("Kein Zutritt");
    expect(notAllowed).toContain("Gutschein v-1");
    expect(notAllowed).toContain("Aussteller");
    expect(notAllowed).toContain("HTTP 403");
    expect(ticketRefusal("voucher:v-2", 404, "voucher_not_found")).toMatch(/^Gutschein v-2 nicht gefunden \(HTTP 404\)/);
    expect(ticketRefusal("mortgage:offer:m-1", 403, "not_allowed")).toContain("Beteiligten dieses Hypothekenvorgangs");
    expect(ticketRefusal("honeycomb:A-1", 403, "not_allowed")).toBe("Kein Zutritt zu honeycomb:A-1 (HTTP 403).");
    expect(ticketRefusal("voucher:x", 400, "bad_room_id")).toContain("Ungültige Raum-ID");
    expect(ticketRefusal("voucher:x", 403, "uid_mismatch")).toBe("Zutritt zu voucher:x verweigert (HTTP 403: uid_mismatch).");
    expect(ticketRefusal("voucher:x", 404, undefined)).toBe("Zutritt zu voucher:x verweigert (HTTP 404).");
  });
});

describe("cells and URLs", () => {
  it("36 cells A-1 … F-6, each a valid honeycomb room id", () => {
    const cells = cellIds();
    expect(cells).toHaveLength(36);
    expect(cells[0]).toBe("A-1");
    expect(cells[35]).toBe("F-6");
    for (const c of cells) expect(parseRoomId(roomIdForCell(c))).toMatchObject({ kind: "honeycomb", id: c, public: true });
  });

  it("encodes the room id in the path", () => {
    expect(ticketPath("honeycomb:A-1")).toBe("/api/rooms/honeycomb%3AA-1/ticket");
    expect(wsUrl({ protocol: "https:", host: "x.test" }, "honeycomb:A-1", "t/+=", null)).toBe(
      "wss://x.test/api/rooms/honeycomb%3AA-1/ws?ticket=t%2F%2B%3D",
    );
    expect(wsUrl({ protocol: "http:", host: "localhost:8788" }, "honeycomb:B-2", "t", 0)).toBe(
      "ws://localhost:8788/api/rooms/honeycomb%3AB-2/ws?ticket=t&lastSeq=0",
    );
  });

  it("reads the cell from the hash; unknown or malformed names are no cell", () => {
    expect(cellFromHash("#C-4")).toBe("C-4");
    expect(cellFromHash("C-4")).toBe("C-4");
    expect(cellFromHash("#C%2D4")).toBe("C-4");
    for (const h of ["", "#", "#G-1", "#c-4", "#%E0%A4%A", "#%"]) expect(cellFromHash(h)).toBeNull();
  });
});

describe("voucher rooms and targets", () => {
  it("a voucher id is valid exactly when voucher:<id> is a voucher room id for the server", async () => {
    expect(MAX_ROOM_ID_LENGTH).toBe(SERVER_MAX_ROOM_ID_LENGTH);
    const chars = fc.constantFrom(..."aZ09_.-:/?#% äé\u0000€".split(""));
    await check(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: chars, maxLength: 140 }), fc.string({ unit: chars, minLength: 115 })),
        (id) => {
          expect(isVoucherId(id)).toBe(parseRoomId(roomIdForVoucher(id))?.kind === "voucher");
        },
      ),
    );
    const longest = "v".repeat(MAX_ROOM_ID_LENGTH - "voucher:".length);
    expect(isVoucherId(longest)).toBe(true);
    expect(isVoucherId(`${longest}v`)).toBe(false);
    for (const bad of ["", "a:b", "a/b", "a b", "ä", 42, null]) expect(isVoucherId(bad)).toBe(false);
  });

  it("parses the form's input: trimmed, a pasted room id accepted, bad ids refused with a reason", () => {
    expect(parseVoucherInput("  v-0abc.1_x  ")).toEqual({ ok: true, voucherId: "v-0abc.1_x" });
    expect(parseVoucherInput("voucher:v-1")).toEqual({ ok: true, voucherId: "v-1" });
    expect(parseVoucherInput("   ")).toMatchObject({ ok: false, message: expect.stringContaining("eingeben") });
    expect(parseVoucherInput("voucher:")).toMatchObject({ ok: false });
    for (const bad of ["v 1", "v/1", "v:1", "v?1", "v#1", "v%31", "gutschein-ä"]) {
      expect(parseVoucherInput(bad)).toMatchObject({ ok: false, message: expect.stringContaining("Ungültige Gutschein-ID") });
    }
    expect(parseVoucherInput("v".repeat(121))).toMatchObject({ ok: false, message: expect.stringContaining("zu lang") });
    expect(parseVoucherInput("v".repeat(120))).toMatchObject({ ok: true });
  });

  it("a target's room id is one the server accepts; its hash reads back to it", () => {
    const v = voucherTarget("v-1");
    expect(v).toEqual({ kind: "voucher", voucherId: "v-1", roomId: "voucher:v-1" });
    expect(parseRoomId(v.roomId)).toMatchObject({ kind: "voucher", id: "v-1", public: false });
    expect(hashForTarget(v)).toBe("#voucher=v-1");
    expect(targetFromHash(hashForTarget(v))).toEqual(v);
    const c = cellTarget("C-4");
    expect(c).toEqual({ kind: "cell", cell: "C-4", roomId: "honeycomb:C-4" });
    expect(hashForTarget(c)).toBe("#C-4");
    expect(targetFromHash("#C-4")).toEqual(c);
  });

  it("reads targets from the hash; malformed or invalid ones are none", () => {
    expect(targetFromHash("#voucher%3Dv-2")).toEqual(voucherTarget("v-2"));
    expect(targetFromHash("voucher=v-3")).toEqual(voucherTarget("v-3"));
    for (const h of [
      "",
      "#",
      "#voucher=",
      "#voucher=a:b",
      "#voucher=a%2Fb",
      "#voucher:v-1",
      "#Voucher=v-1",
      "#voucher=%E0%A4%A",
    ]) {
      expect(targetFromHash(h), h).toBeNull();
    }
    expect(targetFromHash(`#voucher=${"v".repeat(121)}`)).toBeNull();
  });
});

describe("chatFrame", () => {
  it("is the frame the Room accepts, and null when the Room would close the socket for its size", () => {
    expect(CHAT_FRAME_CAP).toBe(FRAME_CAPS.chat);
    const id = `m-${"0".repeat(36)}`;
    const longest = "€".repeat(16_384); // the input's maxlength, 3 UTF-8 bytes each
    const ok = chatFrame(id, longest);
    expect(ok).not.toBeNull();
    expect(decodeClientFrame(ok ?? "")).toMatchObject({ ok: true, frame: { type: "chat", id, text: longest } });
    // Within maxlength, but JSON escapes each control character to 6 bytes: 98 KiB.
    const escaped = "\u0001".repeat(16_384);
    expect(chatFrame(id, escaped)).toBeNull();
    expect(decodeClientFrame(JSON.stringify({ type: "chat", id, text: escaped }))).toMatchObject({
      ok: false,
      reason: "too_big",
    });
  });
});

describe("applyFrame", () => {
  it("welcome: members, history split into chat and events, seq", () => {
    const s = run([welcome(7, [chat(3, "u-2", "hi"), event(5), chat(6, "u-me", "me")])]);
    expect(s.seq).toBe(7);
    expect(s.you).toEqual(you);
    expect(s.members).toEqual([
      { uid: "u-me", conns: 1, meta: {} },
      { uid: "u-2", conns: 1, meta: {} },
    ]);
    expect(s.chat.map((m) => [m.seq, m.uid, m.text, m.mine])).toEqual([
      [3, "u-2", "hi", false],
      [6, "u-me", "me", true],
    ]);
    expect(s.events).toMatchObject([{ seq: 5, eventType: "voucher.book", subject: "v1", data: { n: 5 } }]);
    expect(s.reset).toBe(true);
  });

  it("presence join / update / leave, per uid with connection counts", () => {
    let s = run([welcome(1, [], [member("u-me")])]);
    s = run([{ type: "presence.join", seq: 2, at: 2, member: member("u-2") }], s);
    expect(s.members.map((m) => `${m.uid}:${m.conns}`)).toEqual(["u-me:1", "u-2:1"]);
    s = run([{ type: "presence.update", seq: 3, at: 3, member: { ...member("u-2", ["c1", "c2"]), meta: { typing: true } } }], s);
    expect(s.members[1]).toEqual({ uid: "u-2", conns: 2, meta: { typing: true } });
    s = run([{ type: "presence.leave", seq: 4, at: 4, uid: "u-2" }], s);
    expect(s.members.map((m) => m.uid)).toEqual(["u-me"]);
    expect(s.seq).toBe(4);
  });

  it("chat and event frames append once (a repeated seq is dropped)", () => {
    let s = run([welcome(1)]);
    s = run([chat(2, "u-2", "a"), event(3), chat(2, "u-2", "a"), event(3), event(4, "e-3")], s);
    expect(s.chat.map((m) => m.seq)).toEqual([2]);
    expect(s.events.map((e) => e.seq)).toEqual([3]);
    expect(s.seq).toBe(4);
  });

  it("own messages: pending until ack, then sent with the ack's seq; errors fail them, rate limits keep them", () => {
    let s = run([welcome(1)]);
    s = addPending(s, { id: "m-1", text: "hello", at: 5 });
    s = addPending(s, { id: "m-2", text: "again", at: 6 });
    s = addPending(s, { id: "m-3", text: "bad", at: 7 });
    expect(pendingChats(s)).toEqual([
      { id: "m-1", text: "hello" },
      { id: "m-2", text: "again" },
      { id: "m-3", text: "bad" },
    ]);
    s = run([{ type: "ack", at: 9, ref: "m-1", seq: 2 }], s);
    s = run([{ type: "error", at: 9, code: "rate_limited", message: "slow down", retryAfter: 200, ref: "m-2" }], s);
    s = run([{ type: "error", at: 9, code: "bad_frame", message: "nope", ref: "m-3" }], s);
    expect(s.chat.map((m) => [m.id, m.status, m.seq, m.mine, m.uid])).toEqual([
      ["m-1", "sent", 2, true, "u-me"],
      ["m-2", "pending", null, true, "u-me"],
      ["m-3", "failed", null, true, "u-me"],
    ]);
    expect(s.chat[2]?.error).toBe("nope");
    expect(s.seq).toBe(2);
    expect(pendingChats(s)).toEqual([{ id: "m-2", text: "again" }]);
  });

  it("resume: the replayed gap is appended, nothing duplicated, a replayed own message is confirmed", () => {
    let s = run([welcome(3, [chat(2, "u-2", "before")])]);
    s = addPending(s, { id: "m-x", text: "sent while flaky", at: 9 });
    // Reconnect with lastSeq = 3; the server replays 4.. and the message we sent before the drop.
    s = run([welcome(6, [chat(4, "u-2", "missed"), { ...chat(5, "u-me", "sent while flaky", "m-x") }, event(6)])], s);
    expect(s.reset).toBe(false);
    expect(s.seq).toBe(6);
    expect(s.chat.map((m) => [m.seq, m.text, m.status])).toEqual([
      [2, "before", "sent"],
      [4, "missed", "sent"],
      [5, "sent while flaky", "sent"],
    ]);
    expect(s.events.map((e) => e.seq)).toEqual([6]);
    expect(pendingChats(s)).toEqual([]);
  });

  it("discontinuity: the view is replaced by the snapshot, unconfirmed own messages survive", () => {
    let s = run([welcome(3, [chat(1, "u-2", "old"), event(2)])]);
    s = addPending(s, { id: "m-y", text: "unsent", at: 9 });
    s = run([welcome(900, [chat(899, "u-2", "new")], [member("u-3")], { discontinuity: true })], s);
    expect(s.reset).toBe(true);
    expect(s.seq).toBe(900);
    expect(s.members.map((m) => m.uid)).toEqual(["u-3"]);
    expect(s.chat.map((m) => m.text)).toEqual(["new", "unsent"]);
    expect(s.events).toEqual([]);
  });

  it("ignores pong, signal, history and unknown frames (same object back)", () => {
    const s = run([welcome(1)]);
    expect(applyFrame(s, { type: "pong" })).toBe(s);
    expect(applyFrame(s, { type: "signal", at: 1, id: "x", from: you, kind: "bye", data: null })).toBe(s);
    expect(applyFrame(s, { type: "history", at: 1, ref: "h", items: [], hasMore: false })).toBe(s);
    expect(applyFrame(s, { type: "nope" })).toBe(s);
    expect(applyFrame(s, { type: "ack", at: 1, ref: "unknown" })).toBe(s);
  });

  it("keeps at most MAX_ENTRIES chat entries, the newest", () => {
    let s = run([welcome(0)]);
    for (let i = 1; i <= MAX_ENTRIES + 20; i++) s = applyFrame(s, chat(i, "u-2", `t${i}`));
    expect(s.chat).toHaveLength(MAX_ENTRIES);
    expect(s.chat[0]?.seq).toBe(21);
  });

  it("never mutates its input and seq never decreases (random frame sequences)", async () => {
    const frame = fc.oneof(
      fc.integer({ min: 0, max: 50 }).map((n) => chat(n, n % 2 ? "u-2" : "u-me", `t${n}`) as ServerFrame),
      fc.integer({ min: 0, max: 50 }).map((n) => event(n) as ServerFrame),
      fc.constantFrom("u-2", "u-3").map((uid) => ({ type: "presence.join", seq: 1, at: 1, member: member(uid) }) as ServerFrame),
      fc.constantFrom("u-2", "u-3").map((uid) => ({ type: "presence.leave", seq: 1, at: 1, uid }) as ServerFrame),
    );
    await check(
      fc.property(fc.array(frame, { maxLength: 40 }), (frames) => {
        let s = run([welcome(0)]);
        for (const f of frames) {
          const before = JSON.stringify(s);
          const next = applyFrame(s, f);
          expect(JSON.stringify(s)).toBe(before);
          expect(next.seq ?? 0).toBeGreaterThanOrEqual(s.seq ?? 0);
          s = next;
        }
        expect(new Set(s.chat.map((m) => m.seq)).size).toBe(s.chat.length);
        expect(new Set(s.members.map((m) => m.uid)).size).toBe(s.members.length);
      }),
    );
  });
});

describe("voucher events", () => {
  // Frames as src/vouchers/actions.ts pushes them (data of book, cancel, reschedule).
  const at = Date.UTC(2025, 5, 4, 9, 0);
  const event = <T extends string, D>(seq: number, eventType: T, subject: string, data: D, eventId = `ev-${seq}`) =>
    ({ type: "event", seq, at, eventId, eventType, subject, data }) as const;
  const book = (seq: number, eventId?: string) =>
    event(
      seq,
      "voucher.book",
      "b-1",
      { voucherId: "v-1", bookingId: "b-1", holderUid: "holder-1", slotStart: "2025-06-04T12:00:00.000Z" },
      eventId,
    );
  const cancel = (seq: number) => event(seq, "voucher.cancel", "b-2", { voucherId: "v-1", bookingId: "b-2", reason: "krank" });
  const reschedule = (seq: number) =>
    event(seq, "voucher.reschedule", "b-2", {
      voucherId: "v-1",
      bookingId: "b-2",
      fromBookingId: "b-1",
      fromSlotStart: "2025-06-04T12:00:00.000Z",
      slotStart: "2025-06-05T08:00:00.000Z",
    });

  it("formatSlot: German date and time in the given zone; no date → the input", () => {
    expect(formatSlot("2025-06-04T12:00:00.000Z", "UTC")).toBe("Mi., 04.06.2025, 12:00");
    expect(formatSlot("2025-06-04T12:00:00.000Z", "Europe/Berlin")).toBe("Mi., 04.06.2025, 14:00");
    expect(formatSlot("soon", "UTC")).toBe("soon");
  });

  it("describes book, cancel and reschedule: type, slot time, booking id", () => {
    expect(describeEvent(book(1), "UTC")).toEqual({
      title: "Termin gebucht",
      fields: [
        { label: "Termin", text: "Mi., 04.06.2025, 12:00", datetime: "2025-06-04T12:00:00.000Z" },
        { label: "Buchung", text: "b-1" },
        { label: "von", text: "holder-1" },
      ],
      raw: false,
    });
    expect(describeEvent(cancel(2), "UTC")).toEqual({
      title: "Buchung storniert",
      fields: [
        { label: "Buchung", text: "b-2" },
        { label: "Grund", text: "krank" },
      ],
      raw: false,
    });
    expect(describeEvent(reschedule(3), "UTC")).toEqual({
      title: "Termin verschoben",
      fields: [
        { label: "neuer Termin", text: "Do., 05.06.2025, 08:00", datetime: "2025-06-05T08:00:00.000Z" },
        { label: "vorher", text: "Mi., 04.06.2025, 12:00", datetime: "2025-06-04T12:00:00.000Z" },
        { label: "Buchung", text: "b-2" },
        { label: "vorherige Buchung", text: "b-1" },
      ],
      raw: false,
    });
  });

  it("untrusted data: missing or non-string fields are left out; the subject stands in for the booking", () => {
    expect(describeEvent({ eventType: "voucher.cancel", subject: "b-9", data: { reason: null } })).toEqual({
      title: "Buchung storniert",
      fields: [{ label: "Buchung", text: "b-9" }],
      raw: false,
    });
    expect(
      describeEvent({ eventType: "voucher.book", subject: "b-9", data: { slotStart: 5, bookingId: { x: 1 } } }).fields,
    ).toEqual([{ label: "Buchung", text: "b-9" }]);
    for (const data of [null, "x", [1], 3]) {
      expect(describeEvent({ eventType: "voucher.book", subject: "b-9", data }).fields).toEqual([
        { label: "Buchung", text: "b-9" },
      ]);
    }
  });

  it("other event types keep their name and subject and ask for the raw data", () => {
    expect(describeEvent({ eventType: "deal.signed", subject: "d-1", data: { a: 1 } })).toEqual({
      title: "deal.signed",
      fields: [{ label: "Betreff", text: "d-1" }],
      raw: true,
    });
  });

  it("each event once (by eventId) across welcome.history, live pushes and a resume replay", () => {
    // Fresh join: the booking is in the history.
    let s = run([welcome(4, [chat(2, "u-2", "hi"), book(3)])]);
    // Live: a push repeated by the Room's retry (same eventId, even under another seq) is dropped.
    s = run([cancel(5), cancel(5), { ...book(6), eventId: "ev-3" }], s);
    // Resume from lastSeq 5: the replay repeats 5 and adds 7.
    s = run([welcome(7, [cancel(5), reschedule(7)])], s);
    expect(s.events.map((e) => [e.eventId, e.eventType])).toEqual([
      ["ev-3", "voucher.book"],
      ["ev-5", "voucher.cancel"],
      ["ev-7", "voucher.reschedule"],
    ]);
    expect(s.seq).toBe(7);
    // A fresh page (no lastSeq) shows the history once, not appended to anything.
    const fresh = run([welcome(7, [book(3), cancel(5), reschedule(7)])]);
    expect(fresh.events.map((e) => e.eventId)).toEqual(["ev-3", "ev-5", "ev-7"]);
  });
});
