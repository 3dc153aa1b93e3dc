// Voucher area (public/vouchers.html): issue from a template, list what I issued and what I hold
// (cursor paging), free slots, book (confirmed in the page), reschedule, cancel, redeem (issuer),
// transfer to a uid (holder), my bookings. Every write carries an idempotency key saved before it
// is sent (core.js `api` with `op`), so a reload or retry never books or issues twice.
//
// Element ids the browser suite uses:
//   #issueForm, #issueTemplate, #issueTitle, #issuePrice, #issueCurrency, #issueValidFrom,
//   #issueHolder, #issueTransferable, #issueSubmit, #issued (after issuing: "Ausgestellt: <id>",
//   `data-voucher-id`), #bookByIdForm, #bookVoucherId, #bookShowSlots, #slotsBox, #slotsFor,
//   #slots (buttons `button[data-slot-id]`, in time order), #slotsMore, #slotsClose, #confirmBox,
//   #confirmText, #confirmYes, #confirmNo, #transferBox, #transferUid, #transferSubmit,
//   #transferCancel, #issuedList / #heldList (rows `tr[data-voucher-id]`, buttons
//   `button[data-action=slots|redeem|transfer|room]`), #bookingsList (rows `tr[data-booking-id]`,
//   buttons `button[data-action=reschedule|cancel|room]`), #reloadAll, "Mehr laden" buttons
//   #issuedList-more / #heldList-more / #bookingsList-more, #status.

import {
  $,
  api,
  apiPages,
  el,
  fmt,
  money,
  mountShell,
  pagedList,
  parseMoney,
  query,
  ready,
  say,
  showSignedOut,
  withProgress,
} from "./core.js";

const me = await mountShell("/vouchers.html");
if (!me) {
  showSignedOut();
} else {
  await start(me);
}
ready();

