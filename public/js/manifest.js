// Manifest (public/manifest.html): import the offline manifest's export file
// (`{source, version, posts: [...]}`), submit it, and show each post's outcome (created, updated,
// unchanged, conflict, invalid with the reason); list the posts with filters (author, type, changed
// since) and paging. The submission needs no idempotency key: the server's upsert is idempotent
// by construction (a repeat answers `unchanged`), so a reload and a resubmit are harmless.
//
// Element ids the browser suite uses: #importForm (#importFile #importSubmit), #importPreview,
// #importSummary, #importResults (one row per post, data-status = the outcome);
// #postFilter (#fAuthor #fType #fSince #fMine #filterSubmit), #postList (rows data-client-id);
// #status.

import { $, api, el, fmt, mountShell, onSubmit, paged, say, showSignedOut, withProgress } from "./core.js";
import { parseExport, syncResultText, syncSummary } from "./deals-format.js";

/** A post's title or the start of its content, for a result or list row. */
function preview(post) {
  if (!post || typeof post !== "object") return "";
  const text = post.title || post.content || post.body || "";
  return typeof text === "string" && text.length > 80 ? `${text.slice(0, 80)}…` : String(text);
}

function start(me) {
  let filter = { author: "", type: "", since: "" };
  /** The parsed export of the chosen file, kept so the results can name each post. */
  let chosen = null;

  $("importFile").addEventListener("change", async () => {
    const file = $("importFile").files?.[0];
    chosen = null;
    $("importResults").replaceChildren();
    $("importSummary").textContent = "";
    if (!file) return;
    const parsed = parseExport(await file.text());
    if (!parsed.ok) {
      $("importPreview").textContent = "";
      say(parsed.error, true);
      return;
    }
    chosen = parsed.value;
    $("importPreview").textContent =
      `${file.name}: Quelle „${chosen.source}“, Version ${chosen.version}, ${chosen.posts.length} Beiträge.`;
    say("");
  });

  onSubmit($("importForm"), "Übertrage Beiträge", async () => {
    if (!chosen) {
      const file = $("importFile").files?.[0];
      if (!file) throw new Error("Bitte die Exportdatei wählen.");
      const parsed = parseExport(await file.text());
      if (!parsed.ok) throw new Error(parsed.error);
      chosen = parsed.value;
    }
    const r = await api("/api/manifest/submit", { body: chosen });
    const posts = chosen.posts;
    $("importResults").replaceChildren(
      ...r.results.map((res) => {
        const { label, reason } = syncResultText(res);
        const post = posts[res.index];
        return el(
          "tr",
          { dataset: { status: res.status } },
          el("td", {}, String(res.index + 1)),
          el(
            "td",
            {},
            el("span", { class: "mono" }, res.clientId ?? "–"),
            el("br"),
            el("span", { class: "muted" }, preview(post)),
          ),
          el("td", { class: `result-${res.status}` }, label),
          el("td", {}, reason),
        );
      }),
    );
    const summary = syncSummary(r.results);
    $("importSummary").textContent = `Ergebnis: ${summary}.`;
    say(`Übertragen: ${summary}.`);
    await refresh();
  });

  async function refresh() {
    const container = $("postList");
    try {
      await paged(
        container,
        async (cursor) => {
          const s = new URLSearchParams();
          for (const [k, v] of Object.entries(filter)) if (v) s.set(k, v);
          if (cursor) s.set("cursor", cursor);
          const r = await api(`/api/manifest/list?${s}`);
          return { items: r.posts, nextCursor: r.nextCursor };
        },
        (p) =>
          el(
            "tr",
            { dataset: { clientId: p.clientId } },
            el(
              "td",
              {},
              p.title ?? el("span", { class: "muted" }, "(ohne Titel)"),
              el("br"),
              el("span", { class: "muted mono" }, p.clientId),
            ),
            el("td", {}, p.authorUid === me.uid ? "ich" : p.authorUid, p.initials ? ` (${p.initials})` : ""),
            el("td", {}, p.type, p.visibility === "private" ? " · privat" : ""),
            el("td", {}, preview({ content: p.content })),
            el("td", {}, String(p.version)),
            el("td", {}, fmt(p.updatedAt)),
          ),
        { empty: "Keine Beiträge." },
      );
    } catch (err) {
      container.replaceChildren(
        el("tr", {}, el("td", { colSpan: 6, class: "error" }, err instanceof Error ? err.message : String(err))),
      );
    }
  }

  onSubmit($("postFilter"), "Lade Beiträge", async () => {
    const since = $("fSince").value;
    const type = $("fType").value.trim().toLowerCase();
    if (type && !/^[a-z0-9._-]{1,40}$/.test(type))
      throw new Error("Art: Kleinbuchstaben, Ziffern, . _ - (höchstens 40 Zeichen).");
    filter = {
      author: $("fMine").checked ? me.uid : $("fAuthor").value.trim(),
      type,
      // The local day's start, as an instant.
      since: since ? new Date(`${since}T00:00:00`).toISOString() : "",
    };
    await refresh();
    say("");
  });

  withProgress(null, "Lade Beiträge", refresh).then(() => say(""));
}

// Last, so every helper above is initialised before the page starts.
const me = await mountShell("/manifest.html");
if (!me) showSignedOut();
else start(me);
