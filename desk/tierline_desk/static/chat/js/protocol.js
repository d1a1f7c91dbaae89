// The server's frames over the websocket (docs/web-chat.md, "Protocol"): each goes to the view
// that shows it.

import { startPing } from "./connection.js";
import { state } from "./state.js";
import { ui } from "./ui.js";
import { str } from "./util.js";
import { autoGrow, resendPending, updateCounter } from "./views/composer.js";
import { askEmailConfirmation } from "./views/email.js";
import { addNotice, onAck, onMessage, refreshButtons, setDelivery } from "./views/messages.js";
import { hideStatus, hideTyping, setAgent, setQueue, showError, showTyping } from "./views/status.js";
import { onSurveyError, onSurveyThanks, setSurvey } from "./views/survey.js";

function onReady(frame) {
  state.ready = true;
  state.everReady = true;
  state.attempt = 0;
  hideStatus();
  if (Number.isInteger(frame.max_message_chars) && frame.max_message_chars > 0) {
    state.maxChars = frame.max_message_chars;
  }
  setAgent(frame.mode === "agent" ? frame.agent || null : null);
  setQueue(frame.queue || null);
  setSurvey(frame.csat || null);
  startPing();
  resendPending();
}

function onTyping(frame) {
  const who = frame.who === "agent" ? "agent" : "bot";
  if (frame.on) showTyping(who, str(frame.name));
  else if (ui.typingIndicator.getAttribute("data-who") === who) hideTyping();
}

function onError(frame) {
  const code = str(frame.code) || "";
  if (code.startsWith("ws_") && !state.ready) {
    return; // the hello was refused; the socket closes and we start a fresh session
  }
  const message = str(frame.message) || "Something went wrong. Please try again.";
  showError(message);
  if (code.startsWith("csat_")) onSurveyError(code);
  const limit = Number.isInteger(frame.limit) ? frame.limit : frame.max_chars;
  if (Number.isInteger(limit) && limit > 0) {
    state.maxChars = limit; // the server's own limit (the too_long error says it)
    updateCounter();
  }
  const clientId = str(frame.client_id);
  const pending = clientId ? state.pending.get(clientId) : null;
  if (pending) {
    // The server won't take this one: say so and give the text back to edit.
    setDelivery(pending.el, "failed");
    if (!ui.input.value.trim() && pending.frame.type === "message") {
      ui.input.value = pending.frame.text;
      updateCounter();
      autoGrow();
    }
    state.pending.delete(clientId);
    refreshButtons();
  }
}

export function handleFrame(raw) {
  let frame;
  try {
    frame = JSON.parse(raw);
  } catch (_err) {
    return;
  }
  if (!frame || typeof frame !== "object") return;
  window.clearTimeout(state.pongTimer); // anything from the server shows the line is alive
  state.pongTimer = null;
  switch (frame.type) {
    case "ready":
      onReady(frame);
      break;
    case "message":
      onMessage(frame);
      break;
    case "ack":
      onAck(frame);
      break;
    case "typing":
      onTyping(frame);
      break;
    case "queue":
      setQueue(frame);
      break;
    case "agent":
      setAgent(frame.agent || null);
      if (frame.agent) setQueue(null);
      break;
    case "notice":
      addNotice(frame.text);
      break;
    case "csat":
      setSurvey(frame);
      break;
    case "csat_thanks":
      onSurveyThanks(frame);
      break;
    case "confirm_email":
      askEmailConfirmation(frame);
      break;
    case "error":
      onError(frame);
      break;
    default:
      break; // "pong" and anything newer than this widget
  }
}