/** @param {{uid: string}} me */
async function start(me) {
  const uid = me.uid;

  // -------------------------------------------------------------------------------------------
  // Templates and issuing

  try {
    const { items } = await api("/api/voucher/templates");
    $("issueTemplate").replaceChildren(
      el("option", { value: "" }, "– ohne Vorlage –"),
      ...items.map((t) => el("option", { value: t.templateId }, `${t.title} (${t.durationMinutes} min)`)),
    );
    if (items.length > 0) $("issueTemplate").value = items[0].templateId;
  } catch (err) {
    say(`Vorlagen: ${err instanceof Error ? err.message : err}`, true);
  }

  $("issueForm").addEventListener("submit", (e) => {
    e.preventDefault();
    withProgress($("issueSubmit"), "Stelle aus", async () => {
      /** @type {Record<string, unknown>} */
      const body = { issuerUid: uid, transferable: $("issueTransferable").checked };
      if ($("issueTemplate").value) body.templateId = $("issueTemplate").value;
      const title = $("issueTitle").value.trim();
      if (title) body.title = title;
      else if (!body.templateId) throw new Error("Ohne Vorlage braucht der Voucher einen Titel.");
      const priceText = $("issuePrice").value.trim();
      if (priceText) {
        const amount = parseMoney(priceText);
        if (amount === null) throw new Error("Preis: bitte einen Betrag wie 50 oder 49,90 eingeben.");
        body.price = { amount, currency: $("issueCurrency").value.trim().toUpperCase() };
      }
      if ($("issueValidFrom").value) body.validFrom = new Date($("issueValidFrom").value).toISOString();
      const holder = $("issueHolder").value.trim();
      if (holder) body.holderUid = holder;
      // The same form content is the same operation: a retry after a lost answer is replayed.
      const { voucher } = await api("/api/voucher/issue", { body, op: `issue:${JSON.stringify(body)}` });
      await refresh();
      $("issued").textContent = `Ausgestellt: ${voucher.voucherId}`;
      $("issued").dataset.voucherId = voucher.voucherId;
      say(`Voucher ${voucher.voucherId} ausgestellt.`);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Slots, booking and rescheduling

  /** What the slots panel is for: a booking of `voucher`, or a reschedule of `bookingId`. */
  let slotsTarget = /** @type {null | {voucherId: string, title: string, bookingId?: string}} */ (null);
  let nextFrom = /** @type {string | null} */ (null);

  async function showSlots(target) {
    slotsTarget = target;
    $("slotsBox").hidden = false;
    $("slotsFor").textContent = `– ${target.title}${target.bookingId ? " (verschieben)" : ""}`;
    $("slots").replaceChildren();
    $("confirmBox").hidden = true;
    await loadSlots(null);
    $("slotsBox").scrollIntoView({ block: "nearest" });
  }

  async function loadSlots(from) {
    const t = slotsTarget;
    if (!t) return;
    const page = await api(`/api/slots/available?${query({ voucherId: t.voucherId, limit: "24", from })}`);
    if (slotsTarget !== t) return;
    $("slots").append(
      ...page.items.map((s) => {
        const b = el("button", { type: "button", class: "slot", dataset: { slotId: s.slotId } }, fmt(s.start));
        b.addEventListener("click", () => askSlot(t, s));
        return b;
      }),
    );
    if (!$("slots").firstChild) $("slots").append(el("p", { class: "muted" }, "Keine freien Termine."));
    // The next page starts at the slot the API names (`slot-<ISO instant>`).
    nextFrom = page.nextSlotId ? String(page.nextSlotId).replace(/^slot-/, "") : null;
    $("slotsMore").hidden = !nextFrom;
  }

  $("slotsMore").addEventListener("click", () =>
    withProgress($("slotsMore"), "Lade weitere Termine", async () => {
      await loadSlots(nextFrom);
      say("");
    }),
  );
  $("slotsClose").addEventListener("click", () => {
    $("slotsBox").hidden = true;
    $("confirmBox").hidden = true;
    slotsTarget = null;
  });

  /** Asks in the page (not a blocking dialog) before a booking or a reschedule is sent. */
  function askSlot(t, slot) {
    $("confirmText").textContent = t.bookingId
      ? `Buchung von „${t.title}“ auf ${fmt(slot.start)} verschieben?`
      : `„${t.title}“ am ${fmt(slot.start)} buchen?`;
    $("confirmYes").textContent = t.bookingId ? "Ja, verschieben" : "Ja, buchen";
    $("confirmBox").hidden = false;
    $("confirmYes").onclick = () =>
      withProgress($("confirmYes"), t.bookingId ? "Verschiebe" : "Buche", async () => {
        if (t.bookingId) {
          await api("/api/voucher/reschedule", {
            body: { bookingId: t.bookingId, slotId: slot.slotId },
            op: `reschedule:${t.bookingId}:${slot.slotId}`,
          });
        } else {
          await api("/api/voucher/book", {
            body: { voucherId: t.voucherId, slotId: slot.slotId, holderUid: uid },
            op: `book:${t.voucherId}:${slot.slotId}`,
          });
        }
        $("confirmBox").hidden = true;
        $("slotsBox").hidden = true;
        slotsTarget = null;
        await refresh();
        say(t.bookingId ? `Verschoben auf ${fmt(slot.start)}.` : `Gebucht: ${fmt(slot.start)}.`);
      });
    $("confirmNo").onclick = () => {
      $("confirmBox").hidden = true;
    };
    $("confirmYes").focus();
  }

  $("bookByIdForm").addEventListener("submit", (e) => {
    e.preventDefault();
    const id = $("bookVoucherId").value.trim();
    if (!id) return say("Bitte eine Voucher-ID eingeben.", true);
    withProgress($("bookShowSlots"), "Lade Termine", async () => {
      await showSlots({ voucherId: id, title: id });
      say("");
    });
  });

  // -------------------------------------------------------------------------------------------
  // Transfer

  let transferId = /** @type {string | null} */ (null);
  function askTransfer(v) {
    transferId = v.voucherId;
    $("transferFor").textContent = `– ${v.title}`;
    $("transferBox").hidden = false;
    $("transferUid").focus();
  }
  $("transferCancel").addEventListener("click", () => {
    $("transferBox").hidden = true;
  });
  $("transferForm").addEventListener("submit", (e) => {
    e.preventDefault();
    const toUid = $("transferUid").value.trim();
    const voucherId = transferId;
    if (!voucherId || !toUid) return;
    withProgress($("transferSubmit"), "Übertrage", async () => {
      await api("/api/voucher/transfer", { body: { voucherId, toUid }, op: `transfer:${voucherId}:${toUid}` });
      $("transferBox").hidden = true;
      $("transferUid").value = "";
      await refresh();
      say(`Übertragen an ${toUid}.`);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Lists

  const STATUS = {
    issued: "ausgestellt",
    booked: "gebucht",
    consumed: "eingelöst",
    cancelled: "storniert",
    expired: "abgelaufen",
  };
  const BOOKING_STATUS = { booked: "gebucht", cancelled: "storniert", rescheduled: "verschoben", completed: "erledigt" };

  /** A row button: `data-action` names it for tests and assistive tech alike. */
  function action(label, name, id, run, busy = label) {
    const b = el("button", { type: "button", dataset: { action: name }, id: `${name}-${id}` }, label);
    b.addEventListener("click", () => withProgress(b, busy, run));
    return b;
  }

  const roomLink = (voucherId) =>
    el("a", { href: `/rooms.html#room=${encodeURIComponent(`voucher:${voucherId}`)}`, dataset: { action: "room" } }, "Raum");

  function voucherRow(v, side) {
    const other = side === "issuer" ? v.holderUid : v.issuerUid;
    const acts = el("td", { class: "actions" });
    if (side === "holder" && v.status === "issued") {
      acts.append(action("Termine", "slots", v.voucherId, () => showSlots(v).then(() => say("")), "Lade Termine"));
    }
    if (side === "holder" && v.status === "issued" && v.transferable) {
      acts.append(action("Übertragen", "transfer", v.voucherId, async () => askTransfer(v)));
    }
    if (side === "issuer" && (v.status === "issued" || v.status === "booked")) {
      acts.append(
        action(
          "Einlösen",
          "redeem",
          v.voucherId,
          async () => {
            await api("/api/voucher/redeem", { body: { voucherId: v.voucherId }, op: `redeem:${v.voucherId}` });
            await refresh();
            say(`${v.title} eingelöst.`);
          },
          "Löse ein",
        ),
      );
    }
    acts.append(roomLink(v.voucherId));
    return el(
      "tr",
      { dataset: { voucherId: v.voucherId, status: v.status } },
      el("td", {}, v.title),
      el("td", {}, el("code", {}, v.voucherId)),
      el("td", {}, STATUS[v.status] ?? v.status),
      el("td", { class: "num" }, money(v.price)),
      el("td", {}, other ?? "–"),
      el("td", {}, fmt(v.validUntil)),
      acts,
    );
  }

  function bookingRow(b) {
    const acts = el("td", { class: "actions" });
    if (b.status === "booked") {
      acts.append(
        action("Verschieben", "reschedule", b.bookingId, () =>
          showSlots({ voucherId: b.voucherId, title: b.voucherId, bookingId: b.bookingId }).then(() => say("")),
        ),
        action(
          "Stornieren",
          "cancel",
          b.bookingId,
          async () => {
            await api("/api/voucher/cancel", { body: { bookingId: b.bookingId }, op: `cancel:${b.bookingId}` });
            await refresh();
            say("Storniert.");
          },
          "Storniere",
        ),
      );
    }
    acts.append(roomLink(b.voucherId));
    return el(
      "tr",
      { dataset: { bookingId: b.bookingId, status: b.status } },
      el("td", {}, el("code", {}, b.voucherId)),
      el("td", {}, fmt(b.slotStart)),
      el("td", {}, fmt(b.slotEnd)),
      el("td", {}, BOOKING_STATUS[b.status] ?? b.status),
      acts,
    );
  }

  /** One paged list; its error replaces the list, the other lists still load. */
  const list = (id, path, params, render, empty) => pagedList($(id), apiPages(path, { ...params, limit: "20" }), render, empty);

  async function refresh() {
    await Promise.all([
      list(
        "issuedList",
        "/api/voucher/list",
        { issuerUid: uid },
        (v) => voucherRow(v, "issuer"),
        "Noch keine Voucher ausgestellt.",
      ),
      list("heldList", "/api/voucher/list", { holderUid: uid }, (v) => voucherRow(v, "holder"), "Du hältst keine Voucher."),
      list("bookingsList", "/api/voucher/bookings", { holderUid: uid }, bookingRow, "Keine Buchungen."),
    ]);
  }

  $("reloadAll").addEventListener("click", () =>
    withProgress($("reloadAll"), "Aktualisiere", async () => {
      await refresh();
      say("Aktualisiert.");
    }),
  );

  await refresh();
}
