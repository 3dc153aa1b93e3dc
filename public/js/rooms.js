// Rooms area (public/rooms.html): open any room the person may enter — a honeycomb cell, a
// voucher's room (issuer and holder), a mortgage object's room (its parties), a matched presence
// room — and see presence, chat and pushed events live (room-view.js over the shared room client).
// `#room=<roomId>` opens a room directly (the voucher and mortgage pages link here that way).
//
// Element ids the browser suite uses: #roomForm, #roomId, #roomOpen, #roomList (buttons
// `button[data-room-id]`), plus the room view's ids (room-view.js): #roomView, #roomName,
// #connState, #roomStatus, #members, #chat, #chatForm, #chatText, #chatSend, #events, #roomLeave.

import { $, api, el, mountShell, say, showSignedOut, ready } from "./core.js";
import { roomView } from "./room-view.js";

const RECENT_KEY = "ts_recent_rooms_v1";
/** The server's room id rule: a known prefix, then letters, digits and `_ . - :` (128 at most). */
const ROOM_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

const me = await mountShell("/rooms.html");
if (!me) showSignedOut();
else await start();
ready();

function recent() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(list) ? list.filter((x) => typeof x === "string") : [];
  } catch {
    return [];
  }
}

function remember(roomId) {
  localStorage.setItem(RECENT_KEY, JSON.stringify([roomId, ...recent().filter((r) => r !== roomId)].slice(0, 12)));
}

/** The room named by `#room=<id>`, or null. */
function roomFromHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const id = p.get("room");
  return id && ROOM_ID.test(id) ? id : null;
}

async function start() {
  const view = roomView($("roomHost"), {
    onLeave() {
      history.replaceState(null, "", location.pathname);
    },
  });

  function open(roomId) {
    if (!ROOM_ID.test(roomId)) {
      say("Ungültige Raum-ID: erlaubt sind Buchstaben, Ziffern und _ . - : (höchstens 128 Zeichen).", true);
      return;
    }
    say("");
    $("roomId").value = roomId;
    const hash = `#room=${encodeURIComponent(roomId)}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    remember(roomId);
    view.open(roomId);
    void renderList();
  }

  $("roomForm").addEventListener("submit", (e) => {
    e.preventDefault();
    open($("roomId").value.trim());
  });
  addEventListener("hashchange", () => {
    const id = roomFromHash();
    if (id && id !== view.roomId) open(id);
  });

  /** Rooms to offer: the recent ones and the rooms of the person's vouchers (first page each). */
  async function renderList() {
    const ids = new Set(recent());
    try {
      const [issued, held] = await Promise.all([
        api(`/api/voucher/list?issuerUid=${encodeURIComponent(me.uid)}&limit=20`),
        api(`/api/voucher/list?holderUid=${encodeURIComponent(me.uid)}&limit=20`),
      ]);
      for (const v of [...issued.items, ...held.items]) ids.add(`voucher:${v.voucherId}`);
    } catch {
      // The voucher rooms are a convenience; the recent rooms and the form still work.
    }
    const items = [...ids].map((id) => {
      const b = el("button", { type: "button", dataset: { roomId: id }, "aria-pressed": String(id === view.roomId) }, id);
      b.addEventListener("click", () => open(id));
      return el("li", {}, b);
    });
    if (items.length === 0) items.push(el("li", { class: "muted" }, "Noch keine Räume: öffne einen über die Raum-ID."));
    $("roomList").replaceChildren(...items);
  }

  const initial = roomFromHash();
  if (initial) open(initial);
  else await renderList();
}
