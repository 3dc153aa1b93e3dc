// Identity page (public/index.html), where the offline manifest's signed link lands:
// `#mot=…&uid=…&ts=…&sig=…` is verified once (POST /api/presence/verify sets the session cookie)
// and removed from the address bar at once, so neither a reload nor the history replays it. Then:
// who am I (uid, thinker id, pair code, roles, session expiry), logout (of every device: the only
// logout the server has), this device's key (registered after a verify, used to renew an expired
// session by signing a challenge) and, without session and key, the way back: the manifest.
//
// Element ids the browser suite uses:
//   #who (shell: "Verifiziert als <uid>"), #signedIn, #meUid, #meThinker, #mePairCode, #meRoles,
//   #meExpires, #logoutAll, #devices, #deviceState, #deviceRegister, #deviceForget,
//   #deviceKeys (rows `tr[data-key-id]` with a "Entfernen" button), #signedOut, #deviceLoginBox,
//   #deviceLogin, #needManifest, #areaList, #status.

import { $, AREAS, ApiError, api, button, el, fmt, forgetMe, mountShell, say, UID_KEY, withProgress, ready } from "./core.js";
import { deviceLogin, dropDeviceKey, loadDeviceKey, registerDeviceKey } from "./device.js";

/** What a refused link means for the person, in German, by the API's code. */
const LINK_HINTS = {
  link_replayed: "Dieser Link wurde schon benutzt.",
  link_expired: "Dieser Link ist abgelaufen (er gilt fünf Minuten).",
  link_from_future: "Die Uhr dieses Geräts geht vor: der Link liegt in der Zukunft.",
  invalid_signature: "Der Link ist nicht gültig signiert.",
  link_revoked: "Dieses Offline-Manifest wurde gesperrt. Bitte ein neues besorgen.",
};

/** Reads the signed link from the hash; null when the hash carries none. */
function linkFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.get("sig")) return null;
  return {
    mot: params.get("mot") ?? params.get("token") ?? "",
    uid: params.get("uid") ?? "",
    ts: Number(params.get("ts")),
    sig: params.get("sig") ?? "",
  };
}

/** Verifies the link; the answer of verify, or undefined after a shown error. */
async function verify(link) {
  return withProgress(null, "Prüfe den Link", async () => {
    try {
      const data = await api("/api/presence/verify", { body: link });
      localStorage.setItem(UID_KEY, data.uid);
      forgetMe();
      say("Angemeldet.");
      return data;
    } catch (err) {
      const hint = err instanceof ApiError ? LINK_HINTS[err.code] : undefined;
      throw new Error(
        hint ? `${hint} Öffne das Portal erneut aus deinem Offline-Manifest. (${err.message})` : String(err.message),
      );
    }
  });
}

let expiryTimer = 0;

/**
 * Renders the page for the current session. `verified`: the answer of a verify or device login
 * made by this page load (used when `GET /api/me` cannot answer, and to register a device key).
 */
async function show(verified) {
  clearTimeout(expiryTimer);
  let me = await mountShell("/");
  if (!me && verified) {
    // The session was just made; show what verify said even if the profile route cannot answer.
    me = {
      uid: verified.uid,
      thinker_id: verified.thinker_id,
      pair_code: verified.pair_code,
      expiresAt: verified.expiresAt,
      roles: [],
    };
    $("who").textContent = `Verifiziert als ${me.uid}`;
  }
  $("signedIn").hidden = !me;
  $("devices").hidden = !me;
  $("signedOut").hidden = Boolean(me);
  if (!me) return showSignedOut();

  $("meUid").textContent = me.uid;
  $("meThinker").textContent = me.thinker_id;
  $("mePairCode").textContent = me.pair_code ?? "– (noch keiner; setze ihn unter „Begegnen“)";
  $("meRoles").textContent = me.roles?.length ? me.roles.join(", ") : "–";
  $("meExpires").textContent = me.expiresAt ? fmt(me.expiresAt) : "–";
  // When the session runs out while the page is open, show the signed-out state by itself.
  const left = me.expiresAt ? Date.parse(me.expiresAt) - Date.now() : Number.NaN;
  if (Number.isFinite(left) && left < 2 ** 31 - 1) {
    expiryTimer = setTimeout(() => {
      forgetMe();
      void show(undefined);
    }, Math.max(left, 0) + 1000);
  }

  let key = await loadDeviceKey();
  if (key && key.uid !== me.uid) {
    // A key of another identity on this browser is of no use to this one.
    await dropDeviceKey();
    key = null;
  }
  if (!key && verified && window.isSecureContext) {
    key = await withProgress(null, "Registriere den Schlüssel dieses Geräts", async () => {
      const k = await registerDeviceKey(me.uid);
      say("Angemeldet; dieses Gerät kann die Sitzung künftig selbst erneuern.");
      return k;
    });
    forgetMe();
    const fresh = await mountShellQuiet();
    if (fresh) me = fresh;
  }
  renderDevices(me, key ?? null);
}

