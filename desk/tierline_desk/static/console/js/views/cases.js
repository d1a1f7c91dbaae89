// Cases (#/cases, #/cases/{number}): cases answered by email.
//   GET  /console/api/cases?status=open|answered|closed|all
//   GET  /console/api/cases/{n}                      the case and its messages
//   POST /console/api/cases/{n}/reply {"body", "close"}  -> {case, reply, email_sent, message}
//   POST /console/api/cases/{n}/messages/{id}/resend      (a reply the mail server refused)
//   POST /console/api/cases/{n}/close {"note"}
//   GET  /console/api/cases/{n}/attachments/{id}          a photo or PDF the shopper emailed

//
// Nothing polls: each screen loads when it opens, when the live socket says a case changed and
// after the socket reconnects; a case shows who else has it open.

import { API, ApiError, api, seg } from "../api.js";
import {
  clearNotice, dateTime, h, humanize, list, num, obj, poll, replace, setText, showNotice, str, syncList,
} from "../dom.js";
import * as live from "../live.js";
import { createPresence } from "./presence.js";
import { filesPanel } from "./files.js";
import { attachMacroPicker } from "./macros.js";
import { createNotes } from "./notes.js";

const STATUSES = [["open", "Open"], ["answered", "Answered"], ["closed", "Closed"], ["all", "All"]];
let lastStatus = "open"; // kept while the console is open, so "back to cases" returns to it

export function mount(root, ctx) {
  return ctx.param ? mountDetail(root, ctx, ctx.param.trim().toUpperCase()) : mountList(root, ctx);
}

function customerText(customer) {
  const c = obj(customer);
  return str(c.name) || str(c.email) || str(c.id) || "—";
}

// ------------------------------------------------------------------ list

/** On submit: clear the form's notices; `control`'s text is required (`missing` says so in
 * `errorBox`), then `send(text)` runs. */
function onTextSubmit(form, control, resultBox, errorBox, missing, send) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearNotice(resultBox);
    clearNotice(errorBox);
    const text = control.value.trim();
    control.removeAttribute("aria-invalid");
    if (!text) {
      control.setAttribute("aria-invalid", "true");
      showNotice(errorBox, "bad", missing);
      control.focus();
      return;
    }
    await send(text);
  });
}

function mountList(root, ctx) {
  const select = h("select", { id: "cases-status", testid: "cases-status" },
    STATUSES.map(([value, label]) => h("option", { value }, label)));
  select.value = lastStatus;
  const refresh = h("button", { type: "button", class: "btn btn-small", testid: "cases-refresh" }, "Refresh");
  const loadError = h("div", { class: "notice notice-bad", role: "alert", testid: "cases-error" });
  const tbody = h("tbody", { testid: "cases-list" });
  const empty = h("p", { class: "empty", testid: "cases-empty", hidden: true }, "No cases.");
  const table = h("table", { class: "data", testid: "cases-table" },
    h("caption", { class: "sr-only" }, "Cases"),
    h("thead", null, h("tr", null,
      ["Case", "Kind", "Status", "Customer", "Order", "Opened"].map((t) => h("th", { scope: "col" }, t)))),
    tbody);

  root.replaceChildren(
    h("div", { class: "page-head" },
      h("h1", { tabindex: "-1" }, "Cases"),
      h("div", { class: "toolbar" }, h("label", { for: "cases-status" }, "Show"), select, refresh)),
    loadError,
    h("section", { class: "panel" }, h("div", { class: "table-scroll" }, table), empty),
  );

  function createRow() {
    return h("tr", { testid: "case-row" },
      h("td", null, h("a", { class: "mono", testid: "case-link" })),
      h("td", { testid: "case-kind" }), h("td", { testid: "case-row-status" }),
      h("td", { testid: "case-customer" }), h("td", { class: "mono" }), h("td", { class: "nowrap" }));
  }

  function fillRow(tr, c) {
    const number = str(c.case_number);
    tr.dataset.case = number;
    const [caseCell, kind, status, customer, order, opened] = tr.children;
    const link = caseCell.firstChild;
    link.href = `#/cases/${encodeURIComponent(number)}`;
    setText(link, number);
    setText(kind, str(c.kind_label) || humanize(c.kind));
    const s = str(c.status);
    const unsent = Number(c.unsent_count) || 0;
    replace(status, h("span", { class: `badge badge-${s}` }, humanize(s)),
      unsent ? h("div", { class: "muted small", testid: "case-unsent" }, `${unsent} reply not emailed`) : "");
    setText(customer, customerText(c.customer));
    setText(order, str(c.order_number) || "—");
    setText(opened, dateTime(c.created_at));
  }

  async function load() {
    try {
      const data = await api.get(`${API}/cases?status=${encodeURIComponent(select.value)}`);
      clearNotice(loadError);
      const rows = list(data, "cases", "items").map(obj);
      syncList(tbody, rows, (c) => str(c.case_number), createRow, fillRow);
      table.hidden = rows.length === 0;
      empty.hidden = rows.length > 0;
    } catch (err) {
      showNotice(loadError, "bad", err instanceof ApiError && err.status === 404
        ? "The cases list is not available yet."
        : err instanceof ApiError ? err.message : "Could not load the cases.");
    }
  }

  select.addEventListener("change", () => {
    lastStatus = select.value;
    poller.now();
  });
  refresh.addEventListener("click", () => poller.now());
  const poller = poll(load, null);
  return reloadOnCaseEvents(poller, null);
}

