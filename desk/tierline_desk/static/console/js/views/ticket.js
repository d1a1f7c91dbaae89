// Ticket (#/tickets/{number}): the live chat with the shopper on the left, the case card and the
// action forms on the right. Nothing polls: the live socket (live.js) pushes the chat's new
// messages and says when the ticket changed; who else has it open is shown above.
//   GET  /console/api/tickets/{n}                    the case card (TicketCard): on open, when
//                                                    the ticket changed, after a reconnect
//   GET  /console/api/tickets/{n}/messages?after=N   the chat so far, on open
//   POST /console/api/tickets/{n}/messages {"text"}  the agent's message
//   GET  /console/api/authority                      the agent's limits

import { API, ApiError, api, seg } from "../api.js";
import {
  clearNotice, customerName, dateTime, duration, h, humanize, list, money, num, obj, poll, replace,
  setText, showNotice, str, timeOnly,
} from "../dom.js";
import { assignControl } from "./assign.js";
import * as live from "../live.js";
import { createPresence } from "./presence.js";
import { createActions } from "./ticket_actions.js";

const SHOPPER_TYPING_MS = 6000;
const SENDERS = new Set(["shopper", "bot", "agent", "system"]);
const TIERS = { associate: [1], supervisor: [1, 2] };

export function mount(root, ctx) {
  const number = str(ctx.param).trim().toUpperCase();
  if (!number) {
    ctx.navigate("#/queues");
    return () => {};
  }
  const role = ctx.agent.role;
  let card = null;
  let authority; // undefined: loading, null: unavailable
  let cardSignature = "";
  let cardGone = false;

  // ---------------------------------------------------------------- page head
  const statusBadge = h("span", { class: "badge", testid: "ticket-status" });
  const tierBadge = h("span", { class: "badge", testid: "ticket-tier" });
  const claimButton = h("button", { type: "button", class: "btn btn-primary", testid: "ticket-claim", hidden: true }, "Claim");
  const ticketNotice = h("div", { class: "notice", role: "status", "aria-live": "polite", testid: "ticket-notice" });
  const claimedBanner = h("div", { class: "notice notice-warn", role: "status", testid: "claimed-banner", hidden: true });
  const presence = createPresence(ctx, `ticket:${number}`);
  const head = h("div", { class: "page-head" },
    h("div", { class: "card-head" },
      ctx.can("queues") ? h("a", { href: "#/queues", testid: "back-to-queues", class: "btn btn-ghost btn-small" }, "← Queues") : null,
      h("h1", { tabindex: "-1", testid: "ticket-title" }, `Ticket ${number}`),
      statusBadge, tierBadge),
    h("div", { class: "toolbar" }, claimButton));
  const assign = role === "supervisor" ? assignControl(ctx, number, (c) => { applyCard(c); cardPoller.now(); }) : null;
  if (assign) head.lastChild.append(assign.el);

  // ---------------------------------------------------------------- chat (left)
  const chat = createChat(ctx, number, () => card);

  // ---------------------------------------------------------------- case card and actions (right)
  const cardBody = h("div", { testid: "case-card-body" }, h("p", { class: "muted" }, "Loading the case card…"));
  const cardPanel = h("section", { class: "panel", testid: "case-card", "aria-labelledby": `card-title-${number}` },
    h("h2", { id: `card-title-${number}` }, "Case card"), cardBody);
  const actions = createActions({
    ctx,
    number,
    onChanged(newCard) {
      if (newCard) applyCard(newCard);
      cardPoller.now();
    },
  });

  root.replaceChildren(
    head,
    claimedBanner,
    presence.el,
    ticketNotice,
    h("div", { class: "ticket-layout" },
      chat.el,
      h("div", { class: "ticket-side" }, cardPanel, actions.el)),
  );

  function applyCard(data) {
    card = obj(data);
    const status = str(card.status);
    setText(statusBadge, humanize(status) || "—");
    statusBadge.className = `badge badge-${status}`;
    const tier = num(card.tier);
    setText(tierBadge, tier ? `Tier ${tier}` : "");
    tierBadge.className = `badge badge-tier${tier}`;
    claimButton.hidden = !(status === "waiting" && (TIERS[role] || []).includes(tier));
    const signature = JSON.stringify({ ...card, waiting_seconds: null });
    if (signature !== cardSignature) {
      cardSignature = signature;
      replace(cardBody, renderCard(card));
    }
    actions.update(card, authority);
    if (assign) assign.update(card);
    const mine = status === "claimed" && str(card.claimed_by) === ctx.agent.username;
    // Someone else holds it: say so plainly, whoever opens it.
    const holder = status === "claimed" && !mine ? str(card.claimed_by, "another agent") : "";
    claimedBanner.hidden = !holder;
    setText(claimedBanner, holder ? `Claimed by ${holder}: they are working this ticket${role === "supervisor" ? "; you can still step in" : ""}.` : "");
    const canAct = status === "claimed" && (mine || role === "supervisor");
    chat.setCanSend(canAct, canAct ? "" : status === "waiting" ? "Claim the ticket to chat with the shopper." : `The ticket is ${humanize(status).toLowerCase()}.`);
  }

  async function loadCard() {
    if (cardGone) return;
    try {
      applyCard(await api.get(`${API}/tickets/${seg(number)}`));
      if (ticketNotice.dataset.kind === "load") {
        clearNotice(ticketNotice);
        delete ticketNotice.dataset.kind;
      }
    } catch (err) {
      const e = err instanceof ApiError ? err : null;
      if (e && (e.status === 403 || e.status === 404)) {
        if (card) {
          cardGone = true;
          chat.stop();
          showNotice(ticketNotice, "info", "This ticket has left your hands (", e.message, "). ",
            ctx.can("queues") ? h("a", { href: "#/queues" }, "Back to the queues") : "");
        } else {
          showNotice(ticketNotice, "bad", e.message);
          replace(cardBody, h("p", { class: "muted" }, "No case card to show."));
        }
        ticketNotice.dataset.kind = "gone";
      } else {
        showNotice(ticketNotice, "warn", `Could not refresh the case card: ${e ? e.message : "unknown error"}`);
        ticketNotice.dataset.kind = "load";
      }
    }
  }

  async function loadAuthority() {
    try {
      const data = obj(await api.get(`${API}/authority`));
      authority = {
        role: str(data.role, role),
        refund: data.refund === undefined ? null : data.refund,
        certificate: data.certificate === undefined ? null : data.certificate,
        reship: data.reship === true ? true : data.reship === false ? false : null,
        budget: data.budget === undefined ? null : data.budget,
        daily: data.daily === undefined ? null : data.daily,
      };
    } catch (_err) {
      authority = null;
    }
    actions.update(card || {}, authority);
  }

  claimButton.addEventListener("click", async () => {
    claimButton.disabled = true;
    try {
      applyCard(await api.post(`${API}/tickets/${seg(number)}/claim`, {}));
      showNotice(ticketNotice, "ok", `You claimed ${number}.`);
      ctx.announce(`You claimed ${number}.`);
    } catch (err) {
      let text = err instanceof ApiError ? err.message : "Could not claim the ticket.";
      if (err instanceof ApiError && err.code === "already_claimed") {
        const who = str(obj(err.detail).claimed_by);
        if (who) text = `${who} claimed it first.`;
      }
      showNotice(ticketNotice, "warn", text);
      cardPoller.now();
    } finally {
      claimButton.disabled = false;
    }
  });

  loadAuthority();
  const cardPoller = poll(async () => {
    await loadCard();
    chat.start();
  }, null);
  const stopListening = live.subscribe({
    connected: () => cardPoller.now(), // whatever changed while the socket was away
    event(frame) {
      if (str(obj(frame.data).ticket_number) === number) cardPoller.now();
    },
  });
  const ticker = window.setInterval(() => {
    for (const el of root.querySelectorAll("[data-since]")) {
      setText(el, duration((Date.now() - Number(el.dataset.since)) / 1000));
    }
  }, 1000);

  return () => {
    stopListening();
    presence.stop();
    cardPoller.stop();
    chat.stop();
    window.clearInterval(ticker);
  };
}

