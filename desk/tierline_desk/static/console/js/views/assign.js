// Who works which ticket (docs/routing.md#automatic-assignment).
//   GET  /console/api/assignment                          tiers' auto-assignment, agents' load
//   POST /console/api/assignment/tiers/{tier}             {"auto_assign"} (supervisors, admins)
//   POST /console/api/assignment/agents/{user}/capacity   {"capacity"} (admins)
//   POST /console/api/tickets/{n}/assign                  {"agent"} (supervisors)
// assignControl(): the ticket page's "Assign to" for supervisors; mount(): the #/floor screen.

import { API, ApiError, api, seg } from "../api.js";
import { clearNotice, h, list, num, obj, poll, replace, setText, showNotice, str } from "../dom.js";
import * as live from "../live.js";

// Tickets changing hands arrive over the live socket; an agent goes offline only as time
// passes (heartbeats stop), which nothing pushes, so the floor also looks again now and then.
const FLOOR_RECHECK_MS = 30000;

/** The ticket page's control: {el, update(card)}; ``onChanged(card)`` after an assignment. */
export function assignControl(ctx, number, onChanged) {
  const select = h("select", { id: `assign-${number}`, testid: "assign-agent" });
  const button = h("button", { type: "button", class: "btn btn-small", testid: "assign-button" }, "Assign");
  const note = h("span", { class: "muted small", role: "status", testid: "assign-note" });
  const el = h("div", { class: "assign", testid: "assign", hidden: true },
    h("label", { for: `assign-${number}` }, "Assign to"), select, button, note);
  let card = {};

  async function refreshAgents() {
    const tier = num(card.tier);
    try {
      const floor = obj(await api.get(`${API}/assignment`));
      const agents = list(floor.agents).map(obj)
        .filter((a) => a.online && list(a.tiers).includes(tier) && str(a.username) !== str(card.claimed_by));
      const chosen = select.value;
      replace(select, agents.map((a) => h("option", { value: str(a.username) },
        `${str(a.display_name)} (${num(a.load)}/${num(a.capacity)})`)));
      if (agents.some((a) => str(a.username) === chosen)) select.value = chosen;
      button.disabled = agents.length === 0;
      setText(note, agents.length ? "" : "Nobody else online works this tier.");
    } catch (err) {
      setText(note, err instanceof ApiError ? err.message : "Could not load the agents.");
    }
  }

  button.addEventListener("click", async () => {
    const agent = select.value;
    if (!agent) return;
    button.disabled = true;
    try {
      const updated = await api.post(`${API}/tickets/${seg(number)}/assign`, { agent });
      ctx.announce(`${number} assigned to ${agent}.`);
      setText(note, `Assigned to ${agent}.`);
      onChanged(updated);
    } catch (err) {
      setText(note, err instanceof ApiError ? err.message : "Could not assign the ticket.");
    }
    button.disabled = false;
    refreshAgents();
  });

  return {
    el,
    update(newCard) {
      const before = JSON.stringify([card.status, card.claimed_by, card.tier]);
      card = obj(newCard);
      const status = str(card.status);
      el.hidden = !(status === "waiting" || status === "claimed");
      if (!el.hidden && before !== JSON.stringify([card.status, card.claimed_by, card.tier])) refreshAgents();
    },
  };
}

/** #/floor: each tier's auto-assignment switch and every agent's tickets against capacity. */
export function mount(root, ctx) {
  const isAdmin = ctx.agent.role === "admin";
  const notice = h("div", { class: "notice", role: "status", "aria-live": "polite", testid: "floor-notice" });
  const tiersBox = h("div", { class: "figures", testid: "floor-tiers" });
  const agentsBody = h("tbody", { testid: "floor-agents" });
  root.replaceChildren(
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Assignment")),
    notice,
    tiersBox,
    h("section", { class: "panel" },
      h("table", { class: "data" },
        h("caption", null, "Agents"),
        h("thead", null, h("tr", null, ["Agent", "Role", "Online", "Tickets", "Capacity"].map((t) => h("th", { scope: "col" }, t)))),
        agentsBody)),
  );

  async function act(path, body, done) {
    clearNotice(notice);
    try {
      render(await api.post(`${API}${path}`, body));
      ctx.announce(done);
    } catch (err) {
      showNotice(notice, "bad", err instanceof ApiError ? err.message : "That did not work.");
    }
  }

  function tierBox(t) {
    const tier = num(t.tier);
    const on = Boolean(t.auto_assign);
    const toggle = h("button", { type: "button", class: "btn btn-small", testid: `floor-tier${tier}-toggle` },
      on ? "Turn off" : "Turn on");
    toggle.addEventListener("click", () =>
      act(`/assignment/tiers/${tier}`, { auto_assign: !on }, `Tier ${tier} automatic assignment ${on ? "off" : "on"}.`));
    return h("div", { class: "figure", testid: `floor-tier${tier}` },
      h("div", { class: "figure-label" }, `Tier ${tier} automatic assignment`),
      h("div", { class: "figure-value", testid: `floor-tier${tier}-state` }, on ? "On" : "Off"),
      h("div", { class: "figure-sub" }, `${num(t.agents_online)} online `, toggle));
  }

  function capacityCell(a) {
    const value = `${num(a.capacity)}${a.capacity_is_default ? " (default)" : ""}`;
    if (!isAdmin) return h("td", null, value);
    const input = h("input", { type: "number", min: "1", max: "50", value: String(num(a.capacity)), "aria-label": `Capacity of ${str(a.username)}`, class: "input-small" });
    const save = h("button", { type: "button", class: "btn btn-small" }, "Save");
    save.addEventListener("click", () => {
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 1 || n > 50) {
        showNotice(notice, "bad", "Capacity is a whole number from 1 to 50.");
        return;
      }
      act(`/assignment/agents/${seg(str(a.username))}/capacity`, { capacity: n }, `Capacity of ${str(a.username)} set to ${n}.`);
    });
    return h("td", null, input, " ", save);
  }

  function render(data) {
    const d = obj(data);
    replace(tiersBox, list(d.tiers).map(obj).map(tierBox));
    replace(agentsBody, list(d.agents).map(obj).filter((a) => list(a.tiers).length).map((a) =>
      h("tr", { dataset: { agent: str(a.username) }, testid: "floor-agent" },
        h("th", { scope: "row" }, `${str(a.display_name)} (${str(a.username)})`),
        h("td", null, str(a.role)),
        h("td", null, a.online ? "Online" : "Offline"),
        h("td", { testid: "floor-agent-load" }, String(num(a.load))),
        capacityCell(a))));
  }

  async function load() {
    try {
      render(await api.get(`${API}/assignment`));
    } catch (err) {
      showNotice(notice, "bad", err instanceof ApiError ? err.message : "Could not load the assignment.");
    }
  }
  // Admins edit capacities here: reloading would reset a number being typed, so load once.
  if (isAdmin) {
    load();
    return () => {};
  }
  const poller = poll(load, FLOOR_RECHECK_MS);
  const stopListening = live.subscribe({
    connected: () => poller.now(), // catch up on whatever happened while the socket was away
    event(frame) {
      if (str(frame.kind).startsWith("ticket.")) poller.now();
    },
  });
  return () => {
    stopListening();
    poller.stop();
  };
}
