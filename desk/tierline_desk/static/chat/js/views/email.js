// "Email me this chat": the footer's form, and the question asked when a signed-in shopper names
// an address other than their account's (confirm_email frame).

import { sendFrame } from "../connection.js";
import { el } from "../dom.js";
import { state } from "../state.js";
import { ui } from "../ui.js";
import { str } from "../util.js";
import { isNearBottom, scrollToBottomIfNear } from "./messages.js";
import { hideError, showError } from "./status.js";

function openEmailForm() {
  const signedIn = state.customer !== null;
  ui.emailLabel.textContent = signedIn ? "Email address (optional)" : "Email address";
  ui.emailHint.textContent = signedIn
    ? "Leave it empty to use the email address on your account."
    : "We'll send a copy of this conversation to this address.";
  ui.emailInput.required = !signedIn;
  ui.emailForm.hidden = false;
  ui.emailChatButton.setAttribute("aria-expanded", "true");
  ui.emailInput.focus();
}

export function closeEmailForm(returnFocus) {
  ui.emailForm.hidden = true;
  ui.emailChatButton.setAttribute("aria-expanded", "false");
  ui.emailInput.removeAttribute("aria-invalid");
  if (returnFocus) ui.emailChatButton.focus();
}

// A signed-in shopper named an address other than their account's: ask before sending
// (frame confirm_email {email, text}; docs/web-chat.md). Either answer removes the question.
export function askEmailConfirmation(frame) {
  const email = str(frame.email);
  const text = str(frame.text);
  if (!email || !text) return;
  const wasNear = isNearBottom();
  const box = el("div", { className: "tl-notice", "data-testid": "tierline-email-confirm", role: "group", "aria-label": "Confirm the email address" });
  box.appendChild(el("p", { text }));
  const answer = (sent) => {
    if (!state.ready || !sendFrame(sent)) {
      showError("We're reconnecting. Please try again in a moment.");
      return;
    }
    box.remove();
  };
  const group = el("div", { className: "tl-quick-replies" });
  group.appendChild(
    el("button", { type: "button", className: "tl-quick-reply", "data-testid": "tierline-email-confirm-yes", text: `Send to ${email}` })
  );
  group.appendChild(
    el("button", { type: "button", className: "tl-quick-reply", "data-testid": "tierline-email-confirm-account", text: "Use my account's email" })
  );
  group.children[0].addEventListener("click", () => answer({ type: "email_transcript", email, confirm: true }));
  group.children[1].addEventListener("click", () => answer({ type: "email_transcript", email: null }));
  box.appendChild(group);
  ui.messageList.appendChild(box);
  scrollToBottomIfNear(wasNear);
  group.children[0].focus();
}

export function wireEmail() {
  ui.emailChatButton.addEventListener("click", () => {
    if (ui.emailForm.hidden) openEmailForm();
    else closeEmailForm(true);
  });
  ui.emailCancel.addEventListener("click", () => closeEmailForm(true));

  ui.emailForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = ui.emailInput.value.trim();
    if (!email && state.customer === null) {
      ui.emailInput.setAttribute("aria-invalid", "true");
      ui.emailHint.textContent = "Please enter the email address to send the chat to.";
      ui.emailInput.focus();
      return;
    }
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      ui.emailInput.setAttribute("aria-invalid", "true");
      ui.emailHint.textContent = "That doesn't look like an email address.";
      ui.emailInput.focus();
      return;
    }
    if (!state.ready || !sendFrame({ type: "email_transcript", email: email || null })) {
      showError("We're reconnecting. Please try again in a moment.");
      return;
    }
    hideError();
    ui.emailInput.value = "";
    closeEmailForm(false);
    ui.input.focus();
  });
}
