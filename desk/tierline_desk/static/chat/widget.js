/*
 * Tierline web chat widget.
 *
 * Embed on any page:
 *   <script src="https://desk.example.com/chat/widget.js" data-identity="v1..." defer></script>
 *
 * Everything (styles, the session API, the websocket) comes from the origin the script was
 * loaded from, so the widget works on a shop's own site. The UI lives in an open shadow root,
 * so the shop's CSS can't reach it. Text from the server is only ever set with textContent.
 *
 * Plain ES2020, no build step, no dependencies.
 */
(function () {
  "use strict";

  if (window.TierlineChat) {
    return; // loaded twice: keep the first one
  }

  // ---------------------------------------------------------------- where we come from
  const SCRIPT =
    document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  const SCRIPT_URL = new URL(
    (SCRIPT && SCRIPT.getAttribute("src")) || "/chat/widget.js",
    document.baseURI
  );
  const ORIGIN = SCRIPT_URL.origin;
  const WS_URL = ORIGIN.replace(/^http/, "ws") + "/chat/ws";
  const IDENTITY = (SCRIPT && SCRIPT.getAttribute("data-identity")) || null;

  const STORAGE_KEY = "tierline-chat";
  const PING_EVERY_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const TYPING_EVERY_MS = 3000;
  const TYPING_HIDE_AFTER_MS = 20000;
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 10000;
  const DEFAULT_MAX_CHARS = 2000;
  const PAGE_LOADED_AT = Date.now();

  // ---------------------------------------------------------------- state
  const state = {
    conversationId: null,
    token: null,
    customer: null, // {name, first_name} when the shop says who this is
    started: false, // a connection was asked for at least once
    connectId: 0, // non-zero while a session request is in flight
    connectCounter: 0,
    ws: null,
    ready: false, // the server answered our hello
    everReady: false,
    attempt: 0,
    reconnectTimer: null,
    pingTimer: null,
    pongTimer: null,
    typingHideTimer: null,
    lastTypingSentAt: 0,
    lastSeq: 0,
    rendered: new Map(), // seq -> message element
    pending: new Map(), // client_id -> {frame, el}
    agent: null,
    open: false,
    unread: 0,
    maxChars: DEFAULT_MAX_CHARS,
    sessionErrorShown: false,
  };

  // ---------------------------------------------------------------- small helpers
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (name === "text") node.textContent = String(value);
        else if (name === "className") node.className = value;
        else node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children || []) {
      if (child) node.appendChild(child);
    }
    return node;
  }

  function svgIcon(pathData) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; getRandomValues works everywhere.
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return (
      hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20)
    );
  }

  function str(value) {
    return typeof value === "string" ? value : null;
  }

  function charCount(text) {
    return Array.from(text).length; // code points, as the server counts them
  }

  function loadStored() {
    try {
      const raw = window.localStorage.getItem(STORAGE_KEY);
      if (!raw) return null;
      const value = JSON.parse(raw);
      if (value && typeof value.conversation_id === "string" && typeof value.token === "string") {
        return { conversation_id: value.conversation_id, token: value.token };
      }
    } catch (_err) {
      // storage blocked or garbage: start afresh
    }
    return null;
  }

  function saveStored() {
    try {
      window.localStorage.setItem(
        STORAGE_KEY,
        JSON.stringify({ conversation_id: state.conversationId, token: state.token })
      );
    } catch (_err) {
      // storage blocked: the conversation just won't survive a reload
    }
  }

  function clearStored() {
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch (_err) {
      // nothing to do
    }
  }

  // ---------------------------------------------------------------- the UI
  const host = document.createElement("tierline-chat");
  host.setAttribute("data-testid", "tierline-chat");
  const shadow = host.attachShadow({ mode: "open" });

  const stylesheet = el("link", { rel: "stylesheet", href: ORIGIN + "/chat/widget.css" });
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

  // Show nothing until the styles are in (no flash of an unstyled panel); if they can't load,
  // show the plain version rather than nothing.
  let revealed = false;
  function reveal() {
    if (revealed) return;
    revealed = true;
    root.hidden = false;
  }
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);
  window.setTimeout(reveal, 5000);

  // ---------------------------------------------------------------- panel open / close
  function openPanel() {
    if (state.open) return;
    state.open = true;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    state.unread = 0;
    renderUnread();
    scrollToBottom();
    input.focus();
    ensureConnected();
  }

  function closePanel(returnFocus) {
    if (!state.open) return;
    closeMenu(false);
    state.open = false;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    if (returnFocus) launcher.focus();
  }

  function renderUnread() {
    launcherBadge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    launcherBadge.hidden = state.unread === 0;
  }

  launcher.addEventListener("click", () => {
    if (state.open) closePanel(true);
    else openPanel();
  });
  closeButton.addEventListener("click", () => closePanel(true));

  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    if (!menu.hidden) {
      closeMenu(true);
      return;
    }
    closePanel(true);
  });

  // ---------------------------------------------------------------- the header menu
  function openMenu() {
    menu.hidden = false;
    menuButton.setAttribute("aria-expanded", "true");
    newConversationItem.focus();
  }

  function closeMenu(returnFocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    menuButton.setAttribute("aria-expanded", "false");
    if (returnFocus) menuButton.focus();
  }

  menuButton.addEventListener("click", () => {
    if (menu.hidden) openMenu();
    else closeMenu(true);
  });
  shadow.addEventListener("click", (event) => {
    if (menu.hidden) return;
    const path = event.composedPath();
    if (!path.includes(menu) && !path.includes(menuButton)) closeMenu(false);
  });
  newConversationItem.addEventListener("click", () => {
    closeMenu(false);
    newConversation();
    input.focus();
  });

  // ---------------------------------------------------------------- status, queue, agent
  function showStatus(text) {
    statusLine.textContent = text;
    statusLine.hidden = false;
  }

  function hideStatus() {
    statusLine.hidden = true;
    statusLine.textContent = "";
  }

  function showError(text) {
    errorText.textContent = text;
    errorBox.hidden = false;
  }

  function hideError() {
    errorBox.hidden = true;
    errorText.textContent = "";
  }

  errorDismiss.addEventListener("click", () => {
    hideError();
    input.focus();
  });

  function setQueue(queue) {
    const position = queue && Number.isInteger(queue.position) ? queue.position : null;
    if (position === null) {
      queueBanner.hidden = true;
      queueBanner.textContent = "";
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

  function setAgent(agent) {
    const name = agent ? str(agent.name) : null;
    state.agent = name ? { name: name, tier_label: str(agent.tier_label), role: str(agent.role) } : null;
    if (state.agent) {
      agentLine.textContent = state.agent.tier_label
        ? state.agent.name + " \u00b7 " + state.agent.tier_label
        : state.agent.name;
      agentLine.setAttribute("data-mode", "agent");
    } else {
      agentLine.textContent = "Assistant";
      agentLine.setAttribute("data-mode", "bot");
    }
    callMeButton.hidden = state.agent !== null; // a person is chatting: no need to offer a call
  }

  function showTyping(who, name) {
    const label = who === "agent" ? name || (state.agent && state.agent.name) || "Agent" : "Assistant";
    typingIndicator.textContent = label + " is typing\u2026";
    typingIndicator.setAttribute("data-who", who === "agent" ? "agent" : "bot");
    typingIndicator.hidden = false;
    window.clearTimeout(state.typingHideTimer);
    state.typingHideTimer = window.setTimeout(hideTyping, TYPING_HIDE_AFTER_MS);
  }

  function hideTyping() {
    window.clearTimeout(state.typingHideTimer);
    state.typingHideTimer = null;
    typingIndicator.hidden = true;
    typingIndicator.textContent = "";
    typingIndicator.removeAttribute("data-who");
  }

  function updateIntro() {
    const first = state.customer ? str(state.customer.first_name) : null;
    intro.textContent =
      (first ? "Hi " + first + "! " : "Hi! ") +
      "Ask us about an order, a return, a refund or a promo code.";
    intro.hidden = messageList.childElementCount > 0;
  }

  // ---------------------------------------------------------------- messages
  function isNearBottom() {
    return messageList.scrollHeight - messageList.scrollTop - messageList.clientHeight < 80;
  }

  function scrollToBottom() {
    messageList.scrollTop = messageList.scrollHeight;
  }

  function scrollToBottomIfNear(wasNear) {
    if (wasNear) scrollToBottom();
  }

  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return null;
    return date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function authorLabel(sender, author) {
    if (sender === "bot") return author || "Assistant";
    if (sender === "agent") return author || "Agent";
    return null;
  }

  function buildMessage(sender, text, options) {
    const opts = options || {};
    const node = el("div", {
      className: "tl-msg tl-msg--" + sender,
      "data-testid": "tierline-message",
      "data-sender": sender,
    });
    if (opts.seq) node.setAttribute("data-seq", String(opts.seq));
    if (opts.clientId) node.setAttribute("data-client-id", opts.clientId);

    const label = authorLabel(sender, opts.author);
    if (label) {
      node.appendChild(el("p", { className: "tl-msg__author", "data-testid": "tierline-message-author", text: label }));
    } else if (sender === "shopper") {
      node.appendChild(el("span", { className: "tl-visually-hidden", text: "You:" }));
    }
    const bubble = el("p", { className: "tl-msg__text", "data-testid": "tierline-message-text", text: text });
    const when = opts.createdAt ? formatTime(opts.createdAt) : null;
    if (when) bubble.title = when;
    node.appendChild(bubble);

    if (opts.buttons && opts.buttons.length) {
      const group = el("div", { className: "tl-quick-replies", role: "group", "aria-label": "Suggested replies" });
      for (const button of opts.buttons) {
        const quick = el("button", {
          type: "button",
          className: "tl-quick-reply",
          "data-testid": "tierline-quick-reply",
          "data-payload": button.payload,
          text: button.title,
        });
        quick.addEventListener("click", () => {
          if (quick.disabled) return;
          sendQuickReply(button.title, button.payload);
        });
        group.appendChild(quick);
      }
      node.appendChild(group);
    }
    return node;
  }

  function setDelivery(node, stateName) {
    // "sending" | "failed" | null (delivered)
    let meta = node.querySelector(".tl-msg__meta");
    if (!stateName) {
      node.removeAttribute("data-state");
      if (meta) meta.remove();
      return;
    }
    node.setAttribute("data-state", stateName);
    if (!meta) {
      meta = el("p", { className: "tl-msg__meta" });
      node.appendChild(meta);
    }
    meta.textContent = stateName === "failed" ? "Not sent" : "Sending\u2026";
  }

  function insertBySeq(node, seq) {
    // Before the first message with a higher seq, or before the shopper's messages still being
    // sent (they stay at the bottom); local notices and failed messages stay where they were.
    for (const child of messageList.children) {
      const childSeq = Number(child.getAttribute("data-seq"));
      const isSending = child.getAttribute("data-state") === "sending";
      if ((childSeq && childSeq > seq) || isSending) {
        messageList.insertBefore(node, child);
        return;
      }
    }
    messageList.appendChild(node);
  }

  function cleanButtons(raw) {
    if (!Array.isArray(raw)) return [];
    const buttons = [];
    for (const item of raw) {
      const title = item ? str(item.title) : null;
      const payload = item ? str(item.payload) : null;
      if (title && payload !== null) buttons.push({ title: title, payload: payload });
    }
    return buttons;
  }

  function isRecent(iso) {
    const time = new Date(iso).getTime();
    return Number.isNaN(time) || time >= PAGE_LOADED_AT - 5000;
  }

  function onMessage(frame) {
    const seq = Number(frame.seq);
    if (!Number.isInteger(seq) || seq <= 0) return;
    const sender = ["shopper", "bot", "agent", "system"].includes(frame.sender) ? frame.sender : "system";
    const clientId = str(frame.client_id);
    const wasNear = isNearBottom();

    if (clientId && state.pending.has(clientId)) {
      state.pending.get(clientId).el.remove();
      state.pending.delete(clientId);
    }
    const existing = state.rendered.get(seq);
    if (existing && existing.getAttribute("data-provisional") !== "true") {
      refreshButtons();
      return; // seen already
    }
    const node = buildMessage(sender, str(frame.text) || "", {
      seq: seq,
      author: str(frame.author),
      clientId: clientId,
      createdAt: str(frame.created_at),
      buttons: cleanButtons(frame.buttons),
    });
    if (existing) {
      existing.replaceWith(node); // the server's copy of a message we only had an ack for
    } else {
      insertBySeq(node, seq);
    }
    state.rendered.set(seq, node);
    state.lastSeq = Math.max(state.lastSeq, seq);

    if (sender === "bot" || sender === "agent") {
      if (typingIndicator.getAttribute("data-who") === sender) hideTyping();
      if (!state.open && isRecent(frame.created_at)) {
        state.unread += 1;
        renderUnread();
      }
    }
    refreshButtons();
    updateIntro();
    scrollToBottomIfNear(wasNear || sender === "shopper");
  }

  function onAck(frame) {
    const clientId = str(frame.client_id);
    const seq = Number(frame.seq);
    const pending = clientId ? state.pending.get(clientId) : null;
    if (!pending || !Number.isInteger(seq) || seq <= 0) return;
    state.pending.delete(clientId);
    const node = pending.el;
    node.remove();
    if (!state.rendered.has(seq)) {
      setDelivery(node, null);
      node.setAttribute("data-seq", String(seq));
      node.setAttribute("data-provisional", "true");
      insertBySeq(node, seq);
      state.rendered.set(seq, node);
      state.lastSeq = Math.max(state.lastSeq, seq);
    }
    refreshButtons();
    updateIntro();
  }

  function addPending(clientId, frame, text) {
    const node = buildMessage("shopper", text, { clientId: clientId });
    setDelivery(node, "sending");
    messageList.appendChild(node);
    state.pending.set(clientId, { frame: frame, el: node });
    refreshButtons();
    updateIntro();
    scrollToBottom();
  }

  function addNotice(text) {
    const content = str(text);
    if (!content) return;
    const wasNear = isNearBottom();
    messageList.appendChild(
      el("p", { className: "tl-notice", "data-testid": "tierline-notice", "data-sender": "notice", text: content })
    );
    updateIntro();
    scrollToBottomIfNear(wasNear);
  }

  // A signed-in shopper named an address other than their account's: ask before sending
  // (frame confirm_email {email, text}; docs/web-chat.md). Either answer removes the question.
  function askEmailConfirmation(frame) {
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
    messageList.appendChild(box);
    scrollToBottomIfNear(wasNear);
    group.children[0].focus();
  }

  function refreshButtons() {
    // Only the latest bot or agent message's quick replies work, and only until the shopper
    // has said something after it.
    let lastShopperSeq = 0;
    let latest = null;
    let latestSeq = 0;
    for (const [seq, node] of state.rendered) {
      const sender = node.getAttribute("data-sender");
      if (sender === "shopper") lastShopperSeq = Math.max(lastShopperSeq, seq);
      if ((sender === "bot" || sender === "agent") && seq > latestSeq) {
        latest = node;
        latestSeq = seq;
      }
    }
    let waiting = false;
    for (const entry of state.pending.values()) {
      if (entry.el.getAttribute("data-state") === "sending") waiting = true;
    }
    const liveNode = latest && latestSeq > lastShopperSeq && !waiting ? latest : null;
    for (const button of messageList.querySelectorAll(".tl-quick-reply")) {
      button.disabled = !liveNode || !liveNode.contains(button);
    }
  }

  function clearConversationView(keepPending) {
    messageList.replaceChildren();
    state.rendered.clear();
    state.lastSeq = 0;
    if (keepPending) {
      for (const entry of state.pending.values()) messageList.appendChild(entry.el);
    } else {
      state.pending.clear();
    }
    hideTyping();
    hideError();
    setQueue(null);
    setAgent(null);
    updateIntro();
  }

  // ---------------------------------------------------------------- sending
  function sendFrame(frame) {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch (_err) {
      return false;
    }
  }

  function queueShopperFrame(frame, text) {
    hideError();
    addPending(frame.client_id, frame, text);
    if (state.ready) sendFrame(frame);
    else ensureConnected();
  }

  function sendText(raw) {
    const text = raw.trim();
    if (!text) return false;
    const length = charCount(text);
    if (length > state.maxChars) {
      showError("Messages can be up to " + state.maxChars + " characters; this one has " + length + ".");
      return false;
    }
    queueShopperFrame({ type: "message", client_id: uuid(), text: text }, text);
    return true;
  }

  function sendQuickReply(title, payload) {
    queueShopperFrame({ type: "button", client_id: uuid(), payload: payload, title: title }, title);
  }

  function resendPending() {
    for (const entry of state.pending.values()) {
      if (entry.el.getAttribute("data-state") === "sending") sendFrame(entry.frame);
    }
  }

  function updateCounter() {
    const length = charCount(input.value);
    const show = length > state.maxChars * 0.9;
    counter.hidden = !show;
    counter.textContent = show ? length + " / " + state.maxChars : "";
    counter.classList.toggle("tl-counter--over", length > state.maxChars);
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sendText(input.value)) {
      input.value = "";
      updateCounter();
      autoGrow();
    }
    input.focus();
  });

  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (typeof composer.requestSubmit === "function") composer.requestSubmit();
    else composer.dispatchEvent(new Event("submit", { cancelable: true }));
  });

  input.addEventListener("input", () => {
    updateCounter();
    autoGrow();
    const now = Date.now();
    if (input.value.trim() && state.ready && now - state.lastTypingSentAt >= TYPING_EVERY_MS) {
      if (sendFrame({ type: "typing" })) state.lastTypingSentAt = now;
    }
  });

  callMeButton.addEventListener("click", () => {
    sendQuickReply("Call me instead", "/request_callback");
  });

  // ---------------------------------------------------------------- email me this chat
  function openEmailForm() {
    const signedIn = state.customer !== null;
    emailLabel.textContent = signedIn ? "Email address (optional)" : "Email address";
    emailHint.textContent = signedIn
      ? "Leave it empty to use the email address on your account."
      : "We'll send a copy of this conversation to this address.";
    emailInput.required = !signedIn;
    emailForm.hidden = false;
    emailChatButton.setAttribute("aria-expanded", "true");
    emailInput.focus();
  }

  function closeEmailForm(returnFocus) {
    emailForm.hidden = true;
    emailChatButton.setAttribute("aria-expanded", "false");
    emailInput.removeAttribute("aria-invalid");
    if (returnFocus) emailChatButton.focus();
  }

  emailChatButton.addEventListener("click", () => {
    if (emailForm.hidden) openEmailForm();
    else closeEmailForm(true);
  });
  emailCancel.addEventListener("click", () => closeEmailForm(true));

  emailForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = emailInput.value.trim();
    if (!email && state.customer === null) {
      emailInput.setAttribute("aria-invalid", "true");
      emailHint.textContent = "Please enter the email address to send the chat to.";
      emailInput.focus();
      return;
    }
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      emailInput.setAttribute("aria-invalid", "true");
      emailHint.textContent = "That doesn't look like an email address.";
      emailInput.focus();
      return;
    }
    if (!state.ready || !sendFrame({ type: "email_transcript", email: email || null })) {
      showError("We're reconnecting. Please try again in a moment.");
      return;
    }
    hideError();
    emailInput.value = "";
    closeEmailForm(false);
    input.focus();
  });

  // ---------------------------------------------------------------- server frames
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
    startPing();
    resendPending();
  }

  function onTyping(frame) {
    const who = frame.who === "agent" ? "agent" : "bot";
    if (frame.on) showTyping(who, str(frame.name));
    else if (typingIndicator.getAttribute("data-who") === who) hideTyping();
  }

  function onError(frame) {
    const code = str(frame.code) || "";
    if (code.startsWith("ws_") && !state.ready) {
      return; // the hello was refused; the socket closes and we start a fresh session
    }
    const message = str(frame.message) || "Something went wrong. Please try again.";
    showError(message);
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
      if (!input.value.trim() && pending.frame.type === "message") {
        input.value = pending.frame.text;
        updateCounter();
        autoGrow();
      }
      state.pending.delete(clientId);
      refreshButtons();
    }
  }

  function handleFrame(raw) {
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

  // ---------------------------------------------------------------- connection
  function socketActive() {
    return (
      state.ws !== null &&
      (state.ws.readyState === WebSocket.CONNECTING || state.ws.readyState === WebSocket.OPEN)
    );
  }

  function ensureConnected() {
    state.started = true;
    if (state.connectId || socketActive()) return;
    connect(); // also cuts a pending backoff short: the shopper is waiting
  }

  function serverError(message) {
    const error = new Error(message);
    error.fromServer = true; // worth showing (a network failure's message isn't)
    return error;
  }

  async function requestSession(allowFresh) {
    const stored = loadStored();
    const response = await window.fetch(ORIGIN + "/chat/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "include",
      cache: "no-store",
      body: JSON.stringify({
        conversation_id: stored ? stored.conversation_id : null,
        token: stored ? stored.token : null,
        identity: IDENTITY,
      }),
    });
    if ((response.status === 400 || response.status === 422) && stored && allowFresh) {
      clearStored(); // what we stored was refused as malformed: start a new conversation
      return requestSession(false);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_err) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && data.detail;
      const message = detail && typeof detail === "object" ? str(detail.message) : str(detail);
      const error = serverError(message || "Chat is unavailable right now (" + response.status + ").");
      // Refused (e.g. the shop's identity token expired): retrying won't help until the page
      // or the shopper does something.
      error.final = response.status === 401 || response.status === 403;
      throw error;
    }
    const conversationId = data ? str(data.conversation_id) : null;
    // A resumed session may leave the token out: it is the one we sent.
    const token =
      (data && str(data.token)) ||
      (stored && stored.conversation_id === conversationId ? stored.token : null);
    if (!conversationId || !token) {
      throw serverError("Chat is unavailable right now.");
    }
    return { conversation_id: conversationId, token: token, customer: data.customer };
  }

  function applySession(data) {
    if (data.conversation_id !== state.conversationId) {
      // Not the conversation on screen (first load, or the server started a new one).
      clearConversationView(true);
    }
    state.conversationId = data.conversation_id;
    state.token = data.token;
    state.customer =
      data.customer && typeof data.customer === "object" && str(data.customer.name)
        ? { name: data.customer.name, first_name: str(data.customer.first_name) || data.customer.name }
        : null;
    saveStored();
    updateIntro();
  }

  function connect() {
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    const id = ++state.connectCounter;
    state.connectId = id;
    showStatus(state.everReady ? "Reconnecting\u2026" : "Connecting\u2026");
    requestSession(true).then(
      (data) => {
        if (state.connectId !== id) return; // superseded (new conversation)
        state.connectId = 0;
        if (state.sessionErrorShown) {
          state.sessionErrorShown = false;
          hideError();
        }
        applySession(data);
        openSocket();
      },
      (error) => {
        if (state.connectId !== id) return;
        state.connectId = 0;
        if (error && error.fromServer) {
          showError(error.message);
          state.sessionErrorShown = true;
        }
        if (error && error.final) {
          showStatus("Chat is unavailable.");
          return; // tried again when the shopper opens the panel or sends something
        }
        scheduleReconnect();
      }
    );
  }

  function openSocket() {
    let ws;
    try {
      ws = new WebSocket(WS_URL);
    } catch (_err) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    state.ready = false;
    ws.addEventListener("open", () => {
      if (ws !== state.ws) return;
      sendFrame({
        type: "hello",
        conversation_id: state.conversationId,
        token: state.token,
        last_seq: state.lastSeq,
      });
    });
    ws.addEventListener("message", (event) => {
      if (ws !== state.ws) return;
      handleFrame(event.data);
    });
    ws.addEventListener("close", () => {
      if (ws !== state.ws) return;
      dropSocket();
      scheduleReconnect();
    });
  }

  function dropSocket() {
    const ws = state.ws;
    state.ws = null;
    state.ready = false;
    stopPing();
    hideTyping();
    if (ws) {
      try {
        ws.close();
      } catch (_err) {
        // already closing
      }
    }
    if (state.started) showStatus(state.everReady ? "Reconnecting\u2026" : "Connecting\u2026");
  }

  function scheduleReconnect() {
    if (state.reconnectTimer) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, state.attempt));
    state.attempt += 1;
    showStatus(state.everReady ? "Reconnecting\u2026" : "Connecting\u2026");
    state.reconnectTimer = window.setTimeout(() => {
      state.reconnectTimer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (!state.started) return;
    if (socketActive()) {
      if (state.ready) sendPing(); // check the line is really alive
      return;
    }
    if (state.connectId) return;
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    state.attempt = 0;
    connect();
  }

  function sendPing() {
    if (!sendFrame({ type: "ping" })) return;
    if (state.pongTimer) return;
    state.pongTimer = window.setTimeout(() => {
      state.pongTimer = null;
      dropSocket(); // no answer: the line is dead even if the browser hasn't noticed
      scheduleReconnect();
    }, PONG_TIMEOUT_MS);
  }

  function startPing() {
    stopPing();
    state.pingTimer = window.setInterval(sendPing, PING_EVERY_MS);
  }

  function stopPing() {
    window.clearInterval(state.pingTimer);
    window.clearTimeout(state.pongTimer);
    state.pingTimer = null;
    state.pongTimer = null;
  }

  function newConversation() {
    state.connectId = 0; // forget any session request in flight
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    dropSocket();
    clearStored();
    state.conversationId = null;
    state.token = null;
    state.attempt = 0;
    clearConversationView(false);
    closeEmailForm(false);
    state.started = true;
    connect();
  }

  window.addEventListener("online", reconnectNow);
  window.addEventListener("offline", () => {
    if (state.ws) {
      dropSocket();
      scheduleReconnect();
    }
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) reconnectNow();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });

  // ---------------------------------------------------------------- start
  function mount() {
    document.body.appendChild(host);
    setAgent(null);
    updateIntro();
    if (loadStored()) ensureConnected(); // resume: show what was said while the page was away
  }

  window.TierlineChat = {
    open: openPanel,
    close: () => closePanel(false),
    newConversation: newConversation,
  };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