/** `whoAmI` again after a change, without re-rendering the shell. */
async function mountShellQuiet() {
  try {
    return await api("/api/me");
  } catch {
    return null;
  }
}

function renderDevices(me, key) {
  $("deviceState").textContent = key
    ? `Dieses Gerät hat einen Schlüssel (seit ${fmt(key.createdAt)}).`
    : "Dieses Gerät hat keinen Schlüssel: nach Ablauf der Sitzung brauchst du einen neuen Link aus dem Manifest.";
  $("deviceRegister").hidden = Boolean(key);
  $("deviceForget").hidden = !key;
  const keys = Array.isArray(me.deviceKeys) ? me.deviceKeys : [];
  const rows = keys.map((k) =>
    el(
      "tr",
      { dataset: { keyId: k.keyId } },
      el("td", {}, `${k.label ?? "Gerät"}${key?.keyId === k.keyId ? " (dieses Gerät)" : ""}`),
      el("td", {}, k.createdAt ? fmt(k.createdAt) : "–"),
      el("td", {}, k.lastUsedAt ? fmt(k.lastUsedAt) : "–"),
      el(
        "td",
        {},
        button("Entfernen", async () => {
          await api(`/api/presence/device-key/${encodeURIComponent(k.keyId)}`, { method: "DELETE" });
          if (key?.keyId === k.keyId) await dropDeviceKey();
          forgetMe();
          await show(undefined);
          say("Schlüssel entfernt.");
        }),
      ),
    ),
  );
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colSpan: 4, class: "muted" }, "Keine Geräteschlüssel.")));
  $("deviceKeys").replaceChildren(...rows);
}

async function showSignedOut() {
  const key = await loadDeviceKey();
  $("deviceLoginBox").hidden = !key;
  $("needManifest").hidden = Boolean(key);
}

$("deviceRegister").addEventListener("click", () =>
  withProgress($("deviceRegister"), "Registriere den Schlüssel dieses Geräts", async () => {
    const me = await api("/api/me");
    await registerDeviceKey(me.uid);
    forgetMe();
    await show(undefined);
    say("Dieses Gerät ist gemerkt.");
  }),
);

$("deviceForget").addEventListener("click", () =>
  withProgress($("deviceForget"), "Vergesse den Schlüssel dieses Geräts", async () => {
    const key = await loadDeviceKey();
    if (key) {
      try {
        await api(`/api/presence/device-key/${encodeURIComponent(key.keyId)}`, { method: "DELETE" });
      } catch (err) {
        // Already gone on the server: forgetting it here is all that is left to do.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    await dropDeviceKey();
    forgetMe();
    await show(undefined);
    say("Dieses Gerät ist vergessen.");
  }),
);

$("deviceLogin").addEventListener("click", () =>
  withProgress($("deviceLogin"), "Melde mit dem Schlüssel dieses Geräts an", async () => {
    try {
      const data = await deviceLogin();
      localStorage.setItem(UID_KEY, data.uid);
      forgetMe();
      await show(data);
      say("Angemeldet mit dem Schlüssel dieses Geräts.");
    } catch (err) {
      await showSignedOut();
      throw err;
    }
  }),
);

// Logout ends the session on every device (the server moves the session generation on and revokes
// the device keys); this device forgets its key and the uid, so the page shows the signed-out state.
$("logoutAll").addEventListener("click", () =>
  withProgress($("logoutAll"), "Melde ab", async () => {
    try {
      await api("/api/presence/logout", { body: {} });
    } catch (err) {
      // An already ended session is logged out too; anything else is shown.
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    await dropDeviceKey();
    localStorage.removeItem(UID_KEY);
    forgetMe();
    await show(undefined);
    say("Abgemeldet auf allen Geräten.");
  }),
);

$("areaList").replaceChildren(
  ...AREAS.filter(([href]) => href !== "/").map(([href, label]) => el("li", {}, el("a", { href }, label))),
);

const link = linkFromHash();
// The link is single-use and carries a signature: out of the address bar before anything else.
if (link) history.replaceState(null, "", location.pathname + location.search);
const verified = link ? await verify(link) : undefined;
await show(verified);
ready();
