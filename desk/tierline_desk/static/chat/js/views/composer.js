// The composer: typing and sending text (and the files chosen in views/attachments.js), the character counter, quick replies and "Call me
// instead". A message shows at once as "Sending…" and is sent (again) whenever the socket is ready.

import { TYPING_EVERY_MS } from "../config.js";
import { ensureConnected, sendFrame } from "../connection.js";
import { state } from "../state.js";
import { ui } from "../ui.js";
import { charCount, uuid } from "../util.js";
import { hasChosenFiles, uploadChosen } from "./attachments.js";
import { addPending } from "./messages.js";
import { hideError, showError } from "./status.js";

function queueShopperFrame(frame, text) {
  hideError();
  addPending(frame.client_id, frame, text);
  if (state.ready) sendFrame(frame);
  else ensureConnected();
}

function withinLimit(text) {
  const length = charCount(text);
  if (length > state.maxChars) {
    showError("Messages can be up to " + state.maxChars + " characters; this one has " + length + ".");
    return false;
  }
  return true;
}

function sendText(raw) {
  const text = raw.trim();
  if (!text || !withinLimit(text)) return false;
  queueShopperFrame({ type: "message", client_id: uuid(), text: text }, text);
  return true;
}

async function sendWithFiles(raw) {
  // The files go up first; the message names them once all were taken.
  const text = raw.trim();
  if (!withinLimit(text)) return false;
  ui.composer.setAttribute("aria-busy", "true");
  const ids = await uploadChosen();
  ui.composer.removeAttribute("aria-busy");
  if (!ids) return false;
  const shown = text || (ids.length === 1 ? "\ud83d\udcce 1 file" : "\ud83d\udcce " + ids.length + " files");
  queueShopperFrame({ type: "message", client_id: uuid(), text: text, attachments: ids }, shown);
  return true;
}

export function sendQuickReply(title, payload) {
  queueShopperFrame({ type: "button", client_id: uuid(), payload: payload, title: title }, title);
}

export function resendPending() {
  for (const entry of state.pending.values()) {
    if (entry.el.getAttribute("data-state") === "sending") sendFrame(entry.frame);
  }
}

export function updateCounter() {
  const length = charCount(ui.input.value);
  const show = length > state.maxChars * 0.9;
  ui.counter.hidden = !show;
  ui.counter.textContent = show ? length + " / " + state.maxChars : "";
  ui.counter.classList.toggle("tl-counter--over", length > state.maxChars);
}

export function autoGrow() {
  ui.input.style.height = "auto";
  ui.input.style.height = Math.min(ui.input.scrollHeight, 140) + "px";
}

export function wireComposer() {
  ui.composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (ui.composer.getAttribute("aria-busy") === "true") return; // files still uploading
    const sent = hasChosenFiles() ? await sendWithFiles(ui.input.value) : sendText(ui.input.value);
    if (sent) {
      ui.input.value = "";
      updateCounter();
      autoGrow();
    }
    ui.input.focus();
  });

  ui.input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (typeof ui.composer.requestSubmit === "function") ui.composer.requestSubmit();
    else ui.composer.dispatchEvent(new Event("submit", { cancelable: true }));
  });

  ui.input.addEventListener("input", () => {
    updateCounter();
    autoGrow();
    const now = Date.now();
    if (ui.input.value.trim() && state.ready && now - state.lastTypingSentAt >= TYPING_EVERY_MS) {
      if (sendFrame({ type: "typing" })) state.lastTypingSentAt = now;
    }
  });

  ui.callMeButton.addEventListener("click", () => {
    sendQuickReply("Call me instead", "/request_callback");
  });
}
