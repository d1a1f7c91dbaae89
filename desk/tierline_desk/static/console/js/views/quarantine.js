// Mail quarantine (#/quarantine): inbound mail the desk kept out of every case (docs/email.md):
// auto-replies, bounces, unknown senders, forged case tokens, mail matching no case.
//   GET /console/api/mail/quarantine?limit=50 -> {total, mails: [{message_id, source,
//       received_at, from_email, subject, reason, case_number, size, excerpt}]}
// Everything is shown as plain text.

import { API, ApiError, api } from "../api.js";
import { clearNotice, dateTime, h, humanize, list, obj, poll, setText, showNotice, str, syncList } from "../dom.js";
import { mailListPage } from "./mail_list.js";

const LIMIT = 50;
const POLL_MS = 30000;
const PAGE = { name: "quarantine", title: "Mail quarantine", label: "Quarantined mail, newest first", emptyText: "No mail was kept out of the cases." };

export function mount(root) {
  const { refresh, loadError, rows, empty, count } = mailListPage(root, PAGE);

  function createRow() {
    const date = h("span", { class: "nowrap muted" });
    const from = h("span", { testid: "quarantine-from" });
    const subject = h("span");
    const reason = h("span", { class: "badge badge-overdue", testid: "quarantine-reason" });
    const body = h("pre", { class: "outbox-body" });
    const li = h("li", { class: "outbox-row", testid: "quarantine-row" },
      h("details", { class: "outbox-row-details" }, h("summary", null, date, from, h("span", null, subject, " ", reason)), body));
    li.parts = { date, from, subject, reason, body };
    return li;
  }

  function fillRow(li, mail) {
    const p = li.parts;
    setText(p.date, dateTime(mail.received_at));
    setText(p.from, str(mail.from_email) || "(no sender)");
    setText(p.subject, str(mail.subject) || "(no subject)");
    const onCase = str(mail.case_number) ? ` · ${str(mail.case_number)}` : "";
    setText(p.reason, `${humanize(mail.reason)}${onCase} · ${str(mail.source)}`);
    setText(p.body, str(mail.excerpt) || "(no text)");
  }

  async function load() {
    try {
      const data = obj(await api.get(`${API}/mail/quarantine?limit=${LIMIT}`));
      clearNotice(loadError);
      const mails = list(data.mails).map(obj);
      syncList(rows, mails, (m) => str(m.message_id), createRow, fillRow);
      empty.hidden = mails.length > 0;
      setText(count, data.total ? `${mails.length} of ${data.total}` : "");
    } catch (err) {
      showNotice(loadError, "bad", err instanceof ApiError ? err.message : "Could not load the quarantine.");
    }
  }

  refresh.addEventListener("click", () => poller.now());
  const poller = poll(load, POLL_MS);
  return () => poller.stop();
}
