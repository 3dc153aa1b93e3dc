// Legal hub (public/legal.html): upload a document with a progress bar, list the documents I may
// see (all, or those of one voucher or room), download one and verify its SHA-256 in the browser
// against the stored hash, link a document to a voucher, room or mortgage object, and unlink.
//
// An upload carries an Idempotency-Key saved before it is sent (named after the file and the
// fields), so a retry after a lost answer or a reload returns the first document instead of
// storing a second one. A document's links come from the server (any device shows the same).
//
// Element ids the browser suite uses: #uploadForm (#uploadFile #uploadName #uploadVoucher
// #uploadRoom #uploadSubmit), #uploadProgress, #uploadResult; #listFilter (#filterVoucher
// #filterRoom #filterSubmit), #docList (per document: row data-id, #download-<id> downloads and
// verifies, #check-<id> shows "Prüfsumme stimmt" or the mismatch, #linkbtn-<id> fills the link
// form); #linkForm (#linkDoc #linkKind #linkTarget #linkRole #linkSubmit), #linkList
// (#unlink-<linkId>), #unlinkForm (#unlinkDoc #unlinkId #unlinkSubmit); #status.

import {
  $,
  api,
  ApiError,
  el,
  fmt,
  mountShell,
  onSubmit,
  opDone,
  opKey,
  paged,
  say,
  showSignedOut,
  withProgress,
} from "./core.js";
import { formatBytes, hashVerdict, opName, toHex } from "./deals-format.js";

/**
 * Uploads with XMLHttpRequest, whose upload events give the progress bar (fetch has none for a
 * request body). Resolves to the parsed answer; rejects with an ApiError carrying the API's text.
 * @param {FormData} form
 * @param {(loaded: number, total: number) => void} onProgress
 */
function upload(form, op, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/contracts/upload");
    xhr.withCredentials = true;
    xhr.setRequestHeader("idempotency-key", opKey(op));
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {}
      // A final answer ends the operation; a 5xx or a request still in flight keeps its key for the retry.
      if (xhr.status < 500 && data?.code !== "idempotency_request_in_flight") opDone(op);
      if (xhr.status >= 200 && xhr.status < 300 && data?.ok) resolve(data);
      else reject(new ApiError(xhr.status, data?.code ?? "http_error", data?.error ?? `HTTP ${xhr.status}`, data?.details));
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "network", "Keine Verbindung zum Server. Bitte erneut versuchen.")),
    );
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "Hochladen abgebrochen.")));
    xhr.send(form);
  });
}

/** The download's file name from Content-Disposition (the exact UTF-8 one first). */
function fileName(res, fallback) {
  const cd = res.headers.get("content-disposition") ?? "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {}
  }
  return /filename="?([^";]+)"?/i.exec(cd)?.[1] ?? fallback;
}