// ------------------------------------------------------------------ the case card

function fact(dl, label, value, testid) {
  if (value === null || value === undefined || value === "") return;
  dl.append(h("dt", null, label), h("dd", { testid }, value));
}

function renderCard(card) {
  const out = [];
  const facts = h("dl", { class: "facts" });
  fact(facts, "Reason", humanize(card.reason) || "—", "case-reason");
  if (str(card.status) === "waiting") {
    const since = Date.now() - num(card.waiting_seconds) * 1000;
    const position = num(card.queue_position, 0);
    fact(facts, "Waiting", h("span", null,
      h("span", { dataset: { since: String(since) }, testid: "case-waiting" }, duration(num(card.waiting_seconds))),
      position ? ` · #${position} in line` : ""));
  }
  if (card.claimed_by) fact(facts, "Claimed by", `${str(card.claimed_by)} · ${dateTime(card.claimed_at)}`, "case-claimed-by");
  if (card.escalated_by) {
    fact(facts, "Escalated", `by ${str(card.escalated_by)} · ${dateTime(card.escalated_at)}`, "case-escalated");
    fact(facts, "Escalation note", h("span", { class: "pre" }, str(card.escalation_note)), "case-escalation-note");
  }
  if (card.referred_case_number) fact(facts, "Referred to", str(card.referred_case_number), "case-referred");
  if (card.outcome) fact(facts, "Outcome", h("span", { class: "pre" }, str(card.outcome)), "case-outcome");
  fact(facts, "Opened", dateTime(card.created_at), "case-created");
  out.push(facts);

  // Customer
  const customer = obj(card.customer);
  const order = card.order ? obj(card.order) : null;
  out.push(h("h3", { class: "section-title" }, "Customer"));
  const cust = h("dl", { class: "facts", testid: "case-customer" });
  fact(cust, "Name", customerName(customer, order));
  fact(cust, "Email", str(customer.email));
  fact(cust, "Customer id", str(customer.id) || (order ? str(order.customer_id) : ""));
  for (const [key, value] of Object.entries(customer)) {
    if (["name", "email", "id"].includes(key) || value === null || typeof value === "object") continue;
    fact(cust, humanize(key), str(value));
  }
  out.push(cust);

  // Order
  out.push(h("h3", { class: "section-title" }, "Order"));
  if (!order) {
    out.push(h("p", { class: "muted", testid: "case-order" }, card.order_number ? `Order ${str(card.order_number)} (not found)` : "No order on this ticket."));
  } else {
    const cur = str(order.currency, "USD");
    const od = h("dl", { class: "facts", testid: "case-order" });
    fact(od, "Order", h("span", { class: "mono", testid: "case-order-number" }, str(order.order_number)));
    fact(od, "Status", humanize(order.status), "case-order-status");
    fact(od, "Total", money(order.total, cur), "case-total");
    fact(od, "Already refunded", money(order.refunded, cur), "case-refunded");
    const refundable = num(order.total) - num(order.refunded);
    fact(od, "Refundable", money(Math.max(0, refundable), cur), "case-refundable");
    out.push(od);
    const items = list(order.items).map(obj);
    out.push(h("div", { class: "table-scroll" },
      h("table", { class: "data", testid: "case-order-items" },
        h("caption", { class: "sr-only" }, "Items in the order"),
        h("thead", null, h("tr", null,
          h("th", { scope: "col" }, "Item"), h("th", { scope: "col" }, "SKU"),
          h("th", { scope: "col", class: "num" }, "Qty"), h("th", { scope: "col", class: "num" }, "Unit price"))),
        h("tbody", null, items.map((item) => h("tr", { testid: "case-order-item", dataset: { sku: str(item.sku) } },
          h("td", null, str(item.name)), h("td", { class: "mono" }, str(item.sku)),
          h("td", { class: "num" }, String(num(item.quantity))), h("td", { class: "num" }, money(item.unit_price, cur))))))));
  }

  // What the bot tried
  out.push(h("h3", { class: "section-title" }, "What the bot tried"));
  const attempts = list(card.bot_attempts).map((a) => str(a)).filter(Boolean);
  out.push(attempts.length
    ? h("ul", { class: "bullets", testid: "case-bot-attempts" }, attempts.map((a) => h("li", null, humanize(a))))
    : h("p", { class: "muted", testid: "case-bot-attempts" }, "Nothing recorded."));

  // Bot transcript
  out.push(h("h3", { class: "section-title" }, "Bot transcript"));
  const recent = list(card.recent_messages).map(obj);
  out.push(recent.length
    ? h("ol", { class: "transcript", testid: "case-transcript", tabindex: "0", "aria-label": "Bot transcript" },
      recent.map((m) => {
        const who = str(m.sender || m.role);
        const label = who === "user" || who === "shopper" ? "Shopper" : who === "bot" ? "Bot" : humanize(who) || "?";
        return h("li", { dataset: { sender: who } }, h("span", { class: "who" }, `${label}:`), str(m.text),
          m.at ? h("span", { class: "muted small" }, ` · ${timeOnly(m.at)}`) : "");
      }))
    : h("p", { class: "muted", testid: "case-transcript" }, "No messages were passed on."));
  return out;
}

