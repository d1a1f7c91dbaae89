// Callbacks (#/callbacks): phone callbacks the shoppers booked.
//   GET  /console/api/callbacks?view=due|all
//   POST /console/api/callbacks/{id}/outcome {"status", "note", "window_start"?, "window_end"?}
// status: called | no_answer | rescheduled | cancelled.

import { API, ApiError, api, seg } from "../api.js";
import {
  clearNotice, dateTime, h, humanize, list, num, obj, parseDate, poll, setText, showNotice, str,
  syncList, toLocalInput,
} from "../dom.js";

const POLL_MS = 30000;
// note: what is recorded when the agent leaves the note field empty (the API needs one).
const OUTCOMES = [
  { status: "called", label: "Called", note: "Called the shopper.", testid: "callback-called" },
  { status: "no_answer", label: "No answer", note: "No answer.", testid: "callback-no-answer" },
  { status: "rescheduled", label: "Reschedule", note: "Rescheduled.", testid: "callback-reschedule" },
  { status: "cancelled", label: "Cancel", note: "Cancelled.", testid: "callback-cancel" },
];

const OPEN_STATUSES = ["scheduled", "no_answer", "rescheduled"];

/** True once called or cancelled: no more outcomes. */
export function isFinal(cb) {
  if (typeof cb.final === "boolean") return cb.final;
  const status = str(cb.status);
  return Boolean(status) && !OPEN_STATUSES.includes(status);
}

/** "overdue" | "due_now" | "upcoming" | "done": the server's due_state, else from the window. */
export function dueState(cb) {
  if (isFinal(cb)) return "done";
  const given = str(cb.due_state);
  if (given) return given;
  const start = parseDate(cb.window_start);
  const end = parseDate(cb.window_end);
  const now = Date.now();
  if (end && now > end.getTime()) return "overdue";
  if (start && now >= start.getTime()) return "due_now";
  return "upcoming";
}

