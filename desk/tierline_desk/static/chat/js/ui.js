// The widget's fixed DOM: the launcher and the panel, in an open shadow root on a
// <tierline-chat> element (so the shop's CSS can't reach it). Built once by buildUi().

import { config } from "./config.js";
import { el, svgIcon } from "./dom.js";

/** The widget's elements, filled in by buildUi(). */
export const ui = {};

export function buildUi() {
  const host = document.createElement("tierline-chat");
  host.setAttribute("data-testid", "tierline-chat");
  const shadow = host.attachShadow({ mode: "open" });

  const stylesheet = el("link", { rel: "stylesheet", href: config.origin + "/chat/widget.css" });
  const root = el("div", { className: "tl-root", hidden: true });

  const launcherBadge = el("span", {
    className: "tl-launcher__badge",
    "data-testid": "tierline-unread",
    "aria-hidden": "true",
    hidden: true,
  });
  const launcher = el(
    "button",
    {
      type: "button",
      className: "tl-launcher",
      "data-testid": "tierline-launcher",
      "aria-expanded": "false",
      "aria-controls": "tl-panel",
    },
    [
      el("span", { className: "tl-launcher__icon" }, [
        svgIcon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"),
      ]),
      el("span", { className: "tl-launcher__label", text: "Chat with us" }),
      launcherBadge,
    ]
  );

  const agentLine = el("p", { className: "tl-agent", "data-testid": "tierline-agent", text: "Assistant" });
  const newConversationItem = el("button", {
    type: "button",
    role: "menuitem",
    className: "tl-menu__item",
    "data-testid": "tierline-new-conversation",
    text: "New conversation",
  });
  const menu = el("div", { id: "tl-menu", className: "tl-menu", role: "menu", "aria-label": "Chat options", hidden: true }, [
    newConversationItem,
  ]);
  const menuButton = el(
    "button",
    {
      type: "button",
      className: "tl-icon-button",
      "data-testid": "tierline-menu",
      "aria-label": "Chat options",
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      "aria-controls": "tl-menu",
    },
    [svgIcon("M6 10a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm6 0a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm6 0a2 2 0 1 1 0 4 2 2 0 0 1 0-4z")]
  );
  const closeButton = el(
    "button",
    { type: "button", className: "tl-icon-button", "data-testid": "tierline-close", "aria-label": "Close chat" },
    [svgIcon("M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z")]
  );
  const header = el("div", { className: "tl-header" }, [
    el("div", { className: "tl-header__text" }, [
      el("h2", { className: "tl-title", id: "tl-title", text: "Tierline support" }),
      agentLine,
    ]),
    el("div", { className: "tl-header__actions" }, [menuButton, menu, closeButton]),
  ]);

  const statusLine = el("p", {
    className: "tl-status",
    "data-testid": "tierline-status",
    role: "status",
    hidden: true,
  });
  const queueBanner = el("p", {
    className: "tl-queue",
    "data-testid": "tierline-queue",
    role: "status",
    hidden: true,
  });

  const intro = el("p", {
    className: "tl-intro",
    "data-testid": "tierline-intro",
    text: "Hi! Ask us about an order, a return, a refund or a promo code.",
  });
  const messageList = el("div", {
    className: "tl-messages",
    "data-testid": "tierline-messages",
    role: "log",
    "aria-live": "polite",
    "aria-label": "Conversation",
    tabindex: "0", // keyboard users can scroll the history
  });
  const typingIndicator = el("p", {
    className: "tl-typing",
    "data-testid": "tierline-typing",
    "aria-live": "polite",
    hidden: true,
  });
  const body = el("div", { className: "tl-body" }, [intro, messageList, typingIndicator]);

  const errorText = el("span", { className: "tl-error__text" });
  const errorDismiss = el("button", {
    type: "button",
    className: "tl-error__dismiss",
    "aria-label": "Dismiss message",
    text: "\u00d7",
  });
  const errorBox = el("div", { className: "tl-error", "data-testid": "tierline-error", role: "alert", hidden: true }, [
    errorText,
    errorDismiss,
  ]);

  const input = el("textarea", {
    id: "tl-input",
    className: "tl-input",
    "data-testid": "tierline-input",
    rows: "1",
    placeholder: "Type your message\u2026",
    autocomplete: "off",
    "aria-describedby": "tl-counter",
  });
  const sendControl = el("button", { type: "submit", className: "tl-send", "data-testid": "tierline-send", text: "Send" });
  const counter = el("p", { id: "tl-counter", className: "tl-counter", "data-testid": "tierline-counter", hidden: true });
  const composer = el("form", { className: "tl-composer", "data-testid": "tierline-composer", novalidate: true }, [
    el("label", { className: "tl-visually-hidden", for: "tl-input", text: "Message" }),
    input,
    sendControl,
  ]);

  const emailInput = el("input", {
    id: "tl-email",
    type: "email",
    className: "tl-email-form__input",
    "data-testid": "tierline-email-input",
    autocomplete: "email",
    "aria-describedby": "tl-email-hint",
  });
  const emailLabel = el("label", { for: "tl-email", className: "tl-email-form__label", text: "Email address" });
  const emailHint = el("p", { id: "tl-email-hint", className: "tl-email-form__hint", "data-testid": "tierline-email-hint" });
  const emailSend = el("button", { type: "submit", className: "tl-button", "data-testid": "tierline-email-send", text: "Send transcript" });
  const emailCancel = el("button", {
    type: "button",
    className: "tl-button tl-button--quiet",
    "data-testid": "tierline-email-cancel",
    text: "Cancel",
  });
  const emailForm = el(
    "form",
    { id: "tl-email-form", className: "tl-email-form", "data-testid": "tierline-email-form", novalidate: true, hidden: true },
    [emailLabel, emailInput, emailHint, el("div", { className: "tl-email-form__actions" }, [emailSend, emailCancel])]
  );

  const emailChatButton = el("button", {
    type: "button",
    className: "tl-footer__button",
    "data-testid": "tierline-email-chat",
    "aria-expanded": "false",
    "aria-controls": "tl-email-form",
    text: "Email me this chat",
  });
  const callMeButton = el("button", {
    type: "button",
    className: "tl-footer__button",
    "data-testid": "tierline-call-me",
    text: "Call me instead",
  });
  const footer = el("div", { className: "tl-footer" }, [emailChatButton, callMeButton]);

  const panel = el(
    "section",
    {
      id: "tl-panel",
      className: "tl-panel",
      role: "dialog",
      "aria-label": "Tierline support chat",
      "data-testid": "tierline-panel",
      hidden: true,
    },
    [header, statusLine, queueBanner, body, errorBox, emailForm, composer, counter, footer]
  );

  root.appendChild(launcher);
  root.appendChild(panel);
  shadow.appendChild(stylesheet);
  shadow.appendChild(root);

  Object.assign(ui, {
    host, shadow, stylesheet, root, launcher, launcherBadge, agentLine, menu, menuButton,
    newConversationItem, closeButton, statusLine, queueBanner, intro, messageList,
    typingIndicator, errorBox, errorText, errorDismiss, input, counter, composer, emailForm,
    emailLabel, emailInput, emailHint, emailCancel, emailChatButton, callMeButton, panel,
  });
}
