// The page the two mail lists share (outbox.js, quarantine.js): a head with a count and a
// Refresh button, the load error, the list and the line shown when it is empty. Every part's
// test id starts with `name` (outbox-refresh, quarantine-list, ...).

import { h } from "../dom.js";

export function mailListPage(root, { name, title, label, emptyText }) {
  const refresh = h("button", { type: "button", class: "btn btn-small", testid: `${name}-refresh` }, "Refresh");
  const loadError = h("div", { class: "notice notice-bad", role: "alert", testid: `${name}-error` });
  const rows = h("ul", { class: "outbox-list", testid: `${name}-list` });
  const empty = h("p", { class: "empty", testid: `${name}-empty`, hidden: true }, emptyText);
  const count = h("span", { class: "muted small", testid: `${name}-count` });
  root.replaceChildren(
    h("div", { class: "page-head" },
      h("h1", { tabindex: "-1" }, title),
      h("div", { class: "toolbar" }, count, refresh)),
    loadError,
    h("section", { class: "panel", "aria-label": label }, rows, empty),
  );
  return { refresh, loadError, rows, empty, count };
}
