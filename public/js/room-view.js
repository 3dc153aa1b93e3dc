// A live room inside a portal page (rooms and presence): who is present, the chat and the pushed
// events, over the shared room client (room-client.js: ticket, reconnect with backoff, resume).
// Chat text and event data are untrusted: rendered with textContent only.
//
// Element ids (one room view per page): #roomView, #roomName, #connState (class open|connecting|
// retry|stopped), #roomStatus ("Verbunden mit <room> als <uid>."), #members (li.you for yourself),
// #chat (li.mine, li.pending, li.failed), #chatForm, #chatText, #chatSend, #events
// (li[data-event-type]), #roomLeave.

import { describeEvent, initialState } from "../honeycomb-core.js";
import { openRoom } from "../room-client.js";
import { el } from "./core.js";

const time = (/** @type {number} */ at) =>
  new Date(at).toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * Builds the room view into `host` (hidden until a room is opened).
 * @param {HTMLElement} host
 * @param {{onLeave?: () => void}} [opts]
 */
export function roomView(host, opts = {}) {
  const roomName = el("span", { id: "roomName", class: "muted" }, "– kein Raum");
  const connState = el("span", { id: "connState", class: "badge idle" }, "getrennt");
  const roomStatus = el("span", { id: "roomStatus", class: "muted", role: "status" });
  const members = el("ul", { id: "members", class: "members" });
  const chat = el("ol", { id: "chat", class: "log", "aria-live": "polite" });
  const chatText = el("input", {
    id: "chatText",
    autocomplete: "off",
    maxLength: 16384,
    placeholder: "Nachricht",
    "aria-label": "Nachricht",
    disabled: true,
  });
  const chatSend = el("button", { id: "chatSend", type: "submit", disabled: true }, "Senden");
  const chatForm = el("form", { id: "chatForm", class: "row chatform" }, chatText, chatSend);
  const events = el("ol", { id: "events", class: "log feed" });
  const leave = el("button", { id: "roomLeave", type: "button" }, "Raum verlassen");
  const box = el(
    "section",
    { id: "roomView", class: "card room", hidden: true },
    el("h2", {}, "Raum ", roomName),
    el("p", { class: "conn" }, connState, " ", roomStatus),
    el(
      "div",
      { class: "roomgrid" },
      el("div", {}, el("h3", {}, "Anwesend"), members),
      el("div", {}, el("h3", {}, "Chat"), chat, chatForm),
      el("div", {}, el("h3", {}, "Ereignisse"), events),
    ),
    el("div", { class: "row" }, leave),
  );
  host.append(box);

  /** @type {ReturnType<typeof openRoom> | null} */
  let room = null;

  const status = (text, isError = false) => {
    roomStatus.textContent = text;
    roomStatus.className = isError ? "error" : "muted";
  };

  function render() {
    const s = room?.state ?? initialState();
    const you = s.you?.uid;
    members.replaceChildren(
      ...s.members.map((m) =>
        el(
          "li",
          { class: m.uid === you ? "you" : "" },
          `${m.uid}${m.uid === you ? " (du)" : ""} `,
          el("span", { class: "muted" }, `· ${m.conns} ${m.conns === 1 ? "Verbindung" : "Verbindungen"}`),
        ),
      ),
    );
    if (s.members.length === 0) members.append(el("li", { class: "muted empty" }, "Niemand verbunden."));
    const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 8;
    chat.replaceChildren(
      ...s.chat.map((m) =>
        el(
          "li",
          { class: `${m.mine ? "mine " : ""}${m.status === "sent" ? "" : m.status}` },
          el("span", { class: "meta" }, m.seq === null ? time(m.at) : `#${m.seq} ${time(m.at)}`),
          " ",
          el("strong", { class: "who" }, `${m.uid}: `),
          m.text,
          m.status === "pending" ? el("span", { class: "meta" }, " (wird gesendet)") : null,
          m.status === "failed" ? el("span", { class: "meta" }, ` (fehlgeschlagen: ${m.error ?? ""})`) : null,
        ),
      ),
    );
    if (atBottom || s.reset) chat.scrollTop = chat.scrollHeight;
    events.replaceChildren(...[...s.events].reverse().map(eventItem));
    if (s.events.length === 0) events.append(el("li", { class: "muted empty" }, "Noch keine Ereignisse."));
    const usable = Boolean(room && !room.stopped);
    chatText.disabled = !usable;
    chatSend.disabled = !usable;
  }

  function eventItem(e) {
    const d = describeEvent(e);
    const li = el(
      "li",
      { dataset: { eventType: e.eventType } },
      el("span", { class: "meta" }, `#${e.seq} ${time(e.at)}`),
      " ",
      el("strong", {}, d.title),
      " ",
      el("span", { class: "meta" }, `(${e.eventType})`),
    );
    if (d.fields.length > 0) {
      li.append(el("dl", { class: "fields" }, ...d.fields.flatMap((f) => [el("dt", {}, f.label), el("dd", {}, f.text)])));
    }
    if (d.raw) li.append(el("code", {}, JSON.stringify(e.data ?? null).slice(0, 400)));
    return li;
  }

  chatForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = chatText.value.trim();
    if (!room || room.stopped || !text) return;
    const refused = room.send(text);
    if (refused) return status(refused, true);
    chatText.value = "";
  });

  function close() {
    room?.close();
    room = null;
    box.hidden = true;
    connState.className = "badge idle";
    connState.textContent = "getrennt";
    render();
  }

  leave.addEventListener("click", () => {
    close();
    opts.onLeave?.();
  });

  return {
    /** Opens `roomId` (leaving the room shown before). */
    open(/** @type {string} */ roomId) {
      room?.close();
      box.hidden = false;
      roomName.textContent = `– ${roomId}`;
      status("");
      room = openRoom(roomId, {
        onConn(kind, label) {
          connState.className = `badge ${kind}`;
          connState.textContent = label;
        },
        onStatus: status,
        onState: render,
        onStop(stop) {
          status(
            stop.reason === "auth" ? `${stop.message} Öffne das Portal erneut aus deinem Offline-Manifest.` : stop.message,
            true,
          );
        },
      });
      render();
    },
    close,
    get roomId() {
      return room?.roomId ?? null;
    },
  };
}
