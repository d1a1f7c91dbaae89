// The widget: builds the panel, wires the views and the connection, and resumes a stored
// conversation. widget.js (the script tag a shop embeds) imports this module and calls start().

import { configure } from "./config.js";
import { ensureConnected, newConversation, wireConnection } from "./connection.js";
import { loadStored } from "./storage.js";
import { buildUi, ui } from "./ui.js";
import { wireAttachments } from "./views/attachments.js";
import { wireComposer } from "./views/composer.js";
import { wireEmail } from "./views/email.js";
import { closePanel, openPanel, wirePanel } from "./views/panel.js";
import { setAgent, updateIntro, wireStatus } from "./views/status.js";

/** Start the widget once; returns the public API (window.TierlineChat). */
export function start(options) {
  configure(options);
  buildUi();
  wirePanel();
  wireStatus();
  wireComposer();
  wireAttachments();
  wireEmail();
  wireConnection();

  function mount() {
    document.body.appendChild(ui.host);
    setAgent(null);
    updateIntro();
    if (loadStored()) ensureConnected(); // resume: show what was said while the page was away
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });

  return {
    open: openPanel,
    close: () => closePanel(false),
    newConversation: newConversation,
  };
}