/** Load again when a case (``number``, or any) changed or the socket reconnected. */
function reloadOnCaseEvents(poller, number) {
  const stopListening = live.subscribe({
    connected: () => poller.now(),
    event(frame) {
      const kind = str(frame.kind);
      if (kind.startsWith("case.") && (number === null || str(obj(frame.data).case_number) === number)) poller.now();
    },
  });
  return () => {
    stopListening();
    poller.stop();
  };
}

// ------------------------------------------------------------------ one case

function mountDetail(root, ctx, number) {
  const statusBadge = h("span", { class: "badge", testid: "case-status" });
  const loadError = h("div", { class: "notice notice-bad", role: "alert", testid: "case-error" });
  const facts = h("div", { testid: "case-details" }, h("p", { class: "muted" }, "Loading the case…"));
  const messages = h("ol", { class: "case-messages", testid: "case-messages" });
  const noMessages = h("p", { class: "empty", testid: "case-messages-empty" }, "No emails on this case yet.");
  let current = {};
  let signature = "";

  // Reply by email
  const replyBody = h("textarea", { id: `case-reply-body-${number}`, testid: "case-reply-body", rows: "6", maxlength: "10000" });
  const replyClose = h("input", { type: "checkbox", id: `case-reply-close-${number}`, testid: "case-reply-close" });
  const replySubmit = h("button", { type: "submit", class: "btn btn-primary", testid: "case-reply-submit" }, "Send email");
  const replyResult = h("div", { class: "notice notice-ok", role: "status", "aria-live": "polite", testid: "case-reply-result" });
  const replyError = h("div", { class: "notice notice-bad", role: "alert", testid: "case-reply-error" });
  const replyTo = h("span", { testid: "case-reply-to" });
  const replyFieldset = h("fieldset", { class: "action" },
    h("legend", null, "Reply by email"),
    h("div", { class: "field" }, h("label", { for: replyBody.id }, "Message to ", replyTo), replyBody),
    h("div", { class: "field" }, h("label", { class: "check", for: replyClose.id }, replyClose, "Close the case after sending")),
    replySubmit, replyResult, replyError);
  const replyForm = h("form", { testid: "case-reply-form", novalidate: true }, replyFieldset);
  replyBody.before(attachMacroPicker(replyBody, `${API}/cases/${seg(number)}/macros`).el);
  const notes = createNotes({ kind: "cases", number, announce: ctx.announce });

  // Close
  const closeNote = h("textarea", { id: `case-close-note-${number}`, testid: "case-close-note", rows: "2", maxlength: "2000" });
  const closeSubmit = h("button", { type: "submit", class: "btn", testid: "case-close-submit" }, "Close case");
  const closeResult = h("div", { class: "notice notice-ok", role: "status", "aria-live": "polite", testid: "case-close-result" });
  const closeError = h("div", { class: "notice notice-bad", role: "alert", testid: "case-close-error" });
  const closeFieldset = h("fieldset", { class: "action" },
    h("legend", null, "Close without replying"),
    h("div", { class: "field" }, h("label", { for: closeNote.id }, "Note (internal)"), closeNote),
    closeSubmit, closeResult, closeError);
  const closeForm = h("form", { testid: "case-close-form", novalidate: true }, closeFieldset);
  const closedHint = h("p", { class: "hint", testid: "case-closed-hint", hidden: true }, "This case is closed.");
  const presence = createPresence(ctx, `case:${number}`);

  const files = filesPanel(`case-files-${number}`);
  root.replaceChildren(
    h("div", { class: "page-head" },
      h("div", { class: "card-head" },
        h("a", { href: "#/cases", class: "btn btn-ghost btn-small", testid: "back-to-cases" }, "← Cases"),
        h("h1", { tabindex: "-1", testid: "case-title" }, `Case ${number}`),
        statusBadge)),
    presence.el,
    loadError,
    h("div", { class: "ticket-layout" },
      h("div", null,
        h("section", { class: "panel", "aria-labelledby": "case-about" }, h("h2", { id: "case-about" }, "About the case"), facts),
        files.el,
        h("section", { class: "panel", "aria-labelledby": "case-emails" },
          h("h2", { id: "case-emails" }, "Emails"), messages, noMessages),
        h("section", { class: "panel panel-notes", testid: "case-notes", "aria-labelledby": "case-notes-title" },
          h("h2", { id: "case-notes-title" }, "Internal notes"), notes.listEl, notes.form)),
      h("div", null,
        h("section", { class: "panel", "aria-labelledby": "case-answer" },
          h("h2", { id: "case-answer" }, "Answer"), closedHint, replyForm, h("div", { class: "section-gap" }), closeForm))),
  );

  function render(data) {
    const d = obj(data);
    files.reset(); // fresh signed links with every load
    files.update(d.attachments);
    const c = d.case && typeof d.case === "object" ? obj(d.case) : d;
    current = c;
    const status = str(c.status);
    setText(statusBadge, humanize(status) || "—");
    statusBadge.className = `badge badge-${status}`;
    const closed = status === "closed";
    replyFieldset.disabled = closed;
    closeFieldset.disabled = closed;
    closedHint.hidden = !closed;
    const customer = obj(c.customer);
    setText(replyTo, str(c.customer_email) || str(customer.email) || customerText(customer));

    const msgs = list(d.messages).length ? list(d.messages) : list(c.messages);
    const sig = JSON.stringify([c, msgs]);
    if (sig === signature) return;
    signature = sig;

    const dl = h("dl", { class: "facts" });
    const add = (label, value, testid) => {
      if (value) dl.append(h("dt", null, label), h("dd", { testid }, value));
    };
    add("Kind", str(c.kind_label) || humanize(c.kind), "case-kind");
    add("Team", humanize(c.team), "case-team");
    add("Answer by", humanize(c.response_channel), "case-channel");
    add("Customer", customerText(customer), "case-customer-name");
    add("Email", str(c.customer_email) || str(customer.email), "case-customer-email");
    add("Customer id", str(customer.id), "case-customer-id");
    add("Order", str(c.order_number), "case-order-number");
    add("Postal code", str(c.postal_code), "case-postal-code");
    add("Conversation", str(c.conversation_id), "case-conversation");
    add("Opened", dateTime(c.created_at), "case-created");
    if (c.closed_at) add("Closed", `${dateTime(c.closed_at)}${c.closed_by ? ` by ${str(c.closed_by)}` : ""}`, "case-closed");
    replace(facts, dl,
      h("h3", { class: "section-title" }, "Description"),
      h("p", { class: "pre", testid: "case-description" }, str(c.description) || "—"));

    replace(messages, msgs.map(obj).map(messageItem));
    noMessages.hidden = msgs.length > 0;
  }

  // One email of the thread, either way: the shopper's (inbound: its new text, the quoted
  // earlier text folded away, its photos and PDFs) or the team's (outbound: emailed or not).
  function messageItem(m) {
    const inbound = str(m.direction) === "inbound";
    const sent = m.sent !== false;
    const badge = inbound
      ? h("span", { class: "badge badge-called", testid: "case-message-direction" }, "from the shopper")
      : h("span", { class: `badge ${sent ? "badge-called" : "badge-overdue"}`, testid: "case-message-sent" }, sent ? "emailed" : "not emailed");
    const who = inbound
      ? [str(m.from_email) && `from ${str(m.from_email)}`, dateTime(m.created_at)]
      : [str(m.author) && `from ${str(m.author)}`, str(m.to_email) && `to ${str(m.to_email)}`, dateTime(m.created_at)];
    const li = h("li", { class: `case-message case-message-${inbound ? "inbound" : "outbound"}`, testid: "case-message", dataset: { direction: str(m.direction, "outbound"), sent: String(sent) } },
      h("div", null, h("strong", null, str(m.subject) || "(no subject)"), " ", badge),
      h("div", { class: "muted small" }, who.filter(Boolean).join(" · ")),
      h("div", { class: "pre", testid: "case-message-body" }, str(m.body)));
    if (str(m.quoted)) {
      li.append(h("details", { class: "case-quoted" }, h("summary", null, "Earlier text quoted in this email"),
        h("div", { class: "pre muted" }, str(m.quoted))));
    }
    const files = list(m.attachments).map(obj);
    if (files.length) li.append(h("ul", { class: "case-attachments", testid: "case-attachments" }, files.map(attachmentItem)));
    if (!inbound && !sent && m.id !== undefined && m.id !== null) li.append(resendButton(m));
    return li;
  }

  // The URL comes from the desk (GET /console/api/cases/{n}/attachments/{id}, same origin).
  function attachmentItem(a) {
    const url = str(a.url).startsWith(`${API}/cases/`) ? str(a.url) : "#";
    const label = `${str(a.filename, "attachment")} (${Math.max(1, Math.round(num(a.size) / 1024))} KB)`;
    const link = h("a", { href: url, target: "_blank", rel: "noopener", testid: "case-attachment" }, label);
    if (!str(a.content_type).startsWith("image/")) return h("li", null, link);
    return h("li", null, h("a", { href: url, target: "_blank", rel: "noopener" },
      h("img", { src: url, alt: str(a.filename, "photo"), class: "case-photo", loading: "lazy", testid: "case-photo" })), link);
  }

  function resendButton(m) {
    const button = h("button", { type: "button", class: "btn btn-small", testid: "case-message-resend" }, "Email it again");
    const out = h("div", { class: "notice", role: "status", testid: "case-message-resend-result" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const res = obj(await api.post(`${API}/cases/${seg(number)}/messages/${seg(m.id)}/resend`, {}));
        showNotice(out, res.email_sent === false ? "warn" : "ok", str(res.message) || (res.email_sent === false ? "Still not emailed." : "Email sent."));
        if (res.email_sent !== false) poller.now();
      } catch (err) {
        showNotice(out, "bad", err instanceof ApiError ? err.message : "Could not send it again.");
      } finally {
        button.disabled = false;
      }
    });
    return h("div", null, button, out);
  }

  async function load() {
    try {
      render(await api.get(`${API}/cases/${seg(number)}`));
      clearNotice(loadError);
    } catch (err) {
      showNotice(loadError, "bad", err instanceof ApiError ? err.message : "Could not load the case.");
      if (!current.case_number) replace(facts, h("p", { class: "muted" }, "No case to show."));
    }
  }

  onTextSubmit(replyForm, replyBody, replyResult, replyError, "Write the email first.", async (body) => {
    replyFieldset.disabled = true;
    try {
      const out = obj(await api.post(`${API}/cases/${seg(number)}/reply`, { body, close: replyClose.checked }));
      replyBody.value = "";
      replyClose.checked = false;
      const serverMessage = typeof out.message === "string" ? out.message : "";
      if (out.email_sent === false) {
        showNotice(replyResult, "warn", serverMessage || "The reply is saved, but the email was not sent.");
      } else {
        showNotice(replyResult, "ok", "Email sent.", serverMessage ? ` ${serverMessage}` : "");
      }
      ctx.announce(out.email_sent === false ? "Reply saved; email not sent." : "Email sent.");
    } catch (err) {
      showNotice(replyError, "bad", err instanceof ApiError ? err.message : "The reply was not sent.");
    } finally {
      replyFieldset.disabled = str(current.status) === "closed";
      poller.now();
    }
  });

  onTextSubmit(closeForm, closeNote, closeResult, closeError, "Write a note on why the case is closed.", async (note) => {
    closeFieldset.disabled = true;
    try {
      await api.post(`${API}/cases/${seg(number)}/close`, { note });
      closeNote.value = "";
      showNotice(closeResult, "ok", "Case closed.");
      ctx.announce(`Case ${number} closed.`);
    } catch (err) {
      showNotice(closeError, "bad", err instanceof ApiError ? err.message : "The case was not closed.");
      closeFieldset.disabled = false;
    } finally {
      poller.now();
    }
  });

  replyBody.addEventListener("input", () => live.typing());
  const poller = poll(load, null);
  live.watch({ case: number });
  const stop = reloadOnCaseEvents(poller, number);
  return () => {
    stop();
    notes.stop();
    presence.stop();
    live.unwatch();
  };
}