export function mount(root, ctx) {
  let view = "due";
  const dueButton = h("button", { type: "button", testid: "callbacks-view-due", "aria-pressed": "true" }, "Due now");
  const allButton = h("button", { type: "button", testid: "callbacks-view-all", "aria-pressed": "false" }, "All");
  const refresh = h("button", { type: "button", class: "btn btn-small", testid: "callbacks-refresh" }, "Refresh");
  const loadError = h("div", { class: "notice notice-bad", role: "alert", testid: "callbacks-error" });
  const notice = h("div", { class: "notice notice-ok", role: "status", "aria-live": "polite", testid: "callbacks-notice" });
  const tbody = h("tbody", { testid: "callbacks-list" });
  const empty = h("p", { class: "empty", testid: "callbacks-empty", hidden: true }, "No callbacks here.");
  const table = h("table", { class: "data", testid: "callbacks-table" },
    h("caption", { class: "sr-only" }, "Callbacks"),
    h("thead", null, h("tr", null,
      ["Phone", "Window", "Reason", "Customer", "Order", "Attempts", "Due", "Outcome"].map((t) => h("th", { scope: "col" }, t)))),
    tbody);

  root.replaceChildren(
    h("div", { class: "page-head" },
      h("h1", { tabindex: "-1" }, "Callbacks"),
      h("div", { class: "toolbar" },
        h("div", { class: "segmented", role: "group", "aria-label": "Which callbacks" }, dueButton, allButton),
        refresh)),
    loadError,
    notice,
    h("section", { class: "panel" }, h("div", { class: "table-scroll" }, table), empty),
  );

  function setView(next) {
    view = next;
    dueButton.setAttribute("aria-pressed", String(view === "due"));
    allButton.setAttribute("aria-pressed", String(view === "all"));
    poller.now();
  }
  dueButton.addEventListener("click", () => setView("due"));
  allButton.addEventListener("click", () => setView("all"));
  refresh.addEventListener("click", () => poller.now());

  const rowState = new WeakMap();

  function createRow() {
    const cells = {
      phone: h("td", { class: "nowrap", testid: "callback-phone" }),
      window: h("td", { testid: "callback-window" }),
      reason: h("td", { testid: "callback-reason", class: "pre" }),
      customer: h("td", { testid: "callback-customer" }),
      order: h("td", { class: "mono", testid: "callback-order" }),
      attempts: h("td", { class: "num", testid: "callback-attempts" }),
      due: h("td", { testid: "callback-due" }),
    };
    const tr = h("tr", { testid: "callback-row" });
    const note = h("input", { type: "text", testid: "callback-note", maxlength: "2000", placeholder: "Note (optional)" });
    const startInput = h("input", { type: "datetime-local", testid: "callback-window-start" });
    const endInput = h("input", { type: "datetime-local", testid: "callback-window-end" });
    const reschedule = h("div", { class: "reschedule", testid: "callback-reschedule-form", hidden: true },
      h("div", { class: "field" }, h("label", null, "New window from", startInput)),
      h("div", { class: "field" }, h("label", null, "to", endInput)),
      h("button", { type: "button", class: "btn btn-primary btn-small", testid: "callback-reschedule-submit" }, "Save new window"),
      h("button", { type: "button", class: "btn btn-ghost btn-small", testid: "callback-reschedule-close" }, "Close"));
    const result = h("div", { class: "notice notice-ok", role: "status", testid: "callback-result" });
    const error = h("div", { class: "notice notice-bad", role: "alert", testid: "callback-error" });
    const buttons = OUTCOMES.map((o) =>
      h("button", { type: "button", class: `btn btn-small${o.status === "cancelled" ? " btn-danger" : ""}`, testid: o.testid, dataset: { status: o.status } }, o.label));
    const actions = h("td", null, h("div", { class: "callback-actions" }, note, buttons), reschedule, result, error);
    tr.append(cells.phone, cells.window, cells.reason, cells.customer, cells.order, cells.attempts, cells.due, actions);
    const state = { row: tr, cb: {}, cells, note, startInput, endInput, reschedule, result, error, buttons, busy: false };
    rowState.set(tr, state);

    for (const button of buttons) {
      button.addEventListener("click", () => {
        const status = button.dataset.status;
        if (status === "rescheduled") {
          openReschedule(state);
          return;
        }
        send(state, { status });
      });
    }
    reschedule.querySelector('[data-testid="callback-reschedule-submit"]').addEventListener("click", () => {
      const start = startInput.value ? new Date(startInput.value) : null;
      const end = endInput.value ? new Date(endInput.value) : null;
      if (!start || Number.isNaN(start.getTime()) || !end || Number.isNaN(end.getTime())) {
        showNotice(error, "bad", "Pick the start and end of the new window.");
        (start ? endInput : startInput).focus();
        return;
      }
      if (end <= start) {
        showNotice(error, "bad", "The window must end after it starts.");
        endInput.focus();
        return;
      }
      send(state, { status: "rescheduled", window_start: start.toISOString(), window_end: end.toISOString() });
    });
    reschedule.querySelector('[data-testid="callback-reschedule-close"]').addEventListener("click", () => {
      reschedule.hidden = true;
      buttons[2].focus();
    });
    return tr;
  }

  function openReschedule(state) {
    if (!state.startInput.value) {
      const start = new Date(Date.now() + 60 * 60 * 1000);
      start.setMinutes(0, 0, 0);
      state.startInput.value = toLocalInput(start);
      state.endInput.value = toLocalInput(new Date(start.getTime() + 60 * 60 * 1000));
    }
    state.reschedule.hidden = false;
    state.startInput.focus();
  }

  async function send(state, body) {
    if (state.busy) return;
    const id = str(state.cb.callback_id);
    const outcome = OUTCOMES.find((o) => o.status === body.status);
    const payload = { status: body.status, note: state.note.value.trim() || outcome.note };
    if (body.window_start) {
      payload.window_start = body.window_start;
      payload.window_end = body.window_end;
    }
    state.busy = true;
    for (const b of state.buttons) b.disabled = true;
    clearNotice(state.error);
    clearNotice(state.result);
    try {
      const out = obj(await api.post(`${API}/callbacks/${seg(id)}/outcome`, payload));
      const updated = obj(out.callback);
      state.note.value = "";
      state.reschedule.hidden = true;
      const messages = {
        called: `${id}: marked called.`,
        no_answer: `${id}: no answer recorded.`,
        cancelled: `${id}: cancelled.`,
        rescheduled: `${id}: rescheduled to ${dateTime(str(updated.window_start) || payload.window_start)}` +
          `${out.email_queued === true ? "; the shopper is emailed the new window" : ""}.`,
      };
      const message = messages[body.status];
      if (updated.callback_id) fillRow(state.row, updated);
      showNotice(state.result, "ok", message);
      showNotice(notice, "ok", message);
      ctx.announce(message);
      poller.now();
    } catch (err) {
      showNotice(state.error, "bad", err instanceof ApiError ? err.message : "The outcome was not saved.");
    } finally {
      state.busy = false;
      setButtons(state);
    }
  }

  function setButtons(state) {
    const final = isFinal(state.cb);
    for (const b of state.buttons) b.disabled = state.busy || final;
    state.note.disabled = final;
    if (final) state.reschedule.hidden = true;
  }

  function fillRow(tr, cb) {
    const state = rowState.get(tr);
    state.cb = cb;
    const id = str(cb.callback_id);
    tr.dataset.callback = id;
    for (const b of state.buttons) b.setAttribute("aria-label", `${b.textContent}: ${id}`);
    setButtons(state);
    state.note.setAttribute("aria-label", `Note for ${id}`);
    const c = state.cells;
    const phone = str(cb.phone);
    c.phone.replaceChildren(phone ? h("a", { href: `tel:${phone.replace(/[^+0-9]/g, "")}` }, phone) : "—",
      h("div", { class: "muted small mono" }, id));
    setText(c.window, `${dateTime(cb.window_start)} – ${dateTime(cb.window_end)}`);
    setText(c.reason, str(cb.reason) || "—");
    const customer = obj(cb.customer);
    const name = str(customer.name) || str(cb.customer_name);
    const email = str(customer.email) || str(cb.email);
    const custId = str(customer.id) || str(cb.customer_id);
    c.customer.replaceChildren(name || custId || email || "—",
      email && (name || custId) ? h("div", { class: "muted small" }, email) : "");
    setText(c.order, str(cb.order_number) || "—");
    setText(c.attempts, String(num(cb.attempts, 0)));
    const due = dueState(cb);
    const status = str(cb.status);
    const handled = str(cb.handled_by);
    c.due.replaceChildren(
      due === "done"
        ? h("span", { class: `badge badge-${status}`, testid: "callback-due-state", dataset: { due } }, humanize(status))
        : h("span", { class: `badge badge-${due}`, testid: "callback-due-state", dataset: { due } }, humanize(due)),
      due !== "done" && status && status !== "scheduled" ? h("div", { class: "muted small" }, humanize(status)) : "",
      handled ? h("div", { class: "muted small" }, `by ${handled}`) : "",
      str(cb.outcome_note) ? h("div", { class: "muted small pre", testid: "callback-outcome-note" }, str(cb.outcome_note)) : "");
    tr.dataset.due = due;
  }

  async function load() {
    try {
      const data = await api.get(`${API}/callbacks?view=${view}`);
      clearNotice(loadError);
      const rows = list(data, "callbacks", "items").map(obj);
      syncList(tbody, rows, (cb) => str(cb.callback_id), createRow, fillRow);
      empty.hidden = rows.length > 0;
      table.hidden = rows.length === 0;
      setText(empty, view === "due" ? "No callbacks are due." : "No callbacks.");
    } catch (err) {
      showNotice(loadError, "bad", err instanceof ApiError && err.status === 404
        ? "The callbacks list is not available yet."
        : err instanceof ApiError ? err.message : "Could not load the callbacks.");
    }
  }

  const poller = poll(load, POLL_MS);
  return () => poller.stop();
}
