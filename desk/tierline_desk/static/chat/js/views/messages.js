// The message list: the shopper's, the bot's and the agents' messages in seq order, their quick
// replies (only the latest bot or agent message's work), delivery marks and local notices.

import { config } from "../config.js";
import { el } from "../dom.js";
import { state } from "../state.js";
import { ui } from "../ui.js";
import { str } from "../util.js";
import { renderAttachments } from "./attachments.js";
import { sendQuickReply } from "./composer.js";
import { renderUnread } from "./panel.js";
import { hideError, hideTyping, setAgent, setQueue, updateIntro } from "./status.js";

export function isNearBottom() {
  return ui.messageList.scrollHeight - ui.messageList.scrollTop - ui.messageList.clientHeight < 80;
}

export function scrollToBottom() {
  ui.messageList.scrollTop = ui.messageList.scrollHeight;
}

export function scrollToBottomIfNear(wasNear) {
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

export function setDelivery(node, stateName) {
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
  for (const child of ui.messageList.children) {
    const childSeq = Number(child.getAttribute("data-seq"));
    const isSending = child.getAttribute("data-state") === "sending";
    if ((childSeq && childSeq > seq) || isSending) {
      ui.messageList.insertBefore(node, child);
      return;
    }
  }
  ui.messageList.appendChild(node);
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
  return Number.isNaN(time) || time >= config.pageLoadedAt - 5000;
}

export function onMessage(frame) {
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
  renderAttachments(node, frame.attachments);
  if (existing) {
    existing.replaceWith(node); // the server's copy of a message we only had an ack for
  } else {
    insertBySeq(node, seq);
  }
  state.rendered.set(seq, node);
  state.lastSeq = Math.max(state.lastSeq, seq);
  // An open survey (views/survey.js) stays below the conversation it rates.
  if (state.survey && !state.survey.answered && state.survey.box.isConnected) {
    ui.messageList.appendChild(state.survey.box);
  }

  if (sender === "bot" || sender === "agent") {
    if (ui.typingIndicator.getAttribute("data-who") === sender) hideTyping();
    if (!state.open && isRecent(frame.created_at)) {
      state.unread += 1;
      renderUnread();
    }
  }
  refreshButtons();
  updateIntro();
  scrollToBottomIfNear(wasNear || sender === "shopper");
}

export function onAck(frame) {
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

export function addPending(clientId, frame, text) {
  const node = buildMessage("shopper", text, { clientId: clientId });
  setDelivery(node, "sending");
  ui.messageList.appendChild(node);
  state.pending.set(clientId, { frame: frame, el: node });
  refreshButtons();
  updateIntro();
  scrollToBottom();
}

export function addNotice(text) {
  const content = str(text);
  if (!content) return;
  const wasNear = isNearBottom();
  ui.messageList.appendChild(
    el("p", { className: "tl-notice", "data-testid": "tierline-notice", "data-sender": "notice", text: content })
  );
  updateIntro();
  scrollToBottomIfNear(wasNear);
}

export function refreshButtons() {
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
  for (const button of ui.messageList.querySelectorAll(".tl-quick-reply")) {
    button.disabled = !liveNode || !liveNode.contains(button);
  }
}

export function clearConversationView(keepPending) {
  ui.messageList.replaceChildren();
  state.survey = null;
  state.rendered.clear();
  state.lastSeq = 0;
  if (keepPending) {
    for (const entry of state.pending.values()) ui.messageList.appendChild(entry.el);
  } else {
    state.pending.clear();
  }
  hideTyping();
  hideError();
  setQueue(null);
  setAgent(null);
  updateIntro();
}
