// The agent's notifications in the top bar: "Mentions" with the unread count; opening it lists the
// @mentions in internal notes (newest first) and marks them read.
//   GET  /console/api/notifications          {unread, notifications}
//   POST /console/api/notifications/read {}  (all read)

import { API, api } from "../api.js";
import { h, list, num, obj, poll, replace, setText, str, dateTime } from "../dom.js";
import * as live from "../live.js";


/** Put the bell before `anchor` (in the top bar) and keep it fresh; returns stop(). */
export function startNotifications(anchor) {
  const count = h("span", { class: "bell-count", testid: "notifications-count", hidden: true });
  const button = h("button", {
    type: "button", class: "btn btn-ghost bell", testid: "notifications-button",
    "aria-expanded": "false", "aria-controls": "notifications-panel",
  }, "Mentions", count);
  const items = h("ul", { class: "bell-items", testid: "notifications-list" });
  const panel = h("div", { id: "notifications-panel", class: "bell-panel", testid: "notifications-panel", hidden: true },
    h("h2", { class: "bell-title" }, "Mentions"), items);
  const box = h("div", { class: "bell-box" }, button, panel);
  anchor.parentNode.insertBefore(box, anchor);

  function render(data) {
    const unread = num(data.unread);
    count.hidden = unread === 0;
    setText(count, unread > 99 ? "99+" : String(unread));
    button.title = unread ? `${unread} unread mention${unread === 1 ? "" : "s"}` : "No unread mentions";
    const rows = list(data.notifications).map(obj);
    replace(items, rows.length ? rows.map((n) => {
      const ticket = str(n.ticket_number);
      const caseNumber = str(n.case_number);
      const where = ticket ? `ticket ${ticket}` : `case ${caseNumber}`;
      const href = ticket ? `#/tickets/${encodeURIComponent(ticket)}` : `#/cases/${encodeURIComponent(caseNumber)}`;
      return h("li", { class: `bell-item${n.read ? "" : " bell-unread"}`, testid: "notification", dataset: { read: n.read ? "true" : "false" } },
        h("a", { href, testid: "notification-link" }, `${str(n.from_name) || str(n.from_agent)} mentioned you on ${where}`),
        h("div", { class: "bell-excerpt", testid: "notification-excerpt" }, str(n.excerpt)),
        h("div", { class: "muted small" }, dateTime(n.created_at)));
    }) : h("li", { class: "muted small", testid: "notifications-empty" }, "No mentions yet."));
  }

  async function load() {
    render(obj(await api.get(`${API}/notifications`)));
  }

  async function toggle() {
    const opening = panel.hidden;
    panel.hidden = !opening;
    button.setAttribute("aria-expanded", opening ? "true" : "false");
    if (opening && !count.hidden) {
      // Seen: the list keeps showing them (unread ones highlighted) until it is refreshed.
      const read = obj(await api.post(`${API}/notifications/read`, {}));
      count.hidden = true;
      window.setTimeout(() => render(read), 4000);
    }
  }

  button.addEventListener("click", () => {
    toggle().catch(() => {});
  });
  items.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("a")) {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
    }
  });
  // Loaded again when someone mentions this agent (live "mention.created") or the socket
  // reconnects; no polling.
  const poller = poll(load, null);
  const stopListening = live.subscribe({
    connected: () => poller.now(),
    event(frame) {
      if (str(frame.kind) === "mention.created") poller.now();
    },
  });
  return () => {
    stopListening();
    poller.stop();
    box.remove();
  };
}