// ------------------------------------------------------------------ the live chat

function createChat(ctx, number, getCard) {
  let lastSeq = 0;
  let loaded = false;
  let started = false;
  let stopped = false;
  let typingTimer = null;
  const seen = new Set();

  const mode = h("span", { class: "badge", testid: "chat-mode" }, "…");
  const log = h("ol", {
    class: "chat-log", role: "log", "aria-live": "off", "aria-label": "Chat with the shopper",
    "aria-relevant": "additions", testid: "chat-log", tabindex: "0",
  });
  const empty = h("li", { class: "muted small", testid: "chat-empty" }, "No messages yet.");
  log.append(empty);
  const typing = h("div", { class: "typing", testid: "chat-typing", hidden: true, "aria-live": "polite" }, "The shopper is typing…");
  const status = h("div", { class: "notice", role: "status", testid: "chat-status" });
  const input = h("textarea", {
    id: `chat-input-${number}`, testid: "chat-input", rows: "2", maxlength: "2000",
    placeholder: "Write to the shopper (Enter sends, Shift+Enter for a new line)",
  });
  const send = h("button", { type: "submit", class: "btn btn-primary", testid: "chat-send" }, "Send");
  const sendError = h("div", { class: "notice notice-bad", role: "alert", testid: "chat-error" });
  const hint = h("p", { class: "hint", testid: "chat-hint", hidden: true });
  const composer = h("form", { class: "composer", testid: "chat-composer", novalidate: true },
    h("label", { for: input.id, class: "sr-only" }, "Message to the shopper"), input, send);
  let sending = false;
  let canSend = false;
  let noWebChat = false;
  let whyNot = "";

  function applyCanSend() {
    const allowed = canSend && !noWebChat;
    const why = noWebChat ? "There is no live chat for this conversation." : whyNot;
    input.disabled = !allowed;
    send.disabled = !allowed || sending;
    hint.hidden = allowed || !why;
    setText(hint, allowed ? "" : why);
  }

  const el = h("section", { class: "panel chat", testid: "chat", "aria-labelledby": `chat-title-${number}` },
    h("div", { class: "chat-head" }, h("h2", { id: `chat-title-${number}` }, "Live chat"), mode),
    h("div", { class: "chat-status" }, status),
    log,
    typing,
    h("div", { class: "composer-wrap" }, sendError, h("div", { class: "chat-status" }, hint), composer));

  function senderLabel(m, sender) {
    if (sender === "shopper") {
      const card = obj(getCard());
      const c = obj(card.customer);
      return str(m.author) || str(c.name) || str(obj(card.order).customer_name) || "Shopper";
    }
    if (sender === "bot") return str(m.author) || "Bot";
    if (sender === "agent") {
      const r = str(m.author_role);
      return `${str(m.author, "Agent")}${r ? ` (${r})` : ""}`;
    }
    return "";
  }

  function messageEl(m, seq) {
    const sender = SENDERS.has(str(m.sender)) ? str(m.sender) : "system";
    const buttons = list(m.buttons).map((b) => (typeof b === "string" ? b : str(obj(b).title) || str(obj(b).payload))).filter(Boolean);
    const label = senderLabel(m, sender);
    const time = timeOnly(m.created_at);
    return h("li", { class: `msg msg-${sender}`, testid: "chat-message", dataset: { seq: String(seq), sender } },
      label || time ? h("div", { class: "msg-meta" }, [label, time].filter(Boolean).join(" · ")) : null,
      h("div", { class: "msg-text", testid: "chat-message-text" }, str(m.text)),
      buttons.length ? h("ul", { class: "chips", "aria-label": "Buttons offered" }, buttons.map((b) => h("li", null, b))) : null);
  }

  function addMessages(messages, forceScroll) {
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    let added = 0;
    for (const raw of messages) {
      const m = obj(raw);
      const seq = num(m.seq, NaN);
      if (!Number.isFinite(seq) || seen.has(seq)) continue;
      seen.add(seq);
      const node = messageEl(m, seq);
      // Keep seq order even when our own message (from the POST) arrives before older ones.
      let before = null;
      for (const child of log.children) {
        if (child.dataset.seq !== undefined && Number(child.dataset.seq) > seq) {
          before = child;
          break;
        }
      }
      log.insertBefore(node, before);
      added += 1;
    }
    if (added) {
      empty.remove();
      if (forceScroll || nearBottom || !loaded) log.scrollTop = log.scrollHeight;
    }
  }

  async function load() {
    try {
      const d = obj(await api.get(`${API}/tickets/${seg(number)}/messages?after=${lastSeq}`));
      if (d.web_chat === false) {
        // The conversation came through another channel: nothing live to show or write to
        // (who else has the ticket open is still shown).
        noWebChat = true;
        live.watch({ ticket: number, afterSeq: () => lastSeq });
        showNotice(status, "info", "This conversation did not come from the web chat, so there is no live chat. " +
          "Use the bot transcript on the case card, and hand it back to the bot with the outcome.");
        empty.hidden = true;
        setText(mode, "No live chat");
        mode.className = "badge";
        mode.dataset.mode = "";
        typing.hidden = true;
        applyCanSend();
        return;
      }
      if (noWebChat) {
        noWebChat = false;
        applyCanSend();
      }
      clearNotice(status);
      applyChat(d);
      if (!loaded) {
        loaded = true;
        // Announce only what arrives from now on, not the history.
        log.setAttribute("aria-live", "polite");
      }
      // From here on the live socket pushes what is new (after lastSeq, again after a reconnect).
      live.watch({ ticket: number, afterSeq: () => lastSeq });
    } catch (err) {
      const e = err instanceof ApiError ? err : null;
      if (e && e.status === 403) {
        // No longer ours to see (escalated, or another tier).
        showNotice(status, "info", e.message);
      } else if (e && e.status === 404) {
        showNotice(status, "info", "The live chat is not available for this ticket.");
      } else {
        showNotice(status, "warn", `Chat connection problem${e ? `: ${e.message}` : ""}. Retrying…`);
        window.setTimeout(() => {
          if (!stopped) load();
        }, 5000);
      }
    }
  }

  /** New lines, the mode and the shopper's typing, from the REST answer or a live frame. */
  function applyChat(d) {
    const m = str(d.mode);
    setText(mode, m === "agent" ? "You are talking" : m === "bot" ? "Bot is talking" : m || "—");
    mode.className = `badge ${m === "agent" ? "badge-claimed" : "badge-waiting"}`;
    mode.dataset.mode = m;
    typing.hidden = d.shopper_typing !== true;
    window.clearTimeout(typingTimer);
    if (!typing.hidden) typingTimer = window.setTimeout(() => { typing.hidden = true; }, SHOPPER_TYPING_MS);
    const messages = list(d.messages);
    addMessages(messages, false);
    for (const raw of messages) {
      const seq = num(obj(raw).seq, NaN);
      if (Number.isFinite(seq) && seq > lastSeq) lastSeq = seq;
    }
  }

  const stopListening = live.subscribe({
    messages(frame) {
      if (str(frame.ticket) === number && loaded && !stopped) applyChat(frame);
    },
    unwatched(frame) {
      if (str(frame.subject) === `ticket:${number}`) showNotice(status, "info", "This ticket is no longer yours to see.");
    },
    disconnected() {
      if (loaded && !stopped) showNotice(status, "warn", "Live updates paused: reconnecting…");
    },
    connected() {
      if (status.textContent.startsWith("Live updates paused")) clearNotice(status);
    },
  });

  async function submit(event) {
    event.preventDefault();
    if (sending || !canSend || noWebChat) return;
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    sending = true;
    send.disabled = true;
    clearNotice(sendError);
    try {
      const stored = obj(await api.post(`${API}/tickets/${seg(number)}/messages`, { text }));
      input.value = "";
      addMessages([stored], true);
    } catch (err) {
      showNotice(sendError, "bad", err instanceof ApiError ? err.message : "The message was not sent.");
    } finally {
      sending = false;
      applyCanSend();
      input.focus();
    }
  }

  composer.addEventListener("submit", submit);
  // Tell the shopper's widget that the agent is typing (at most every 3 s; errors don't matter).
  let lastTypingAt = 0;
  input.addEventListener("input", () => {
    const now = Date.now();
    if (!canSend || noWebChat || !input.value.trim()) return;
    live.typing(); // the other agents on this ticket see it
    if (now - lastTypingAt < 3000) return;
    lastTypingAt = now;
    api.post(`${API}/tickets/${seg(number)}/typing`, {}).catch(() => {});
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  return {
    el,
    /** Load the chat and go live (after the first case card load, so shopper names are known). */
    start() {
      if (started || stopped) return;
      started = true;
      load();
    },
    setCanSend(allowed, why) {
      canSend = allowed;
      whyNot = why || "";
      applyCanSend();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      stopListening();
      window.clearTimeout(typingTimer);
      if (started) live.unwatch();
    },
  };
}
