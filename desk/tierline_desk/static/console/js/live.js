// The live console: one websocket (/console/ws) instead of polling. It brings the events of
// the queues, tickets and cases this agent may see, the chat of the open ticket, and who else
// has that ticket or case open (docs/console-api.md, "Live console").
//
// It reconnects by itself with a growing pause. After every (re)connect each view fetches its
// state again over the REST API, so nothing that happened while it was away is lost; chat
// messages carry their seq, so a view drops one it already shows.

import { API, api } from "./api.js";

const PING_MS = 20000;
const TYPING_EVERY_MS = 2000;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10000;

let socket = null;
let csrfToken = "";
let running = false;
let everConnected = false;
let open = false;
let retries = 0;
let pingTimer = null;
let retryTimer = null;
let watching = null; // {ticket, afterSeq()} or {case}
let lastTypingAt = 0;
let onSessionEnded = () => {};
const subscribers = new Set();

function emit(name, frame) {
  for (const handlers of [...subscribers]) {
    const handler = handlers[name];
    if (typeof handler === "function") {
      try {
        handler(frame);
      } catch (_err) {
        // one view's failure must not stop the others
      }
    }
  }
}

function sendFrame(frame) {
  if (socket && open) socket.send(JSON.stringify(frame));
}

function sendWatch() {
  if (!watching) return;
  if (watching.ticket) {
    sendFrame({ type: "watch", ticket: watching.ticket, after_seq: watching.afterSeq() });
  } else {
    sendFrame({ type: "watch", case: watching.case });
  }
}

function connect() {
  if (!running) return;
  const scheme = window.location.protocol.replace("http", "ws"); // same origin, secure if it is
  const ws = new WebSocket(`${scheme}//${window.location.host}/console/ws`);
  socket = ws;
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "hello", csrf_token: csrfToken })));
  ws.addEventListener("message", (message) => {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch (_err) {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "ready") {
      open = true;
      retries = 0;
      const again = everConnected;
      everConnected = true;
      sendWatch();
      pingTimer = window.setInterval(() => sendFrame({ type: "ping" }), PING_MS);
      emit("connected", { reconnected: again });
    } else if (frame.type === "resync") {
      emit("connected", { reconnected: true }); // events were dropped: fetch everything again
    } else if (["event", "presence", "messages", "unwatched", "error"].includes(frame.type)) {
      emit(frame.type, frame);
    }
  });
  ws.addEventListener("close", (closed) => dropped(ws, closed.code));
}

/** The socket `ws` is gone (closed by either side, or the network went away): try again. */
function dropped(ws, code) {
  if (socket !== ws) return;
  socket = null;
  open = false;
  window.clearInterval(pingTimer);
  emit("disconnected", {});
  if (!running) return;
  if (code === 4401) {
    running = false;
    onSessionEnded();
    return;
  }
  if (code === 4403) refreshCsrf(); // a login in another tab changed the token
  const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** retries) * (0.75 + Math.random() / 2);
  retries += 1;
  retryTimer = window.setTimeout(connect, wait);
}

async function refreshCsrf() {
  try {
    const me = await api.get(`${API}/me`, { quiet401: true });
    if (me && typeof me.csrf_token === "string") csrfToken = me.csrf_token;
  } catch (_err) {
    // the next attempt will tell
  }
}

// The browser knows before the socket does when the network went away or came back.
window.addEventListener("offline", () => {
  const ws = socket;
  if (!ws) return;
  dropped(ws, 1006);
  ws.close();
});
window.addEventListener("online", () => {
  if (!running || socket) return;
  window.clearTimeout(retryTimer);
  retries = 0;
  connect();
});

/** Open the socket for a logged-in console; `sessionEnded` is called if the desk ends it. */
export function start(token, sessionEnded) {
  stop();
  csrfToken = token;
  onSessionEnded = sessionEnded;
  running = true;
  everConnected = false;
  retries = 0;
  connect();
}

export function stop() {
  running = false;
  window.clearTimeout(retryTimer);
  window.clearInterval(pingTimer);
  if (socket) socket.close(1000);
  socket = null;
  open = false;
  watching = null;
}

export function isOpen() {
  return open;
}

/**
 * Listen: {connected({reconnected}), disconnected(), event(frame), presence(frame),
 * messages(frame), unwatched(frame), error(frame)}. Returns the function that stops listening.
 */
export function subscribe(handlers) {
  subscribers.add(handlers);
  return () => subscribers.delete(handlers);
}

/** Open a ticket (`afterSeq()`: the last chat seq shown) or a case: presence, and the chat. */
export function watch(subject) {
  watching = subject;
  sendWatch();
}

export function unwatch() {
  if (!watching) return;
  watching = null;
  sendFrame({ type: "unwatch" });
}

/** The agent is typing in the open ticket or case (sent at most every 2 s). */
export function typing() {
  const now = Date.now();
  if (!watching || now - lastTypingAt < TYPING_EVERY_MS) return;
  lastTypingAt = now;
  sendFrame({ type: "typing" });
}
