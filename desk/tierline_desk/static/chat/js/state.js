// The widget's one mutable state: the session, the socket and what is on screen.

import { DEFAULT_MAX_CHARS } from "./config.js";

export const state = {
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
  survey: null, // {subject, answered, box}: the satisfaction survey on screen (views/survey.js)
  open: false,
  unread: 0,
  maxChars: DEFAULT_MAX_CHARS,
  sessionErrorShown: false,
};
