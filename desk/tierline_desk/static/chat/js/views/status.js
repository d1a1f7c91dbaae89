// What the widget shows around the messages: the connection status, the error box, the queue
// banner, who is chatting (assistant or agent), the typing indicator and the greeting.

import { TYPING_HIDE_AFTER_MS } from "../config.js";
import { state } from "../state.js";
import { ui } from "../ui.js";
import { str } from "../util.js";

// `box` shows `text` in `textEl` (the box itself, or the part of it that holds the text).
function showText(box, textEl, text) {
  textEl.textContent = text;
  box.hidden = false;
}

// `box` is hidden, and its text emptied.
function hideText(box, textEl) {
  box.hidden = true;
  textEl.textContent = "";
}

export function showStatus(text) {
  showText(ui.statusLine, ui.statusLine, text);
}

export function hideStatus() {
  hideText(ui.statusLine, ui.statusLine);
}

export function showError(text) {
  showText(ui.errorBox, ui.errorText, text);
}

export function hideError() {
  hideText(ui.errorBox, ui.errorText);
}

export function setQueue(queue) {
  const queueBanner = ui.queueBanner;
  const position = queue && Number.isInteger(queue.position) ? queue.position : null;
  if (position === null) {
    hideText(queueBanner, queueBanner);
    queueBanner.removeAttribute("data-ticket");
    return;
  }
  let text = "You're #" + position + " in line";
  const minutes = Number.isInteger(queue.estimated_wait_minutes) ? queue.estimated_wait_minutes : null;
  if (minutes !== null) {
    text += minutes > 0 ? " \u00b7 about " + minutes + " min" : " \u00b7 any moment now";
  }
  queueBanner.textContent = text;
  const ticket = str(queue.ticket_number);
  if (ticket) {
    queueBanner.setAttribute("data-ticket", ticket);
    queueBanner.title = "Ticket " + ticket;
  }
  queueBanner.hidden = false;
}

export function setAgent(agent) {
  const name = agent ? str(agent.name) : null;
  state.agent = name ? { name: name, tier_label: str(agent.tier_label), role: str(agent.role) } : null;
  if (state.agent) {
    ui.agentLine.textContent = state.agent.tier_label
      ? state.agent.name + " \u00b7 " + state.agent.tier_label
      : state.agent.name;
    ui.agentLine.setAttribute("data-mode", "agent");
  } else {
    ui.agentLine.textContent = "Assistant";
    ui.agentLine.setAttribute("data-mode", "bot");
  }
  ui.callMeButton.hidden = state.agent !== null; // a person is chatting: no need to offer a call
}

export function showTyping(who, name) {
  const label = who === "agent" ? name || (state.agent && state.agent.name) || "Agent" : "Assistant";
  ui.typingIndicator.textContent = label + " is typing\u2026";
  ui.typingIndicator.setAttribute("data-who", who === "agent" ? "agent" : "bot");
  ui.typingIndicator.hidden = false;
  window.clearTimeout(state.typingHideTimer);
  state.typingHideTimer = window.setTimeout(hideTyping, TYPING_HIDE_AFTER_MS);
}

export function hideTyping() {
  window.clearTimeout(state.typingHideTimer);
  state.typingHideTimer = null;
  ui.typingIndicator.hidden = true;
  ui.typingIndicator.textContent = "";
  ui.typingIndicator.removeAttribute("data-who");
}

export function updateIntro() {
  const first = state.customer ? str(state.customer.first_name) : null;
  ui.intro.textContent =
    (first ? "Hi " + first + "! " : "Hi! ") +
    "Ask us about an order, a return, a refund or a promo code.";
  ui.intro.hidden = ui.messageList.childElementCount > 0;
}

export function wireStatus() {
  ui.errorDismiss.addEventListener("click", () => {
    hideError();
    ui.input.focus();
  });
}
