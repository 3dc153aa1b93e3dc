// Minimal portal over the Together Systems API: verify a signed link, issue, list, book,
// reschedule and cancel vouchers. Plain ES module, same-origin fetch (the session is an
// HttpOnly cookie set by /api/presence/verify).

const $ = (id) => document.getElementById(id);
const UID_KEY = "mot_user_id_v1";
const PENDING_KEY = "ts_pending_ops_v1";
let uid = localStorage.getItem(UID_KEY);

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "muted";
}

// Idempotency keys are created and saved BEFORE a write is sent, so a reload or retry of the
// same operation reuses its key and can never book twice.
function opKey(op) {
  const pending = JSON.parse(localStorage.getItem(PENDING_KEY) || "{}");
  pending[op] ??= crypto.randomUUID();
  localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  return pending[op];
}
function opDone(op) {
  const pending = JSON.parse(localStorage.getItem(PENDING_KEY) || "{}");
  delete pending[op];
  localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

async function api(path, body, op) {
  const init = { credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["content-type"] = "application/json";
    if (op) init.headers["idempotency-key"] = opKey(op);
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }));
  if (op && res.status < 500 && res.status !== 409) opDone(op);
  if (!res.ok || !data.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

const fmt = (iso) => new Date(iso).toLocaleString("de-DE", { dateStyle: "short", timeStyle: "short" });
// Minor units shown with two decimals by string arithmetic: money never passes through a float.
const money = (p) => {
  if (!p) return "–";
  const digits = String(Math.abs(p.amount)).padStart(3, "0");
  return `${p.amount < 0 ? "-" : ""}${digits.slice(0, -2)}.${digits.slice(-2)} ${p.currency}`;
};
const cell = (text) => Object.assign(document.createElement("td"), { textContent: text });
function button(label, onClick) {
  const b = Object.assign(document.createElement("button"), { textContent: label, type: "button" });
  b.addEventListener("click", () => onClick().catch((e) => say(e.message, true)));
  return b;
}

async function verifyFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.get("sig")) return;
  history.replaceState(null, "", location.pathname);
  const body = {
    mot: params.get("mot") ?? params.get("token"),
    uid: params.get("uid"),
    ts: Number(params.get("ts")),
    sig: params.get("sig"),
  };
  const data = await api("/api/presence/verify", body);
  uid = data.uid;
  localStorage.setItem(UID_KEY, uid);
  localStorage.setItem("mot_verified_v1", JSON.stringify({ uid, thinker_id: data.thinker_id, expiresAt: data.expiresAt }));
}

async function loadTemplates() {
  const { items } = await api("/api/voucher/templates");
  $("template").replaceChildren(...items.map((t) => new Option(`${t.title} (${t.durationMinutes} min)`, t.templateId)));
}

async function loadVouchers() {
  if (!uid) return;
  const { items } = await api(`/api/voucher/list?limit=100`);
  $("vouchers").replaceChildren(
    ...items.map((v) => {
      const tr = document.createElement("tr");
      const role = v.issuerUid === uid ? "Aussteller" : "Inhaber";
      tr.append(cell(v.title), cell(v.status), cell(money(v.price)), cell(fmt(v.validUntil)), cell(role));
      const actions = document.createElement("td");
      if (v.status === "issued") actions.append(button("Termine", () => showSlots(v)));
      if (v.issuerUid === uid && (v.status === "issued" || v.status === "booked")) {
        actions.append(
          button("Einlösen", async () => {
            await api("/api/voucher/redeem", { voucherId: v.voucherId }, `redeem:${v.voucherId}`);
            await refresh("Eingelöst.");
          }),
        );
      }
      tr.append(actions);
      return tr;
    }),
  );
}

async function showSlots(v, reschedule) {
  const { items } = await api(`/api/slots/available?voucherId=${encodeURIComponent(v.voucherId)}&limit=48`);
  $("slotsBox").hidden = false;
  $("slotsFor").textContent = `– ${v.title}${reschedule ? " (verschieben)" : ""}`;
  $("slots").replaceChildren(
    ...items.map((s) =>
      button(fmt(s.start), async () => {
        if (reschedule)
          await api(
            "/api/voucher/reschedule",
            { bookingId: reschedule, slotId: s.slotId },
            `reschedule:${reschedule}:${s.slotId}`,
          );
        else {
          if (!confirm(`${v.title} am ${fmt(s.start)} buchen?`)) return;
          await api(
            "/api/voucher/book",
            { voucherId: v.voucherId, slotId: s.slotId, holderUid: uid },
            `book:${v.voucherId}:${s.slotId}`,
          );
        }
        $("slotsBox").hidden = true;
        await refresh(reschedule ? "Verschoben." : "Gebucht.");
      }),
    ),
  );
}

async function loadBookings() {
  if (!uid) return;
  const { items } = await api(`/api/voucher/bookings?limit=100`);
  $("bookings").replaceChildren(
    ...items.map((b) => {
      const tr = document.createElement("tr");
      tr.append(cell(b.voucherId), cell(fmt(b.slotStart)), cell(fmt(b.slotEnd)), cell(b.status));
      const actions = document.createElement("td");
      if (b.status === "booked") {
        actions.append(
          button("Verschieben", () => showSlots({ voucherId: b.voucherId, title: b.voucherId }, b.bookingId)),
          button("Stornieren", async () => {
            await api("/api/voucher/cancel", { bookingId: b.bookingId }, `cancel:${b.bookingId}`);
            await refresh("Storniert.");
          }),
        );
      }
      tr.append(actions);
      return tr;
    }),
  );
}

async function refresh(message) {
  await Promise.all([loadVouchers(), loadBookings()]);
  if (message) say(message);
}

$("issueForm").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const amount = $("price").value === "" ? null : Number($("price").value);
    const body = { issuerUid: uid, templateId: $("template").value, transferable: true };
    if (amount !== null) body.price = { amount, currency: $("currency").value.toUpperCase() };
    await api("/api/voucher/issue", body, `issue:${crypto.randomUUID()}`);
    await refresh("Voucher ausgestellt.");
  } catch (err) {
    say(err.message, true);
  }
});
$("reloadVouchers").addEventListener("click", () => refresh().catch((e) => say(e.message, true)));

// Logout ends the session on every device (the server moves the session generation on) and
// clears the cookie; the local uid is forgotten so the page shows the unverified state.
$("logout").addEventListener("click", async () => {
  try {
    await api("/api/presence/logout", {});
  } catch (err) {
    // An already ended session is logged out too; anything else is shown.
    if (!/session/.test(err.message)) return say(err.message, true);
  }
  uid = null;
  localStorage.removeItem(UID_KEY);
  localStorage.removeItem("mot_verified_v1");
  $("logout").hidden = true;
  $("who").textContent = "Abgemeldet. Öffne einen neuen signierten Link, um dich wieder zu verifizieren.";
  $("vouchers").replaceChildren();
  $("bookings").replaceChildren();
  say("Abgemeldet.");
});

try {
  await verifyFromHash();
  await loadTemplates();
  if (uid) {
    $("who").textContent = `Verifiziert als ${uid}`;
    $("logout").hidden = false;
    await refresh();
  }
} catch (err) {
  say(err.message, true);
}
