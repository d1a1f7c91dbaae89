// The launcher and the panel: reveal once styled, open / close, the unread badge, the header menu.

import { ensureConnected, newConversation } from "../connection.js";
import { state } from "../state.js";
import { ui } from "../ui.js";
import { scrollToBottom } from "./messages.js";

export function openPanel() {
  if (state.open) return;
  state.open = true;
  ui.panel.hidden = false;
  ui.launcher.setAttribute("aria-expanded", "true");
  state.unread = 0;
  renderUnread();
  scrollToBottom();
  ui.input.focus();
  ensureConnected();
}

export function closePanel(returnFocus) {
  if (!state.open) return;
  closeMenu(false);
  state.open = false;
  ui.panel.hidden = true;
  ui.launcher.setAttribute("aria-expanded", "false");
  if (returnFocus) ui.launcher.focus();
}

export function renderUnread() {
  ui.launcherBadge.textContent = state.unread > 9 ? "9+" : String(state.unread);
  ui.launcherBadge.hidden = state.unread === 0;
}

function openMenu() {
  ui.menu.hidden = false;
  ui.menuButton.setAttribute("aria-expanded", "true");
  ui.newConversationItem.focus();
}

function closeMenu(returnFocus) {
  if (ui.menu.hidden) return;
  ui.menu.hidden = true;
  ui.menuButton.setAttribute("aria-expanded", "false");
  if (returnFocus) ui.menuButton.focus();
}

export function wirePanel() {
  // Show nothing until the styles are in (no flash of an unstyled panel); if they can't load,
  // show the plain version rather than nothing.
  let revealed = false;
  function reveal() {
    if (revealed) return;
    revealed = true;
    ui.root.hidden = false;
  }
  ui.stylesheet.addEventListener("load", reveal);
  ui.stylesheet.addEventListener("error", reveal);
  window.setTimeout(reveal, 5000);

  ui.launcher.addEventListener("click", () => {
    if (state.open) closePanel(true);
    else openPanel();
  });
  ui.closeButton.addEventListener("click", () => closePanel(true));

  ui.panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    if (!ui.menu.hidden) {
      closeMenu(true);
      return;
    }
    closePanel(true);
  });

  ui.menuButton.addEventListener("click", () => {
    if (ui.menu.hidden) openMenu();
    else closeMenu(true);
  });
  ui.shadow.addEventListener("click", (event) => {
    if (ui.menu.hidden) return;
    const path = event.composedPath();
    if (!path.includes(ui.menu) && !path.includes(ui.menuButton)) closeMenu(false);
  });
  ui.newConversationItem.addEventListener("click", () => {
    closeMenu(false);
    newConversation();
    ui.input.focus();
  });
}
