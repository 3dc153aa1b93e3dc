// Presence area (public/presence.html): a heartbeat every 25 s while the page is open (and an
// `offline` beat when it is left), a pair code, matching (polled every 5 s until a second person
// with the same code is online), then the matched room live in the page (room-view.js).
//
// Element ids the browser suite uses: #pairForm, #pairCode, #matchStart, #matchStop, #thinkerId,
// #heartbeatState, #matchState (`data-room-id` once matched), plus the room view's ids
// (room-view.js): #roomView, #roomName, #connState, #roomStatus, #members, #chat, #chatForm,
// #chatText, #chatSend, #events, #roomLeave.

import { $, api, fmt, mountShell, say, showSignedOut, withProgress, ready } from "./core.js";
import { roomView } from "./room-view.js";

/** The portal's beat (the server counts a person online for 60 s after the last one). */
const HEARTBEAT_MS = 25_000;
/** How often a search asks whether the other person is there yet. */
const MATCH_POLL_MS = 5_000;
const PAIR_CODE = /^[A-Za-z0-9._-]{1,64}$/;

const me = await mountShell("/presence.html");
if (!me) showSignedOut();
else start(me);
ready();

/** @param {{thinker_id: string, pair_code: string | null}} me */
function start(me) {
  const thinker = me.thinker_id;
  $("thinkerId").textContent = thinker;
  if (me.pair_code) $("pairCode").value = me.pair_code;
  const view = roomView($("roomHost"));
  let pairCode = me.pair_code ?? null;
  let beatTimer = 0;
  let pollTimer = 0;

  async function beat(status = "online") {
    try {
      const body = { thinker_id: thinker, status, ...(pairCode ? { pair_code: pairCode } : {}) };
      const { last_seen } = await api("/api/presence/heartbeat", { body });
      $("heartbeatState").textContent = `online, zuletzt ${fmt(last_seen)}`;
    } catch (err) {
      $("heartbeatState").textContent = `Fehler: ${err instanceof Error ? err.message : err}`;
    }
  }

  function startBeats() {
    clearInterval(beatTimer);
    beatTimer = setInterval(() => void beat(), HEARTBEAT_MS);
  }

  async function poll() {
    const { room_id } = await api("/api/presence/match", { body: { thinker_id: thinker, pair_code: pairCode } });
    if (!room_id) {
      $("matchState").textContent = `Warte auf einen zweiten Menschen mit „${pairCode}“ …`;
      pollTimer = setTimeout(() => void poll().catch(showPollError), MATCH_POLL_MS);
      return;
    }
    $("matchState").textContent = `Gefunden: ${room_id}`;
    $("matchState").dataset.roomId = room_id;
    $("matchStop").hidden = true;
    if (view.roomId !== room_id) view.open(room_id);
  }

  function showPollError(err) {
    say(err instanceof Error ? err.message : String(err), true);
    $("matchState").textContent = "Suche unterbrochen.";
    $("matchStop").hidden = true;
  }

  $("pairForm").addEventListener("submit", (e) => {
    e.preventDefault();
    const code = $("pairCode").value.trim();
    if (!PAIR_CODE.test(code)) {
      say("Pair-Code: 1–64 Zeichen aus A–Z, a–z, 0–9 und . _ -", true);
      return;
    }
    withProgress($("matchStart"), "Suche", async () => {
      clearTimeout(pollTimer);
      pairCode = code;
      delete $("matchState").dataset.roomId;
      await beat();
      $("matchStop").hidden = false;
      await poll();
      say("");
    });
  });

  $("matchStop").addEventListener("click", () => {
    clearTimeout(pollTimer);
    $("matchStop").hidden = true;
    $("matchState").textContent = "Suche beendet.";
  });

  // Leaving the page tells the others at once instead of after the 60 s window; keepalive lets
  // the request outlive the page.
  addEventListener("pagehide", () => {
    void fetch("/api/presence/heartbeat", {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ thinker_id: thinker, status: "offline" }),
    }).catch(() => {});
  });

  void beat();
  startBeats();
}
