// The one room client of the pages (honeycomb grid, portal rooms and presence): fetches a fresh
// single-use ticket for every (re)connect (POST /api/rooms/:roomId/ticket, session cookie), dials
// /api/rooms/:roomId/ws?ticket=…&lastSeq=… so the room replays what was missed, reconnects with
// jittered exponential backoff, pings, queues your chat until it is acked and honours
// `retryAfter`. Pure rules (backoff, close/ticket classification, the state reducer) are in
// honeycomb-core.js (unit-tested); this module owns timers and sockets, the page owns the DOM.

import {
  addPending,
  applyFrame,
  attemptAfterClose,
  chatFrame,
  closeInfo,
  initialState,
  nextDelay,
  PING_INTERVAL_MS,
  PING_TEXT,
  pendingChats,
  slowDelay,
  ticketOutcome,
  ticketPath,
  ticketRefusal,
  wsUrl,
} from "./honeycomb-core.js";

/**
 * What a page hears from its room connection. Every callback is optional.
 * @typedef {object} RoomHandlers
 * @property {(kind: "connecting"|"open"|"retry"|"stopped", label: string) => void} [onConn] the connection badge
 * @property {(text: string, isError: boolean) => void} [onStatus] a status line
 * @property {(stop: {reason: "auth"|"denied"|"closed", status?: number, code?: string, message: string}) => void} [onStop]
 *   the server said not to come back (no session, no access, person erased): no retry follows
 * @property {(state: import("./honeycomb-core.js").RoomState) => void} [onState] the room view changed
 */

/**
 * Opens room `roomId` and keeps it open until `close()`. The connection's callbacks go quiet after
 * `close()`, so a late ticket answer or close event never touches the next room a page opens.
 *
 * @param {string} roomId
 * @param {RoomHandlers} handlers
 * @param {{ location?: { protocol: string, host: string } }} [opts]
 */