function start(me) {
  let filter = { voucherId: "", roomId: "" };

  async function refreshDocs() {
    const container = $("docList");
    try {
      await paged(
        container,
        async (cursor) => {
          const s = new URLSearchParams();
          if (filter.voucherId) s.set("voucherId", filter.voucherId);
          if (filter.roomId) s.set("roomId", filter.roomId);
          if (cursor) s.set("cursor", cursor);
          const r = await api(`/api/contracts/list?${s}`);
          return { items: r.items, nextCursor: r.nextCursor };
        },
        renderDoc,
        { empty: filter.voucherId || filter.roomId ? "Kein Dokument an diesem Ziel." : "Noch kein Dokument." },
      );
    } catch (err) {
      container.replaceChildren(
        el("tr", {}, el("td", { colSpan: 8, class: "error" }, err instanceof Error ? err.message : String(err))),
      );
    }
  }

  function renderDoc(d) {
    const check = el("span", { id: `check-${d.id}`, class: "muted" }, "–");
    const dl = el("button", { type: "button", id: `download-${d.id}`, class: "small" }, "Herunterladen");
    dl.addEventListener("click", () => withProgress(dl, `Lade ${d.name}`, () => download(d, check)));
    const ln = el("button", { type: "button", id: `linkbtn-${d.id}`, class: "small" }, "Verknüpfen");
    ln.addEventListener("click", () =>
      withProgress(ln, "Lade Verknüpfungen", async () => {
        $("linkDoc").value = d.id;
        $("unlinkDoc").value = d.id;
        await showLinks(d.id);
        $("linkTarget").focus();
        say(`Dokument ${d.name} ins Verknüpfungsformular übernommen.`);
      }),
    );
    return el(
      "tr",
      { dataset: { id: d.id } },
      el("td", {}, d.name, el("br"), el("span", { class: "muted mono" }, d.id)),
      el("td", {}, d.mimeType),
      el("td", {}, formatBytes(d.byteSize)),
      el("td", { class: "mono", title: d.hashSha256 }, d.hashSha256),
      el("td", {}, d.createdBy === me.uid ? "ich" : d.createdBy),
      el("td", {}, fmt(d.createdAt)),
      el("td", {}, check),
      el("td", {}, el("div", { class: "actions" }, dl, ln)),
    );
  }

  /** Downloads the bytes, hashes them with WebCrypto, shows the verdict, then saves the file. */
  async function download(d, check) {
    const res = await fetch(d.downloadUrl || `/api/contracts/${encodeURIComponent(d.id)}/download`, {
      credentials: "same-origin",
    });
    if (!res.ok) {
      const data = await res.json().catch(() => null);
      throw new ApiError(res.status, data?.code ?? "http_error", data?.error ?? `HTTP ${res.status}`);
    }
    const bytes = await res.arrayBuffer();
    const computed = toHex(await crypto.subtle.digest("SHA-256", bytes));
    const verdict = hashVerdict(computed, d.hashSha256);
    check.textContent = verdict.ok ? "Prüfsumme stimmt" : "Prüfsumme stimmt NICHT";
    check.className = verdict.ok ? "ok" : "error";
    check.title = `berechnet ${computed}`;
    const blob = new Blob([bytes], { type: d.mimeType });
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: fileName(res, d.name), hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    say(`${d.name}: ${formatBytes(bytes.byteLength)} heruntergeladen. ${verdict.text}`, !verdict.ok);
  }

  onSubmit($("uploadForm"), "Lade hoch", async () => {
    const file = $("uploadFile").files?.[0];
    if (!file) throw new Error("Bitte eine Datei wählen.");
    const form = new FormData();
    // Fields before the file: the server reads the parts in order as they stream in.
    for (const [field, input] of [
      ["name", "uploadName"],
      ["voucherId", "uploadVoucher"],
      ["roomId", "uploadRoom"],
    ]) {
      const v = $(input).value.trim();
      if (v) form.append(field, v);
    }
    form.append("file", file, file.name);
    // The same file with the same fields is the same upload: its key survives a reload.
    const op = opName("contracts.upload", [
      [...form.entries()].filter(([k]) => k !== "file"),
      file.name,
      file.size,
      file.lastModified,
    ]);
    const bar = $("uploadProgress");
    bar.hidden = false;
    bar.value = 0;
    try {
      const r = await upload(form, op, (loaded, total) => {
        bar.value = Math.floor((loaded * 100) / total);
        say(`Lade hoch … ${formatBytes(loaded)} von ${formatBytes(total)}`);
      });
      bar.value = 100;
      $("uploadResult").textContent =
        `${r.contract.name} gespeichert (${formatBytes(r.contract.byteSize)}, SHA-256 ${r.contract.hashSha256})`;
      if (r.linkId) await showLinks(r.contract.id);
      say(`Hochgeladen: ${r.contract.name}.`);
      $("uploadForm").reset();
      await refreshDocs();
    } finally {
      bar.hidden = true;
    }
  });

  onSubmit($("listFilter"), "Lade Dokumente", async () => {
    filter = { voucherId: $("filterVoucher").value.trim(), roomId: $("filterRoom").value.trim() };
    await refreshDocs();
    say("");
  });

  /** Shows the links of document `contractId` as the server keeps them (any device sees the same). */
  async function showLinks(contractId) {
    const { links } = await api(`/api/contracts/${encodeURIComponent(contractId)}/links`);
    $("linksOf").textContent = contractId;
    const rows = links.map((l) => {
      const b = el("button", { type: "button", id: `unlink-${l.id}`, class: "small danger" }, "Lösen");
      b.addEventListener("click", () => withProgress(b, "Löse Verknüpfung", () => unlink(l.contractId, l.id)));
      return el(
        "tr",
        { dataset: { linkId: l.id } },
        el("td", { class: "mono" }, l.contractId),
        el("td", {}, `${l.subjectType}: ${l.subjectId}`),
        el("td", {}, l.role),
        el("td", {}, fmt(l.createdAt)),
        el("td", {}, b),
      );
    });
    $("linkList").replaceChildren(
      ...(rows.length
        ? rows
        : [el("tr", {}, el("td", { colSpan: 5, class: "muted" }, "Dieses Dokument ist nirgends verknüpft."))]),
    );
  }

  async function unlink(contractId, linkId) {
    try {
      await api(`/api/contracts/${encodeURIComponent(contractId)}/links/${encodeURIComponent(linkId)}`, { method: "DELETE" });
    } catch (err) {
      // A link that is gone already is what the person wanted; forget it here too.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    await showLinks(contractId);
    say("Verknüpfung gelöst.");
    await refreshDocs();
  }

  onSubmit($("linkForm"), "Verknüpfe", async () => {
    const id = $("linkDoc").value.trim();
    const kind = $("linkKind").value;
    const target = $("linkTarget").value.trim();
    if (!id || !target) throw new Error("Bitte Dokument und Ziel angeben.");
    const body =
      kind === "voucher"
        ? { voucherId: target, role: $("linkRole").value }
        : kind === "room"
          ? { roomId: target, role: $("linkRole").value }
          : { mortgage: { object: kind, id: target }, role: $("linkRole").value };
    const r = await api(`/api/contracts/${encodeURIComponent(id)}/links`, { body, op: opName(`contracts.link:${id}`, body) });
    await showLinks(id);
    $("unlinkDoc").value = id;
    $("unlinkId").value = r.link.id;
    say(`Verknüpft (${r.link.id}).`);
  });

  onSubmit($("unlinkForm"), "Löse Verknüpfung", () => unlink($("unlinkDoc").value.trim(), $("unlinkId").value.trim()));

  withProgress(null, "Lade Dokumente", refreshDocs).then(() => say(""));
}

// Last, so every helper above is initialised before the page starts.
const me = await mountShell("/legal.html");
if (!me) showSignedOut();
else start(me);
