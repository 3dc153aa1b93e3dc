// My data (public/me.html): the export of everything stored about me (`GET /api/me/export`, saved
// as a file) and self-erasure (`DELETE /api/me` with `{confirm: "<own uid>"}`), confirmed twice:
// a checkbox and the uid typed out. Afterwards the page shows the erased state and this browser
// keeps nothing: localStorage is cleared and the device key deleted.
//
// Element ids the browser suite uses: #exportDownload, #exportSummary, #eraseForm, #eraseAck,
// #eraseUid, #eraseConfirm, #eraseSubmit (disabled until both confirmations hold), #erased,
// #erasedText, #status.

import { $, ApiError, api, el, fmt, forgetMe, mountShell, say, showSignedOut, withProgress, ready } from "./core.js";
import { dropDeviceKey } from "./device.js";

const me = await mountShell("/me.html");
if (!me) showSignedOut();
else start(me);
ready();

/** The file name of the export: from Content-Disposition, else the API's naming rule. */
function fileName(res, uid) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get("content-disposition") ?? "");
  return m?.[1] ? decodeURIComponent(m[1]) : `together-systems-${uid}.json`;
}

function start(me) {
  $("eraseUid").textContent = me.uid;

  $("exportDownload").addEventListener("click", () =>
    withProgress($("exportDownload"), "Stelle den Export zusammen", async () => {
      const res = await fetch("/api/me/export", { credentials: "same-origin" });
      if (!res.ok) {
        const data = await res.json().catch(() => null);
        throw new ApiError(res.status, data?.code ?? "http_error", data?.error ?? `HTTP ${res.status}`);
      }
      const blob = await res.blob();
      const name = fileName(res, me.uid);
      // A short summary, so the person sees what the file holds without opening it.
      try {
        const data = JSON.parse(await blob.text());
        // Lists at the top level and one level down (e.g. `vouchers.issued`), with their lengths.
        const parts = Object.entries(data).flatMap(([k, v]) =>
          Array.isArray(v)
            ? [`${k}: ${v.length}`]
            : v && typeof v === "object"
              ? Object.entries(v)
                  .filter(([, w]) => Array.isArray(w))
                  .map(([j, w]) => `${k}.${j}: ${w.length}`)
              : [],
        );
        $("exportSummary").textContent = `${name} (${blob.size} Bytes)${parts.length ? ` – ${parts.join(", ")}` : ""}`;
      } catch {
        $("exportSummary").textContent = `${name} (${blob.size} Bytes)`;
      }
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      say("Export heruntergeladen.");
    }),
  );

  const armed = () => $("eraseAck").checked && $("eraseConfirm").value.trim() === me.uid;
  const update = () => {
    $("eraseSubmit").disabled = !armed();
  };
  $("eraseAck").addEventListener("change", update);
  $("eraseConfirm").addEventListener("input", update);

  $("eraseForm").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!armed()) return say("Bitte beide Bestätigungen geben: Häkchen setzen und deine uid eintippen.", true);
    withProgress($("eraseSubmit"), "Lösche deine Daten", async () => {
      const res = await api("/api/me", { method: "DELETE", body: { confirm: $("eraseConfirm").value.trim() } });
      // Nothing of the erased identity stays in this browser.
      localStorage.clear();
      await dropDeviceKey();
      forgetMe();
      $("exportBox").hidden = true;
      $("eraseBox").hidden = true;
      $("erased").hidden = false;
      $("erasedText").textContent = `Gelöscht am ${fmt(res.erasedAt ?? Date.now())}.`;
      $("who").textContent = "Nicht angemeldet.";
      say("Deine Daten sind gelöscht.");
    });
  });
}
