// Queues (#/queues): the waiting tickets of the tiers the agent works, "My tickets" and, for
// supervisors, tickets claimed by others. GET /console/api/queues when the view opens, when the
// live socket (re)connects and when it says a ticket changed; no polling.

import { API, ApiError, api, seg } from "../api.js";
import {
  customerName, duration, h, humanize, list, money, num, obj, poll, replace, setText,
  showNotice, clearNotice, str, syncList,
} from "../dom.js";
import * as live from "../live.js";
import { breachPanel, fillSla, slaCell, tickSla } from "./sla.js";

export function mount(root, ctx) {
  const isSupervisor = ctx.agent.role === "supervisor";
  const notice = h("div", { class: "notice", role: "status", "aria-live": "polite", testid: "queue-notice" });
  const loadError = h("div", { class: "notice notice-bad", role: "alert", testid: "queues-error" });
  const updated = h("span", { class: "muted small", testid: "queues-updated", "aria-live": "off" });
  const refresh = h("button", { type: "button", class: "btn btn-small", testid: "queues-refresh" }, "Refresh");
  const queuesBox = h("div", { testid: "queues" });
  const noQueues = h("p", { class: "empty", hidden: true }, "Your role works no queues.");

  const mine = section("My tickets", "my-tickets", "You have no claimed tickets.", "Claimed");
  const others = section("Claimed by others", "claimed-by-others", "No one else holds a ticket.", "Claimed by");
  others.el.hidden = !isSupervisor;
  const breaches = isSupervisor ? breachPanel(ctx) : null; // SLA breach notices (views/sla.js)

  root.replaceChildren(
    h("div", { class: "page-head" },
      h("h1", { tabindex: "-1" }, "Queues"),
      h("div", { class: "toolbar" }, updated, refresh)),
    loadError,
    notice,
    breaches ? breaches.el : "",
    queuesBox,
    mine.el,
    others.el,
  );

  const queueSections = new Map(); // tier -> section
  let loadedOnce = false;

  function queueSection(queue) {
    const tier = num(queue.tier);
    let s = queueSections.get(tier);
    if (!s) {
      s = section("", `queue-tier-${tier}`, "No one is waiting.", "Waiting");
      queueSections.set(tier, s);
    }
    const name = str(queue.name);
    setText(s.title, `Tier ${tier}${name ? ` · ${name}` : ""}`);
    return s;
  }

  async function claim(card, button) {
    const number = str(card.ticket_number);
    button.disabled = true;
    setText(button, "Claiming…");
    clearNotice(notice);
    try {
      await api.post(`${API}/tickets/${seg(number)}/claim`, {});
      ctx.announce(`You claimed ${number}.`);
      ctx.navigate(`#/tickets/${encodeURIComponent(number)}`);
    } catch (err) {
      let text;
      if (err instanceof ApiError && err.code === "already_claimed") {
        const who = str(obj(err.detail).claimed_by);
        text = who ? `${who} claimed it first (${number}).` : `${number} is no longer waiting: ${err.message}`;
      } else {
        text = err instanceof ApiError ? err.message : `Could not claim ${number}.`;
      }
      showNotice(notice, "warn", text);
      button.disabled = false;
      setText(button, "Claim");
      poller.now();
    }
  }

  function waitingRow(card) {
    const claimButton = h("button", { type: "button", class: "btn btn-primary btn-small", testid: "claim-button" }, "Claim");
    const el = ticketRow("queue-row", claimButton);
    claimButton.addEventListener("click", () => claim(rows.get(el).card, claimButton));
    return el;
  }

  function render(data) {
    const d = obj(data);
    const queues = list(d.queues);
    const seen = new Set();
    for (const queue of queues) {
      const q = obj(queue);
      const s = queueSection(q);
      seen.add(num(q.tier));
      const waiting = list(q.waiting).map(obj);
      updateSection(s, waiting, waitingRow, (el, card) => fillTicketRow(el, card, "waiting"));
    }
    for (const [tier, s] of queueSections) {
      if (!seen.has(tier)) {
        s.el.remove();
        queueSections.delete(tier);
      }
    }
    const wanted = [...queueSections.keys()].sort((a, b) => a - b).map((t) => queueSections.get(t).el);
    noQueues.hidden = queues.length > 0;
    wanted.push(noQueues);
    // Re-insert only when the sections changed: moving a node would drop the keyboard focus.
    const current = Array.from(queuesBox.children);
    if (current.length !== wanted.length || current.some((el, i) => el !== wanted[i])) {
      replace(queuesBox, wanted);
    }
    updateSection(mine, list(d.my_tickets).map(obj), () => openRow("my-ticket-row"), (el, card) => fillTicketRow(el, card, "mine"));
    if (isSupervisor) {
      updateSection(others, list(d.claimed_by_others).map(obj), () => openRow("claimed-row"), (el, card) => fillTicketRow(el, card, "others"));
    }
  }

  async function load() {
    try {
      const data = await api.get(`${API}/queues`);
      clearNotice(loadError);
      render(data);
      loadedOnce = true;
      setText(updated, `Updated ${new Date().toLocaleTimeString()}`);
    } catch (err) {
      const text = err instanceof ApiError ? err.message : "Could not load the queues.";
      showNotice(loadError, "bad", loadedOnce ? `${text} Showing the last known queues.` : text);
    }
  }

  refresh.addEventListener("click", () => poller.now());
  const poller = poll(load, null);
  const stopListening = live.subscribe({
    connected: () => poller.now(), // catch up on whatever happened while the socket was away
    event(frame) {
      if (str(frame.kind).startsWith("ticket.")) poller.now();
    },
  });
  const ticker = window.setInterval(() => {
    tickWaits(root);
    tickSla(root);
  }, 1000);
  return () => {
    stopListening();
    poller.stop();
    if (breaches) breaches.stop();
    window.clearInterval(ticker);
  };
}

