// The connection: a session (POST /chat/api/session, resuming the stored conversation), then a
// websocket that says hello with the last seq seen; reconnects with backoff, pings to notice a
// dead line, and tries again at once when the browser comes back online or the tab is shown.

import {
  BACKOFF_FIRST_MS,
  BACKOFF_MAX_MS,
  PING_EVERY_MS,
  PONG_TIMEOUT_MS,
  config,
} from "./config.js";
import { handleFrame } from "./protocol.js";
import { state } from "./state.js";
import { clearStored, loadStored, saveStored } from "./storage.js";
import { readReply, str } from "./util.js";
import { closeEmailForm } from "./views/email.js";
import { clearConversationView } from "./views/messages.js";
import { hideError, hideTyping, showError, showStatus, updateIntro } from "./views/status.js";

export function sendFrame(frame) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  try {
    ws.send(JSON.stringify(frame));
    return true;
  } catch (_err) {
    return false;
  }
}

function socketActive() {
  return (
    state.ws !== null &&
    (state.ws.readyState === WebSocket.CONNECTING || state.ws.readyState === WebSocket.OPEN)
  );
}

export function ensureConnected() {
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
  const response = await window.fetch(config.origin + "/chat/api/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "include",
    cache: "no-store",
    body: JSON.stringify({
      conversation_id: stored ? stored.conversation_id : null,
      token: stored ? stored.token : null,
      identity: config.identity,
    }),
  });
  if ((response.status === 400 || response.status === 422) && stored && allowFresh) {
    clearStored(); // what we stored was refused as malformed: start a new conversation
    return requestSession(false);
  }
  const { data, message } = await readReply(response);
  if (!response.ok) {
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
  saveStored(state.conversationId, state.token);
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
    ws = new WebSocket(config.wsUrl);
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

export function startPing() {
  stopPing();
  state.pingTimer = window.setInterval(sendPing, PING_EVERY_MS);
}

function stopPing() {
  window.clearInterval(state.pingTimer);
  window.clearTimeout(state.pongTimer);
  state.pingTimer = null;
  state.pongTimer = null;
}

export function newConversation() {
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

export function wireConnection() {
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
}
