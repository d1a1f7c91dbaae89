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
 * This classic script only reads its own <script> tag (document.currentScript exists only in
 * classic scripts) and loads the ES modules in js/ from the same origin: main.js builds the
 * widget. window.TierlineChat is there at once; calls made before the modules arrive wait.
 *
 * Plain ES2020, no build step, no dependencies.
 */
(function () {
  "use strict";

  if (window.TierlineChat) {
    return; // loaded twice: keep the first one
  }

  const PAGE_LOADED_AT = Date.now();
  const SCRIPT =
    document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  const SCRIPT_URL = new URL(
    (SCRIPT && SCRIPT.getAttribute("src")) || "/chat/widget.js",
    document.baseURI
  );
  const ORIGIN = SCRIPT_URL.origin;
  const IDENTITY = (SCRIPT && SCRIPT.getAttribute("data-identity")) || null;

  let api = null;
  const waiting = [];
  function call(name) {
    if (api) api[name]();
    else waiting.push(name);
  }

  window.TierlineChat = {
    open: () => call("open"),
    close: () => call("close"),
    newConversation: () => call("newConversation"),
  };

  import(ORIGIN + "/chat/js/main.js").then((widget) => {
    api = widget.start({ origin: ORIGIN, identity: IDENTITY, pageLoadedAt: PAGE_LOADED_AT });
    for (const name of waiting.splice(0)) api[name]();
  });
})();
