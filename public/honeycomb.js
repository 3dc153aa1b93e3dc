// Honeycomb client: pick a cell, join its room `honeycomb:<cell>`, see who is present,
// chat, and see pushed events. A voucher's room `voucher:<id>` (where the API pushes voucher.book /
// .cancel / .reschedule) is opened by id through the form or `#voucher=<id>`; only the voucher's
// issuer and holder get in, others are told why and the page stops. Every (re)connect fetches a
// fresh single-use ticket (POST /api/rooms/:roomId/ticket, session cookie), then dials
// /api/rooms/:roomId/ws?ticket=…&lastSeq=… so the room replays what was missed. Backoff, close handling and the state reducer are the pure
// functions of honeycomb-core.js (unit-tested); this module only wires DOM, timers and sockets.

import {
  addPending,
  applyFrame,
  attemptAfterClose,
  cellIds,
  cellTarget,
  chatFrame,
  closeInfo,
  describeEvent,
  hashForTarget,
  initialState,
  nextDelay,
  PING_INTERVAL_MS,
  PING_TEXT,
  parseVoucherInput,
  pendingChats,
  ROWS,
  slowDelay,
  targetFromHash,
  ticketOutcome,
  ticketPath,
  ticketRefusal,
  voucherTarget,
  wsUrl,
} from "./honeycomb-core.js";

const $ = (id) => document.getElementById(id);
const UID_KEY = "mot_user_id_v1";
const uid = localStorage.getItem(UID_KEY);
if (uid) $("who").textContent = `Verifiziert als ${uid}`;

/**
 * The current room connection; replaced on every room change. Callbacks of an older one check
 * `live(c)` and do nothing, so a late close or ticket answer can never touch the new room.
 * @type {null | {target: import("./honeycomb-core.js").Target, roomId: string, ws: WebSocket | null, state: any, attempt: number,
 *   openedAt: number | null, retryTimer: any, pingTimer: any, flushTimer: any, blockedUntil: number,
 *   inFlight: Set<string>, stopped: boolean}}
 */
let conn = null;
const live = (c) => conn === c && !c.stopped;

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
  const c = {
    target,
    roomId: target.roomId,
    ws: null,
    state: initialState(),
    attempt: 0,
    openedAt: null,
    retryTimer: 0,
    pingTimer: 0,
    flushTimer: 0,
    blockedUntil: 0,
    inFlight: new Set(),
    stopped: false,
  };
  conn = c;
  const hash = hashForTarget(target);
  if (location.hash !== hash) history.replaceState(null, "", hash);
  render();
  void connect(c);
}

function leave() {
  const c = conn;
  if (!c) return;
  halt(c);
  c.ws?.close(1000, "leave");
  c.ws = null;
  conn = null;
}

/** Stops `c` for good: no retry, no flush, no ping. */
function halt(c) {
  c.stopped = true;
  clearTimeout(c.retryTimer);
  clearTimeout(c.flushTimer);
  clearInterval(c.pingTimer);
}

/** The server said not to come back: stop `c`, badge the connection, show why (`explain`). */
function stopFor(c, badge, explain) {
  halt(c);
  setConn("stopped", badge);
  explain();
  render();
}

async function connect(c) {
  setConn("connecting", "verbinde…");
  say(c.attempt === 0 ? `Hole Ticket für ${c.roomId}…` : `Neuer Versuch ${c.attempt}: hole Ticket…`);
  let res;
  let data = null;
  try {
    res = await fetch(ticketPath(c.roomId), { method: "POST", credentials: "same-origin" });
    data = await res.json().catch(() => null);
  } catch (err) {
    if (live(c)) retry(c, `Ticket nicht erreichbar: ${err.message}`);
    return;
  }
  if (!live(c)) return;
  const outcome = ticketOutcome(res.status);
  if (outcome === "auth") {
    stopFor(c, "abgemeldet", () => {
      const status = $("status");
      status.className = "error";
      status.replaceChildren(
        `Keine gültige Sitzung (HTTP ${res.status}). Öffne einen signierten Link im `,
        Object.assign(document.createElement("a"), { href: "/", textContent: "Portal" }),
        c.target.kind === "cell" ? ", dann wähle die Zelle erneut." : ", dann öffne den Raum erneut.",
      );
    });
    return;
  }
  if (outcome === "denied") {
    // Not allowed, unknown voucher, bad id: another ticket would be refused alike, so no retry.
    stopFor(c, "kein Zutritt", () => say(ticketRefusal(c.roomId, res.status, data?.code), true));
    return;
  }
  if (outcome !== "ok" || !data?.ok || typeof data.ticket !== "string") {
    retry(c, `Ticket fehlgeschlagen (HTTP ${res.status}${data?.error ? `: ${data.error}` : ""})`);
    return;
  }
  open(c, data.ticket);
}

