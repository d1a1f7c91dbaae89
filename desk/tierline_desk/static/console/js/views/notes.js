// Internal notes on a ticket or an email case: agents only, never shown or sent to the shopper.
//   GET  /console/api/tickets/{n}/notes | /cases/{n}/notes        {notes}
//   POST /console/api/tickets/{n}/notes | /cases/{n}/notes {body}  {note, notified, not_notified}
// On a ticket the notes sit in the live chat's log, by time, in yellow with an "Internal note"
// label; on a case they have a panel of their own. "@username" notifies that agent.

import { API, ApiError, api, seg } from "../api.js";
import { clearNotice, h, list, num, obj, parseDate, poll, showNotice, str, timeOnly } from "../dom.js";
import * as live from "../live.js";


/**
 * Notes for `kind` ("tickets" | "cases") `number`. With `log` (the chat's <ol>), notes are put
 * into it among the messages (each message <li> carrying data-at); otherwise into a list of
 * their own (`listEl`). Returns {form, listEl, stop()}.
 */
export function createNotes({ kind, number, log = null, announce = () => {} }) {
  const url = `${API}/${kind}/${seg(number)}/notes`;
  const seen = new Set();
  const listEl = log ? null : h("ol", { class: "note-list", testid: "note-list" });
  const noneYet = log ? null : h("p", { class: "empty", testid: "notes-empty" }, "No internal notes yet.");
  const input = h("textarea", {
    id: `note-input-${kind}-${number}`, testid: "note-input", rows: "2", maxlength: "4000",
    placeholder: "Internal note for agents (never shown to the shopper). @username notifies a colleague.",
  });
  const add = h("button", { type: "submit", class: "btn btn-note", testid: "note-submit" }, "Add internal note");
  const result = h("div", { class: "notice", role: "status", "aria-live": "polite", testid: "note-result" });
  const form = h("form", { class: "note-form", testid: "note-form", novalidate: true },
    h("label", { for: input.id, class: "note-form-label" }, "Internal note"),
    h("div", { class: "note-form-row" }, input, add), result);

  function noteEl(n) {
    return h("li", { class: "note", testid: "internal-note", dataset: { noteId: str(n.id), at: str(n.created_at) } },
      h("div", { class: "note-meta" },
        h("span", { class: "note-label" }, "Internal note"),
        ` ${str(obj(n.author).display_name) || str(obj(n.author).username)} · ${timeOnly(n.created_at)}`),
      h("div", { class: "note-text", testid: "internal-note-text" }, str(n.body)));
  }

  /** The child of the log that `node` belongs before: the first other one that is newer. */
  function slotFor(node) {
    const when = parseDate(node.dataset.at);
    if (!when) return null;
    for (const child of log.children) {
      if (child === node) continue;
      const t = parseDate(child.dataset ? child.dataset.at : "");
      if (t && t.getTime() > when.getTime()) return child;
    }
    return null;
  }

  function place(node) {
    if (!log) {
      listEl.append(node);
      noneYet.hidden = true;
      return;
    }
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    const before = slotFor(node);
    log.insertBefore(node, before);
    const empty = log.querySelector("[data-testid=chat-empty]");
    if (empty) empty.remove();
    if (nearBottom && !before) log.scrollTop = log.scrollHeight;
  }

  /** Messages load on their own: move each note back among them by time when they did. */
  function settle() {
    if (!log) return;
    for (const node of log.querySelectorAll("[data-testid=internal-note]")) {
      const before = slotFor(node);
      if (node.nextSibling !== before) log.insertBefore(node, before);
    }
  }

  function show(notes) {
    for (const raw of notes) {
      const n = obj(raw);
      const id = num(n.id, NaN);
      if (!Number.isFinite(id) || seen.has(id)) continue;
      seen.add(id);
      place(noteEl(n));
    }
  }

  async function load() {
    try {
      show(list(obj(await api.get(url)).notes));
      settle();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) poller.stop();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearNotice(result);
    const body = input.value.trim();
    if (!body) {
      showNotice(result, "bad", "Write the note first.");
      input.focus();
      return;
    }
    add.disabled = true;
    try {
      const out = obj(await api.post(url, { body }));
      input.value = "";
      show([out.note]);
      const notified = list(out.notified).map((u) => `@${str(u)}`);
      const skipped = list(out.not_notified).map(obj).map((m) => `@${str(m.username)}: ${str(m.reason)}`);
      const parts = ["Internal note added."];
      if (notified.length) parts.push(`Notified ${notified.join(", ")}.`);
      if (skipped.length) parts.push(`Not notified: ${skipped.join("; ")}.`);
      showNotice(result, skipped.length ? "warn" : "ok", parts.join(" "));
      announce(parts.join(" "));
    } catch (err) {
      showNotice(result, "bad", err instanceof ApiError ? err.message : "The note was not saved.");
    } finally {
      add.disabled = false;
      input.focus();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Loaded again when a note lands on this ticket or case (live "note.created") or the socket
  // reconnects; no polling.
  const poller = poll(load, null);
  const field = kind === "tickets" ? "ticket_number" : "case_number";
  const stopListening = live.subscribe({
    connected: () => poller.now(),
    event(frame) {
      if (str(frame.kind) === "note.created" && str(obj(frame.data)[field]) === number) poller.now();
    },
  });
  return {
    form,
    listEl: listEl ? h("div", null, listEl, noneYet) : null,
    stop() {
      stopListening();
      poller.stop();
    },
  };
}
