// Files in the chat (docs/web-chat.md, "Attachments"): the shopper picks photos or a PDF (the
// paperclip, the camera on a phone, or dropping them on the panel), sees a preview with a remove
// button, and on Send each file is uploaded (POST /chat/api/attachments, multipart), then the
// message names the uploaded ids. Messages that carry files show their thumbnails.

import { config } from "../config.js";
import { el, svgIcon } from "../dom.js";
import { state } from "../state.js";
import { ui } from "../ui.js";
import { readReply, str } from "../util.js";
import { showError } from "./status.js";

// The server's limit per message; it checks everything again (type by content, size, count).
export const MAX_FILES_PER_MESSAGE = 5;
const ACCEPT = "image/*,application/pdf";
const PAPERCLIP =
  "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z";
const CAMERA =
  "M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6z";

/** Files chosen for the next message: {file, url (local preview), node}. */
const chosen = [];

export function hasChosenFiles() {
  return chosen.length > 0;
}

function fileInput(testId, capture) {
  const input = el("input", {
    type: "file",
    accept: capture ? "image/*" : ACCEPT,
    multiple: !capture,
    capture: capture ? "environment" : null, // a phone opens its camera; a desktop ignores it
    className: "tl-visually-hidden",
    tabindex: "-1",
    "data-testid": testId,
  });
  input.addEventListener("change", () => {
    addFiles(Array.from(input.files || []));
    input.value = ""; // the same file can be chosen again after a remove
  });
  return input;
}

function pickerButton(label, testId, icon, input) {
  const button = el(
    "button",
    { type: "button", className: "tl-icon-button tl-attach", "aria-label": label, title: label, "data-testid": testId },
    [svgIcon(icon)]
  );
  button.addEventListener("click", () => input.click());
  return button;
}

function renderTray() {
  ui.attachTray.hidden = chosen.length === 0;
}

function removeChosen(entry) {
  const index = chosen.indexOf(entry);
  if (index >= 0) chosen.splice(index, 1);
  if (entry.url) URL.revokeObjectURL(entry.url);
  entry.node.remove();
  renderTray();
  ui.input.focus();
}

function isAccepted(file) {
  return file.type === "" || file.type.startsWith("image/") || file.type === "application/pdf";
}

export function addFiles(files) {
  for (const file of files) {
    if (chosen.length >= MAX_FILES_PER_MESSAGE) {
      showError("You can send up to " + MAX_FILES_PER_MESSAGE + " files in one message.");
      break;
    }
    if (!isAccepted(file)) {
      showError("\u201c" + file.name + "\u201d isn't a photo or a PDF, so it can't be sent here.");
      continue;
    }
    const isImage = file.type.startsWith("image/") && file.type !== "image/heic" && file.type !== "image/heif";
    const url = isImage ? URL.createObjectURL(file) : null;
    const entry = { file: file, url: url, node: null };
    const preview = url
      ? el("img", { className: "tl-attach-item__image", src: url, alt: "" })
      : el("span", { className: "tl-attach-item__icon", text: file.type === "application/pdf" ? "PDF" : "Photo" });
    const remove = el("button", {
      type: "button",
      className: "tl-attach-item__remove",
      "aria-label": "Remove " + file.name,
      "data-testid": "tierline-attachment-remove",
      text: "\u00d7",
    });
    remove.addEventListener("click", () => removeChosen(entry));
    entry.node = el("div", { className: "tl-attach-item", "data-testid": "tierline-attachment-preview" }, [
      preview,
      el("span", { className: "tl-attach-item__name", text: file.name }),
      remove,
    ]);
    chosen.push(entry);
    ui.attachTray.appendChild(entry.node);
  }
  renderTray();
}

async function uploadOne(file) {
  const body = new FormData();
  body.append("file", file, file.name);
  const response = await window.fetch(config.origin + "/chat/api/attachments", {
    method: "POST",
    headers: { "X-Conversation-Id": state.conversationId, "X-Conversation-Token": state.token },
    body: body,
    cache: "no-store",
  });
  const { data, message } = await readReply(response);
  if (!response.ok) {
    throw new Error(message || "\u201c" + file.name + "\u201d could not be sent (" + response.status + ").");
  }
  return str(data && data.id);
}

/** Upload the chosen files; their ids, or null (the reason shown) when one was refused. */
export async function uploadChosen() {
  if (!state.conversationId || !state.token) {
    showError("Still connecting\u2026 please send your files again in a moment.");
    return null;
  }
  ui.attachTray.setAttribute("data-state", "uploading");
  const ids = [];
  try {
    for (const entry of chosen.slice()) {
      entry.node.setAttribute("data-state", "uploading");
      try {
        const id = await uploadOne(entry.file);
        if (!id) throw new Error("The upload did not finish; please try again.");
        ids.push(id);
        entry.node.setAttribute("data-state", "sent");
      } catch (error) {
        entry.node.setAttribute("data-state", "failed");
        showError(error && error.message ? error.message : "The upload failed; please try again.");
        return null;
      }
    }
  } finally {
    ui.attachTray.removeAttribute("data-state");
  }
  for (const entry of chosen.splice(0)) {
    if (entry.url) URL.revokeObjectURL(entry.url);
    entry.node.remove();
  }
  renderTray();
  return ids;
}

/** A message's files: thumbnails that open the photo, a link for a PDF. */
export function renderAttachments(node, attachments) {
  if (!Array.isArray(attachments) || !attachments.length) return;
  const list = el("div", { className: "tl-files", "data-testid": "tierline-message-files" });
  for (const file of attachments) {
    const url = file ? str(file.url) : null;
    if (!url || !url.startsWith("/attachments/")) continue;
    const name = str(file.name) || "attachment";
    const thumb = str(file.thumbnail_url);
    const link = el("a", {
      className: "tl-file",
      href: config.origin + url,
      target: "_blank",
      rel: "noopener noreferrer",
      "data-testid": "tierline-message-file",
    });
    if (thumb && thumb.startsWith("/attachments/")) {
      link.appendChild(el("img", { className: "tl-file__thumb", src: config.origin + thumb, alt: "Photo: " + name }));
    } else {
      link.appendChild(el("span", { className: "tl-file__name", text: "\ud83d\udcc4 " + name }));
    }
    list.appendChild(link);
  }
  node.appendChild(list);
}

export function wireAttachments() {
  const fileChooser = fileInput("tierline-attach-input", false);
  const cameraChooser = fileInput("tierline-camera-input", true);
  const attachButton = pickerButton("Attach a photo or PDF", "tierline-attach", PAPERCLIP, fileChooser);
  const cameraButton = pickerButton("Take a photo", "tierline-camera", CAMERA, cameraChooser);
  ui.attachTray = el("div", { className: "tl-attach-tray", "data-testid": "tierline-attachments", hidden: true });
  ui.composer.insertBefore(attachButton, ui.composer.firstChild);
  ui.composer.insertBefore(cameraButton, attachButton.nextSibling);
  ui.composer.append(fileChooser, cameraChooser);
  ui.panel.insertBefore(ui.attachTray, ui.composer);

  // Dropping files anywhere on the panel attaches them.
  ui.panel.addEventListener("dragover", (event) => {
    if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes("Files")) return;
    event.preventDefault();
    ui.panel.classList.add("tl-panel--drop");
  });
  ui.panel.addEventListener("dragleave", (event) => {
    if (event.target === ui.panel) ui.panel.classList.remove("tl-panel--drop");
  });
  ui.panel.addEventListener("drop", (event) => {
    ui.panel.classList.remove("tl-panel--drop");
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    addFiles(Array.from(event.dataTransfer.files));
  });
}