function open(c, ticket) {
  const ws = new WebSocket(wsUrl(location, c.roomId, ticket, c.state.seq));
  c.ws = ws;
  c.openedAt = null;
  c.inFlight = new Set();
  ws.addEventListener("open", () => {
    if (c.ws !== ws || !live(c)) return;
    c.openedAt = Date.now();
    setConn("connecting", "warte auf welcome…");
    c.pingTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(PING_TEXT);
    }, PING_INTERVAL_MS);
  });
  ws.addEventListener("message", (ev) => {
    if (c.ws !== ws || !live(c) || typeof ev.data !== "string") return;
    let frame;
    try {
      frame = JSON.parse(ev.data);
    } catch {
      return;
    }
    onFrame(c, ws, frame);
  });
  ws.addEventListener("close", (ev) => {
    if (c.ws !== ws) return;
    clearInterval(c.pingTimer);
    c.ws = null;
    if (!live(c)) return;
    const info = closeInfo(ev.code, ev.reason);
    if (!info.retry) {
      // The server said not to come back (4410: this person was erased).
      stopFor(c, "getrennt", () => say(info.message, true));
      return;
    }
    c.attempt = attemptAfterClose(c.attempt, c.openedAt, Date.now());
    retry(c, info.message, info.slow);
  });
  // An `error` event is always followed by `close`; handled there.
}

/** Schedules the next connect with jittered exponential backoff (a new ticket every time). */
function retry(c, message, slow = false) {
  const delay = slow ? slowDelay() : nextDelay(c.attempt);
  c.attempt += 1;
  setConn("retry", `neuer Versuch in ${Math.ceil(delay / 1000)} s`);
  say(message, true);
  render();
  clearTimeout(c.retryTimer);
  c.retryTimer = setTimeout(() => {
    if (live(c)) void connect(c);
  }, delay);
}

function onFrame(c, ws, frame) {
  c.state = applyFrame(c.state, frame);
  switch (frame.type) {
    case "welcome":
      setConn("open", "verbunden");
      say(
        frame.discontinuity
          ? `Verbunden als ${frame.you.uid}; Verlauf hatte eine Lücke, Ansicht neu geladen.`
          : `Verbunden mit ${c.roomId} als ${frame.you.uid}.`,
      );
      flush(c, ws);
      break;
    case "ack":
      c.inFlight.delete(frame.ref);
      break;
    case "error": {
      const wait = frame.code === "rate_limited" && typeof frame.retryAfter === "number" ? frame.retryAfter : 0;
      say(`Fehler ${frame.code}: ${frame.message}${wait ? ` – erneut in ${Math.ceil(wait / 1000)} s` : ""}`, true);
      if (frame.ref) c.inFlight.delete(frame.ref);
      if (wait) {
        c.blockedUntil = Math.max(c.blockedUntil, Date.now() + wait);
        flush(c, ws);
      }
      break;
    }
  }
  render();
}

/** Sends your unconfirmed messages that are not in flight on this socket, honouring `retryAfter`. */
function flush(c, ws = c.ws) {
  if (!ws || ws.readyState !== WebSocket.OPEN || !live(c)) return;
  const wait = c.blockedUntil - Date.now();
  if (wait > 0) {
    clearTimeout(c.flushTimer);
    c.flushTimer = setTimeout(() => flush(c), wait);
    return;
  }
  for (const m of pendingChats(c.state)) {
    if (c.inFlight.has(m.id)) continue;
    c.inFlight.add(m.id);
    ws.send(JSON.stringify({ type: "chat", id: m.id, text: m.text }));
  }
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
  $("roomName").textContent = c ? `– ${c.roomId}` : "– kein Raum gewählt";
  const s = c?.state ?? initialState();
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

  const usable = Boolean(c && !c.stopped);
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
  const c = conn;
  const text = $("chatText").value.trim();
  if (!c || c.stopped || !text) return;
  const id = `m-${crypto.randomUUID()}`;
  // Never queue what the Room refuses by size: it would close every socket the resend goes out on.
  if (chatFrame(id, text) === null) {
    say("Nachricht zu groß (mehr als 64 KiB als JSON, z. B. durch Steuerzeichen): bitte kürzen.", true);
    return;
  }
  // Queued while offline: flushed after the next welcome; the id keeps a resend idempotent.
  c.state = addPending(c.state, { id, text, at: Date.now() });
  $("chatText").value = "";
  flush(c);
  render();
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
  if (target && target.roomId !== conn?.roomId) openTarget(target);
});

function openTarget(target) {
  if (target.kind === "voucher") $("voucherId").value = target.voucherId;
  join(target);
}

buildGrid();
const initial = targetFromHash(location.hash);
if (initial) openTarget(initial);
else render();
