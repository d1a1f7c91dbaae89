// Who else has this ticket or case open, and who is typing in it (the live socket's presence
// frames). The desk sends who is there whenever it changes; "typing" lasts a few seconds
// unless it is sent again.

import { h, list, obj, replace, setText, str } from "../dom.js";
import * as live from "../live.js";

const TYPING_SHOWN_MS = 6000;

/** A line for `subject` ("ticket:T-…" or "case:CASE-…"): {el, stop()}. */
export function createPresence(ctx, subject) {
  const names = h("span", { testid: "presence-names" });
  const el = h("div", { class: "presence", testid: "presence", hidden: true, "aria-live": "polite" }, names);
  let others = [];
  const typingUntil = new Map(); // username -> time
  let timer = null;

  function render() {
    const now = Date.now();
    const parts = others.map((v) => {
      const typing = (typingUntil.get(v.username) || 0) > now;
      const who = `${v.display_name || v.username}${v.role ? ` (${v.role})` : ""}`;
      return h("span", {
        class: `presence-who${typing ? " presence-typing" : ""}`,
        testid: "presence-who",
        dataset: { username: v.username, typing: String(typing) },
      }, typing ? `${who} is typing…` : `${who} is viewing`);
    });
    el.hidden = parts.length === 0;
    replace(names, parts.length ? [h("span", { class: "muted small" }, "Also here: "), ...parts] : []);
    window.clearTimeout(timer);
    const next = Math.min(...[...typingUntil.values()].filter((t) => t > now));
    if (Number.isFinite(next)) timer = window.setTimeout(render, next - now + 50);
  }

  const stopListening = live.subscribe({
    presence(frame) {
      if (str(frame.subject) !== subject) return;
      others = list(frame.viewers).map(obj)
        .map((v) => ({ username: str(v.username), display_name: str(v.display_name), role: str(v.role), typing: v.typing === true }))
        .filter((v) => v.username && v.username !== ctx.agent.username);
      for (const v of others) {
        if (v.typing) typingUntil.set(v.username, Date.now() + TYPING_SHOWN_MS);
        else typingUntil.delete(v.username);
      }
      render();
    },
    disconnected() {
      others = [];
      render();
    },
  });

  return {
    el,
    stop() {
      stopListening();
      window.clearTimeout(timer);
      setText(names, "");
    },
  };
}