export function openRoom(roomId, handlers, opts = {}) {
  const loc = opts.location ?? location;
  const h = {
    onConn: handlers.onConn ?? (() => {}),
    onStatus: handlers.onStatus ?? (() => {}),
    onStop: handlers.onStop ?? (() => {}),
    onState: handlers.onState ?? (() => {}),
  };
  const c = {
    roomId,
    /** @type {WebSocket | null} */ ws: null,
    state: initialState(),
    attempt: 0,
    /** @type {number | null} */ openedAt: null,
    retryTimer: /** @type {any} */ (0),
    pingTimer: /** @type {any} */ (0),
    flushTimer: /** @type {any} */ (0),
    blockedUntil: 0,
    inFlight: new Set(),
    stopped: false,
  };
  const live = () => !c.stopped;

  function halt() {
    c.stopped = true;
    clearTimeout(c.retryTimer);
    clearTimeout(c.flushTimer);
    clearInterval(c.pingTimer);
  }

  function stopFor(badge, stop) {
    halt();
    h.onConn("stopped", badge);
    h.onStop(stop);
    h.onState(c.state);
  }

  async function connect() {
    h.onConn("connecting", "verbinde…");
    h.onStatus(c.attempt === 0 ? `Hole Ticket für ${roomId}…` : `Neuer Versuch ${c.attempt}: hole Ticket…`, false);
    let res;
    let data = null;
    try {
      res = await fetch(ticketPath(roomId), { method: "POST", credentials: "same-origin" });
      data = await res.json().catch(() => null);
    } catch (err) {
      if (live()) retry(`Ticket nicht erreichbar: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!live()) return;
    const outcome = ticketOutcome(res.status);
    if (outcome === "auth") {
      stopFor("abgemeldet", {
        reason: "auth",
        status: res.status,
        code: data?.code,
        message: `Keine gültige Sitzung (HTTP ${res.status}).`,
      });
      return;
    }
    if (outcome === "denied") {
      // Not allowed, unknown voucher, bad id: another ticket would be refused alike, so no retry.
      stopFor("kein Zutritt", {
        reason: "denied",
        status: res.status,
        code: data?.code,
        message: ticketRefusal(roomId, res.status, data?.code),
      });
      return;
    }
    if (outcome !== "ok" || !data?.ok || typeof data.ticket !== "string") {
      retry(`Ticket fehlgeschlagen (HTTP ${res.status}${data?.error ? `: ${data.error}` : ""})`);
      return;
    }
    open(data.ticket);
  }

  function open(ticket) {
    const ws = new WebSocket(wsUrl(loc, roomId, ticket, c.state.seq));
    c.ws = ws;
    c.openedAt = null;
    c.inFlight = new Set();
    ws.addEventListener("open", () => {
      if (c.ws !== ws || !live()) return;
      c.openedAt = Date.now();
      h.onConn("connecting", "warte auf welcome…");
      c.pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(PING_TEXT);
      }, PING_INTERVAL_MS);
    });
    ws.addEventListener("message", (ev) => {
      if (c.ws !== ws || !live() || typeof ev.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      onFrame(ws, frame);
    });
    ws.addEventListener("close", (ev) => {
      if (c.ws !== ws) return;
      clearInterval(c.pingTimer);
      c.ws = null;
      if (!live()) return;
      const info = closeInfo(ev.code, ev.reason);
      if (!info.retry) {
        // The server said not to come back (4410: this person was erased).
        stopFor("getrennt", { reason: "closed", status: ev.code, message: info.message });
        return;
      }
      c.attempt = attemptAfterClose(c.attempt, c.openedAt, Date.now());
      retry(info.message, info.slow);
    });
    // An `error` event is always followed by `close`; handled there.
  }

  /** Schedules the next connect with jittered exponential backoff (a new ticket every time). */
  function retry(message, slow = false) {
    const delay = slow ? slowDelay() : nextDelay(c.attempt);
    c.attempt += 1;
    h.onConn("retry", `neuer Versuch in ${Math.ceil(delay / 1000)} s`);
    h.onStatus(message, true);
    h.onState(c.state);
    clearTimeout(c.retryTimer);
    c.retryTimer = setTimeout(() => {
      if (live()) void connect();
    }, delay);
  }

  function onFrame(ws, frame) {
    c.state = applyFrame(c.state, frame);
    switch (frame.type) {
      case "welcome":
        h.onConn("open", "verbunden");
        h.onStatus(
          frame.discontinuity
            ? `Verbunden als ${frame.you.uid}; Verlauf hatte eine Lücke, Ansicht neu geladen.`
            : `Verbunden mit ${roomId} als ${frame.you.uid}.`,
          false,
        );
        flush(ws);
        break;
      case "ack":
        c.inFlight.delete(frame.ref);
        break;
      case "error": {
        const wait = frame.code === "rate_limited" && typeof frame.retryAfter === "number" ? frame.retryAfter : 0;
        h.onStatus(`Fehler ${frame.code}: ${frame.message}${wait ? ` – erneut in ${Math.ceil(wait / 1000)} s` : ""}`, true);
        if (frame.ref) c.inFlight.delete(frame.ref);
        if (wait) {
          c.blockedUntil = Math.max(c.blockedUntil, Date.now() + wait);
          flush(ws);
        }
        break;
      }
    }
    h.onState(c.state);
  }

  /** Sends your unconfirmed messages that are not in flight on this socket, honouring `retryAfter`. */
  function flush(ws = c.ws) {
    if (!ws || ws.readyState !== WebSocket.OPEN || !live()) return;
    const wait = c.blockedUntil - Date.now();
    if (wait > 0) {
      clearTimeout(c.flushTimer);
      c.flushTimer = setTimeout(() => flush(), wait);
      return;
    }
    for (const m of pendingChats(c.state)) {
      if (c.inFlight.has(m.id)) continue;
      c.inFlight.add(m.id);
      ws.send(JSON.stringify({ type: "chat", id: m.id, text: m.text }));
    }
  }

  void connect();

  return {
    roomId,
    /** The current room view (members, chat, events, seq). */
    get state() {
      return c.state;
    },
    /** True once the room was closed by the page or refused for good by the server. */
    get stopped() {
      return c.stopped;
    },
    /**
     * Queues one chat message (sent now if connected, else after the next welcome; its id keeps a
     * resend idempotent). Returns an error text instead when the room would refuse it by size:
     * such a message is never queued, or every socket it is resent on would close with 1009.
     * @param {string} text
     * @returns {string | null}
     */
    send(text) {
      if (c.stopped) return "Nicht mit dem Raum verbunden.";
      const id = `m-${crypto.randomUUID()}`;
      if (chatFrame(id, text) === null) {
        return "Nachricht zu groß (mehr als 64 KiB als JSON, z. B. durch Steuerzeichen): bitte kürzen.";
      }
      c.state = addPending(c.state, { id, text, at: Date.now() });
      flush();
      h.onState(c.state);
      return null;
    },
    /** Leaves the room: no retry, no callbacks afterwards. */
    close() {
      halt();
      c.ws?.close(1000, "leave");
      c.ws = null;
    },
  };
}
