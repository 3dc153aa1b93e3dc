// Honeycomb client: pick a cell, join its room `honeycomb:<cell>`, see who is present,
// chat, and see pushed events. A voucher's room `voucher:<id>` (where the API pushes voucher.book /
// .cancel / .reschedule) is opened by id through the form or `#voucher=<id>`; only the voucher's
// issuer and holder get in, others are told why and the page stops. The connection (ticket,
// reconnect with backoff, resume with lastSeq, chat queue) is the shared room client
// (room-client.js); this module only wires the grid, the forms and the rendering.

import {
  cellIds,
  cellTarget,
  describeEvent,
  hashForTarget,
  initialState,
  parseVoucherInput,
  ROWS,
  targetFromHash,
  voucherTarget,
} from "./honeycomb-core.js";
import { openRoom } from "./room-client.js";

const $ = (id) => document.getElementById(id);
const UID_KEY = "mot_user_id_v1";
const uid = localStorage.getItem(UID_KEY);
if (uid) $("who").textContent = `Verifiziert als ${uid}`;

/**
 * The current room: its target and the room client's connection; replaced on every room change
 * (the old connection is closed first and goes quiet).
 * @type {null | {target: import("./honeycomb-core.js").Target, room: ReturnType<typeof openRoom>}}
 */
let conn = null;

// ---------------------------------------------------------------------------------------------
// Status line

function setConn(kind, label) {
  $("connState").className = `badge ${kind}`;
  $("connState").textContent = label;
}
function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "muted";
}

// ---------------------------------------------------------------------------------------------
// Connection lifecycle

/** Joins a cell's or a voucher's room (a `Target` of honeycomb-core.js), leaving the current one. */
function join(target) {
  leave();
  const hash = hashForTarget(target);
  if (location.hash !== hash) history.replaceState(null, "", hash);
  const room = openRoom(target.roomId, {
    onConn: setConn,
    onStatus: say,
    onState: render,
    onStop(stop) {
      if (stop.reason !== "auth") return say(stop.message, true);
      const status = $("status");
      status.className = "error";
      status.replaceChildren(
        `Keine gültige Sitzung (HTTP ${stop.status}). Öffne einen signierten Link im `,
        Object.assign(document.createElement("a"), { href: "/", textContent: "Portal" }),
        target.kind === "cell" ? ", dann wähle die Zelle erneut." : ", dann öffne den Raum erneut.",
      );
    },
  });
  conn = { target, room };
  render();
}

function leave() {
  conn?.room.close();
  conn = null;
}

// ---------------------------------------------------------------------------------------------
// Rendering (textContent only: chat text and event data are untrusted)

const time = (at) => new Date(at).toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function buildGrid() {
  const cells = cellIds();
  const perRow = cells.length / ROWS.length;
  const rows = ROWS.map((_, r) =>
    el(
      "div",
      { className: "hexrow" },
      ...cells.slice(r * perRow, (r + 1) * perRow).map((cell) => {
        const target = cellTarget(cell);
        const b = el("button", { type: "button", className: "hex", textContent: cell, title: `Raum ${target.roomId}` });
        b.dataset.cell = cell;
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", () => join(target));
        return b;
      }),
    ),
  );
  $("grid").replaceChildren(...rows);
}

function render() {
  const c = conn;
  const cell = c?.target.kind === "cell" ? c.target.cell : null;
  for (const b of $("grid").querySelectorAll(".hex")) b.setAttribute("aria-pressed", String(b.dataset.cell === cell));
  $("roomName").textContent = c ? `– ${c.room.roomId}` : "– kein Raum gewählt";
  const s = c?.room.state ?? initialState();
  const you = s.you?.uid;

  $("members").replaceChildren(
    ...s.members.map((m) =>
      el(
        "li",
        { className: m.uid === you ? "you" : "" },
        `${m.uid}${m.uid === you ? " (du)" : ""} `,
        el("span", { className: "muted", textContent: `· ${m.conns} ${m.conns === 1 ? "Verbindung" : "Verbindungen"}` }),
      ),
    ),
  );

  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 8;
  chat.replaceChildren(
    ...s.chat.map((m) =>
      el(
        "li",
        { className: `${m.mine ? "mine " : ""}${m.status === "sent" ? "" : m.status}` },
        el("span", { className: "meta", textContent: m.seq === null ? time(m.at) : `#${m.seq} ${time(m.at)}` }),
        el("strong", { className: "who", textContent: `${m.uid}: ` }),
        m.text,
        m.status === "pending" ? el("span", { className: "meta", textContent: " (wird gesendet)" }) : "",
        m.status === "failed" ? el("span", { className: "meta", textContent: ` (fehlgeschlagen: ${m.error ?? ""})` }) : "",
      ),
    ),
  );
  if (atBottom || s.reset) chat.scrollTop = chat.scrollHeight;

  $("events").replaceChildren(...[...s.events].reverse().map(eventItem));

  const usable = Boolean(c && !c.room.stopped);
  $("chatText").disabled = !usable;
  $("chatSend").disabled = !usable;
}

/** One pushed event, newest first in the list: German title, its details, the raw type as a hint. */
function eventItem(e) {
  const d = describeEvent(e);
  const li = el(
    "li",
    {},
    el("span", { className: "meta", textContent: `#${e.seq} ${time(e.at)}` }),
    el("strong", { textContent: d.title }),
    " ",
    el("span", { className: "meta", textContent: `(${e.eventType})` }),
  );
  li.dataset.eventType = e.eventType;
  if (d.fields.length > 0) {
    li.append(
      el(
        "dl",
        { className: "fields" },
        ...d.fields.flatMap((f) => [
          el("dt", { textContent: f.label }),
          el("dd", {}, f.datetime ? el("time", { textContent: f.text, dateTime: f.datetime }) : f.text),
        ]),
      ),
    );
  }
  if (d.raw) li.append(el("code", { textContent: clip(JSON.stringify(e.data), 400) }));
  return li;
}

const clip = (s, n) => (s === undefined ? "" : s.length > n ? `${s.slice(0, n)}…` : s);

$("chatForm").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chatText").value.trim();
  if (!conn || conn.room.stopped || !text) return;
  // Queued while offline: flushed after the next welcome. Refused by size: left in the input.
  const refused = conn.room.send(text);
  if (refused) {
    say(refused, true);
    return;
  }
  $("chatText").value = "";
});

$("voucherForm").addEventListener("submit", (e) => {
  e.preventDefault();
  const parsed = parseVoucherInput($("voucherId").value);
  const hint = $("voucherHint");
  if (!parsed.ok) {
    hint.textContent = parsed.message;
    hint.className = "error";
    $("voucherId").setAttribute("aria-invalid", "true");
    return;
  }
  hint.textContent = "";
  hint.className = "muted";
  $("voucherId").removeAttribute("aria-invalid");
  $("voucherId").value = parsed.voucherId;
  join(voucherTarget(parsed.voucherId));
});

// A pasted or edited `#C-4` / `#voucher=<id>` switches the room; join() itself uses replaceState,
// which fires no hashchange. Unknown or malformed hashes are ignored.
addEventListener("hashchange", () => {
  const target = targetFromHash(location.hash);
  if (target && target.roomId !== conn?.room.roomId) openTarget(target);
});

function openTarget(target) {
  if (target.kind === "voucher") $("voucherId").value = target.voucherId;
  join(target);
}

buildGrid();
const initial = targetFromHash(location.hash);
if (initial) openTarget(initial);
else render();
