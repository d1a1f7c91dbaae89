// Where the widget comes from and its fixed timings. The entry script (widget.js) knows the
// origin and the data-attributes of the <script> tag; start() hands them over with configure().

export const STORAGE_KEY = "tierline-chat";
export const PING_EVERY_MS = 25000;
export const PONG_TIMEOUT_MS = 10000;
export const TYPING_EVERY_MS = 3000;
export const TYPING_HIDE_AFTER_MS = 20000;
export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 10000;
export const DEFAULT_MAX_CHARS = 2000;

export const config = {
  origin: "", // the desk: styles, the session API and the websocket all come from here
  wsUrl: "",
  identity: null, // the shop's signed identity token (data-identity), if any
  pageLoadedAt: 0,
};

export function configure(options) {
  config.origin = options.origin;
  config.wsUrl = options.origin.replace(/^http/, "ws") + "/chat/ws";
  config.identity = options.identity;
  config.pageLoadedAt = options.pageLoadedAt;
}