// ------------------------------------------------------------------ sections and rows

/** Per row element: {card, parts}: the ticket it shows and its text nodes. */
const rows = new WeakMap();

function section(titleText, testid, emptyText, timeHeading) {
  const title = h("span", null, titleText);
  const count = h("span", { class: "badge", testid: `${testid}-count` }, "0");
  const rows = h("ul", { class: "rows", testid: `${testid}-list` });
  const empty = h("p", { class: "empty", testid: `${testid}-empty` }, emptyText);
  const head = h("div", { class: "row row-head", "aria-hidden": "true" },
    h("span", null, "Ticket"), h("span", null, timeHeading), h("span", null, "Reason"),
    h("span", null, "Customer"), h("span", null, "Order"), h("span", null, ""));
  const el = h("section", { class: "panel", testid, "aria-labelledby": `${testid}-title` },
    h("h2", { id: `${testid}-title` }, title, count),
    head, rows, empty);
  return { el, title, count, rows, empty, head };
}

function updateSection(s, cards, create, update) {
  syncList(s.rows, cards, (c) => str(c.ticket_number), create, update);
  setText(s.count, String(cards.length));
  s.empty.hidden = cards.length > 0;
  s.head.hidden = cards.length === 0;
}

function openRow(testid) {
  const open = h("a", { class: "btn btn-small", testid: "open-ticket" }, "Open");
  return ticketRow(testid, open);
}

function ticketRow(testid, action) {
  const el = h("li", { class: "row", testid });
  const link = h("a", { class: "ticket-no", testid: "ticket-link" });
  const tier = h("span", { class: "badge" });
  const time = h("span", { class: "wait", testid: "queue-wait" });
  const timeSub = h("span", { class: "sub" });
  const sla = slaCell();
  const reason = h("span", { testid: "queue-reason" });
  const reasonSub = h("span", { class: "sub" });
  const customer = h("span", { testid: "queue-customer" });
  const customerSub = h("span", { class: "sub" });
  const order = h("span", { class: "mono", testid: "queue-order" });
  const orderSub = h("span", { class: "sub" });
  el.append(
    h("div", { class: "cell-ticket" }, link, h("span", { class: "sub" }, tier)),
    h("div", { class: "cell-wait" }, time, timeSub, sla),
    h("div", { class: "cell-reason" }, reason, reasonSub),
    h("div", { class: "cell-customer" }, customer, customerSub),
    h("div", { class: "cell-order" }, order, orderSub),
    h("div", { class: "cell-actions" }, action),
  );
  const parts = { link, tier, time, timeSub, sla, reason, reasonSub, customer, customerSub, order, orderSub, action };
  rows.set(el, { card: {}, parts });
  return el;
}

function fillTicketRow(el, card, kind) {
  const state = rows.get(el);
  state.card = card;
  const p = state.parts;
  const number = str(card.ticket_number);
  const tier = num(card.tier);
  el.dataset.ticket = number;
  p.action.dataset.ticket = number;
  p.action.setAttribute("aria-label", `${p.action.textContent} ${number}`);
  if (p.action.tagName === "A") p.action.href = `#/tickets/${encodeURIComponent(number)}`;
  p.link.href = `#/tickets/${encodeURIComponent(number)}`;
  setText(p.link, number);
  setText(p.tier, `Tier ${tier}`);
  p.tier.className = `badge badge-tier${tier}`;

  if (kind === "waiting") {
    const since = Date.now() - num(card.waiting_seconds) * 1000;
    if (!p.time.dataset.since || Math.abs(Number(p.time.dataset.since) - since) > 2000) {
      p.time.dataset.since = String(since);
    }
    setText(p.time, duration((Date.now() - Number(p.time.dataset.since)) / 1000));
    const position = num(card.queue_position, 0);
    setText(p.timeSub, position ? `#${position} in line` : "");
  } else {
    const claimedAt = Date.parse(str(card.claimed_at));
    if (Number.isFinite(claimedAt)) p.time.dataset.since = String(claimedAt);
    else delete p.time.dataset.since;
    setText(p.time, Number.isFinite(claimedAt) ? duration((Date.now() - claimedAt) / 1000) : "—");
    setText(p.timeSub, kind === "others" ? `by ${str(card.claimed_by, "someone")}` : "");
  }

  fillSla(p.sla, card);
  setText(p.reason, humanize(card.reason) || "—");
  const escalated = str(card.escalated_by);
  setText(p.reasonSub, escalated ? `Escalated by ${escalated}${card.escalation_note ? `: ${str(card.escalation_note)}` : ""}` : "");
  const customer = obj(card.customer);
  const order = obj(card.order);
  setText(p.customer, customerName(customer, order));
  setText(p.customerSub, str(customer.email));
  setText(p.order, str(card.order_number) || "No order");
  setText(p.orderSub, order.total !== undefined ? money(order.total, str(order.currency, "USD")) : "");
}

function tickWaits(root) {
  for (const el of root.querySelectorAll("[data-since]")) {
    setText(el, duration((Date.now() - Number(el.dataset.since)) / 1000));
  }
}
