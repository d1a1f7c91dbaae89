// The shopper's photos and PDFs in the console: thumbnails on a chat message, and a "Photos and
// files" panel on the ticket and the case (each file with the order line it shows).
//   GET /console/api/tickets/{n}/attachments   the ticket's files, with fresh signed links
//   GET /console/api/cases/{n}                 (its "attachments": the case's files)
// Links are signed and expire (ATTACHMENT_LINK_SECONDS); the panels reload them.

import { API, api, seg } from "../api.js";
import { h, list, obj, poll, replace, str } from "../dom.js";
import * as live from "../live.js";

// Links live ATTACHMENT_LINK_SECONDS (an hour by default): fetch fresh ones well before that.
const FILES_REFRESH_MS = 20 * 60 * 1000;

function signedPath(value) {
  const path = str(value);
  return path.startsWith("/attachments/") ? path : "";
}

function fileLink(file, big) {
  const url = signedPath(file.url);
  const thumb = signedPath(file.thumbnail_url);
  if (!url) return null;
  const name = str(file.name, "attachment");
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "file-link", testid: "file-link" },
    thumb
      ? h("img", { src: thumb, alt: `Photo from the shopper: ${name}`, class: big ? "file-thumb file-thumb-big" : "file-thumb", testid: "file-thumb", loading: "lazy" })
      : h("span", { class: "file-name" }, `PDF: ${name}`));
}

/** The files a chat message carries, as thumbnails (null when it carries none). */
export function messageFiles(attachments) {
  const files = list(attachments).map(obj);
  if (!files.length) return null;
  return h("div", { class: "msg-files", testid: "chat-message-files" }, files.map((f) => fileLink(f, false)));
}

function orderLine(file) {
  const order = str(file.order_number);
  const sku = str(file.sku);
  if (!order) return "No order line named";
  return sku ? `Order ${order} · item ${sku}` : `Order ${order}`;
}

/** A "Photos and files" panel; update(attachments) redraws it when the files change. */
export function filesPanel(titleId) {
  const body = h("div", { testid: "files-body" }, h("p", { class: "muted small" }, "No photos or files from the shopper."));
  const el = h("section", { class: "panel", testid: "files-panel", "aria-labelledby": titleId },
    h("h2", { id: titleId }, "Photos and files"), body);
  let shown = "";
  function update(attachments) {
    const files = list(attachments).map(obj);
    const ids = JSON.stringify(files.map((f) => [str(f.id), str(f.order_number), str(f.sku)]));
    if (ids === shown) return;
    shown = ids;
    if (!files.length) {
      replace(body, h("p", { class: "muted small" }, "No photos or files from the shopper."));
      return;
    }
    replace(body, h("ul", { class: "file-list", testid: "file-list" }, files.map((f) =>
      h("li", { class: "file-item", testid: "file-item", dataset: { order: str(f.order_number), sku: str(f.sku) } },
        fileLink(f, true),
        h("div", { class: "muted small", testid: "file-order-line" }, orderLine(f))))));
  }
  return { el, update, reset() { shown = ""; } };
}

/** The ticket's files panel: loaded again when a message brings a file (`now()`), after a
 * reconnect, and every FILES_REFRESH_MS for fresh links. */
export function ticketFiles(number) {
  const panel = filesPanel(`files-title-${number}`);
  const poller = poll(async () => {
    panel.reset(); // new links each time: the old ones expire
    panel.update(await api.get(`${API}/tickets/${seg(number)}/attachments`));
  }, FILES_REFRESH_MS);
  const stopListening = live.subscribe({ connected: () => poller.now() });
  return {
    el: panel.el,
    now: () => poller.now(),
    stop: () => {
      stopListening();
      poller.stop();
    },
  };
}
