// Outbox (#/outbox): what the desk emailed (the mail catcher's Maildir).
//   GET /console/api/outbox?limit=50 -> [{message_id, to, sender, subject, date, delivered_at,
//                                        kind, reference, text?}]
//   GET /console/api/outbox/{message_id} -> the same plus text (used when the list has no text)
// The body is shown as plain text only; the HTML part is never rendered.

import { API, ApiError, api, seg } from "../api.js";
import { clearNotice, dateTime, h, humanize, list, obj, poll, setText, showNotice, str, syncList } from "../dom.js";
import { mailListPage } from "./mail_list.js";

const LIMIT = 50;
const POLL_MS = 30000;
const PAGE = { name: "outbox", title: "Outbox", label: "Sent mail, newest first", emptyText: "No mail has been sent yet." };

export function mount(root, ctx) {
  const { refresh, loadError, rows, empty, count } = mailListPage(root, PAGE);

  const state = new WeakMap();

  function createRow() {
    const date = h("span", { class: "nowrap muted", testid: "outbox-date" });
    const to = h("span", { testid: "outbox-to" });
    const subject = h("span", { testid: "outbox-subject" });
    const meta = h("span", { class: "muted small", testid: "outbox-meta" });
    const body = h("pre", { class: "outbox-body", testid: "outbox-body" }, "Loading…");
    const details = h("details", { class: "outbox-row-details" },
      h("summary", { testid: "outbox-toggle" }, date, to, h("span", null, subject, " ", meta)),
      body);
    const li = h("li", { class: "outbox-row", testid: "outbox-row" }, details);
    const s = { mail: {}, body, date, to, subject, meta, loaded: false };
    state.set(li, s);
    details.addEventListener("toggle", () => {
      if (details.open && !s.loaded) loadBody(s);
    });
    return li;
  }

  async function loadBody(s) {
    s.loaded = true;
    if (typeof s.mail.text === "string") {
      setText(s.body, s.mail.text || "(empty message)");
      return;
    }
    const id = str(s.mail.message_id);
    try {
      const full = obj(await api.get(`${API}/outbox/${seg(id)}`));
      setText(s.body, str(full.text) || "(no plain-text part)");
    } catch (err) {
      s.loaded = false;
      setText(s.body, err instanceof ApiError ? `Could not load the message: ${err.message}` : "Could not load the message.");
    }
  }

  function fillRow(li, mail) {
    const s = state.get(li);
    s.mail = mail;
    li.dataset.messageId = str(mail.message_id);
    setText(s.date, dateTime(str(mail.date) || str(mail.delivered_at)));
    setText(s.to, str(mail.to) || "—");
    setText(s.subject, str(mail.subject) || "(no subject)");
    const bits = [humanize(mail.kind), str(mail.reference)].filter(Boolean);
    setText(s.meta, bits.length ? `· ${bits.join(" · ")}` : "");
    if (s.loaded && typeof mail.text === "string") setText(s.body, mail.text || "(empty message)");
  }

  async function load() {
    try {
      const data = await api.get(`${API}/outbox?limit=${LIMIT}`);
      clearNotice(loadError);
      const mails = list(data, "messages", "items").map(obj);
      syncList(rows, mails, (m, i) => str(m.message_id) || `${str(m.delivered_at)}-${i}`, createRow, fillRow);
      empty.hidden = mails.length > 0;
      setText(count, mails.length ? `${mails.length} newest` : "");
    } catch (err) {
      showNotice(loadError, "bad", err instanceof ApiError && err.status === 404
        ? "The outbox is not available yet."
        : err instanceof ApiError ? err.message : "Could not load the outbox.");
    }
  }

  refresh.addEventListener("click", () => poller.now());
  const poller = poll(load, POLL_MS);
  return () => poller.stop();
}
