// SLAs in the console (docs/sla.md): each ticket's time left in the queues, the breach notices
// supervisors see until they acknowledge them, and the attainment section of the analytics.
//   GET  /console/api/sla/breaches                    open notices (supervisors), reloaded on "sla." live events
//   POST /console/api/sla/breaches/{id}/acknowledge   seen
//   GET  /console/api/analytics/sla?days=N            attainment per tier and agent

import { API, ApiError, api, seg } from "../api.js";
import * as live from "../live.js";
import { clearNotice, duration, h, humanize, list, num, obj, poll, replace, setText, showNotice, str, timeOnly } from "../dom.js";

const SOON_SECONDS = 120;
const TARGET_TEXT = { first_reply: "first reply", resolution: "resolution" };

// ------------------------------------------------------------------ a ticket's time left

/** The element a queue row shows the SLA in; fillSla() sets it from a ticket card. */
export function slaCell() {
  return h("span", { class: "sla", testid: "queue-sla" });
}

export function fillSla(el, card) {
  const sla = obj(card.sla);
  const left = sla.seconds_left;
  const breached = list(sla.breached).map((t) => str(t));
  if (left === null || left === undefined) {
    delete el.dataset.due;
    setText(el, "");
    return;
  }
  const due = Date.now() + num(left) * 1000;
  if (!el.dataset.due || Math.abs(Number(el.dataset.due) - due) > 2000) el.dataset.due = String(due);
  el.dataset.breached = breached.map((t) => TARGET_TEXT[t] || t).join(", ");
  showSla(el);
}

function showSla(el) {
  const left = Math.round((Number(el.dataset.due) - Date.now()) / 1000);
  const missed = el.dataset.breached;
  const text = left >= 0 ? `SLA ${duration(left)} left` : `SLA overdue ${duration(-left)}`;
  setText(el, missed ? `${text} · ${missed} missed` : text);
  el.className = `sla ${missed || left < 0 ? "sla-late" : left <= SOON_SECONDS ? "sla-soon" : "sla-ok"}`;
}

/** Count every SLA cell under ``root`` down once a second. */
export function tickSla(root) {
  for (const el of root.querySelectorAll(".sla[data-due]")) showSla(el);
}

// ------------------------------------------------------------------ breach notices

/** The supervisors' panel of missed targets; returns {el, stop}. */
export function breachPanel(ctx) {
  const items = h("ul", { class: "rows", testid: "sla-breach-list" });
  const error = h("div", { class: "notice notice-bad", role: "alert", testid: "sla-breach-error" });
  const count = h("span", { class: "badge badge-late", testid: "sla-breach-count" }, "0");
  const el = h("section", { class: "panel sla-breaches", testid: "sla-breaches", role: "alert", "aria-labelledby": "sla-breaches-title", hidden: true },
    h("h2", { id: "sla-breaches-title" }, "SLA breaches", count), error, items);

  async function acknowledge(id, button) {
    button.disabled = true;
    try {
      await api.post(`${API}/sla/breaches/${seg(id)}/acknowledge`, {});
      ctx.announce("Breach acknowledged.");
    } catch (err) {
      showNotice(error, "bad", err instanceof ApiError ? err.message : "Could not acknowledge it.");
      button.disabled = false;
    }
    poller.now();
  }

  function row(b) {
    const number = str(b.ticket_number);
    const button = h("button", { type: "button", class: "btn btn-small", testid: "sla-acknowledge" }, "Acknowledge");
    button.addEventListener("click", () => acknowledge(num(b.id), button));
    return h("li", { class: "row sla-breach-row", testid: "sla-breach", dataset: { ticket: number } },
      h("a", { class: "ticket-no", href: `#/tickets/${encodeURIComponent(number)}` }, number),
      h("span", null, `Tier ${num(b.tier)}: ${TARGET_TEXT[str(b.target)] || humanize(b.target)} missed`),
      h("span", { class: "sub" }, `due ${timeOnly(b.due_at)}`),
      button);
  }

  async function load() {
    try {
      const breaches = list(await api.get(`${API}/sla/breaches`)).map(obj);
      clearNotice(error);
      replace(items, breaches.map(row));
      setText(count, String(breaches.length));
      el.hidden = breaches.length === 0;
    } catch (err) {
      showNotice(error, "bad", err instanceof ApiError ? err.message : "Could not load the SLA breaches.");
    }
  }

  const poller = poll(load, null);
  const stopListening = live.subscribe({
    connected: () => poller.now(),
    event(frame) {
      if (str(frame.kind).startsWith("sla.")) poller.now();
    },
  });
  return { el, stop: () => { stopListening(); poller.stop(); } };
}

// ------------------------------------------------------------------ attainment (analytics)

function pct(tally) {
  const t = obj(tally);
  return t.percent === null || t.percent === undefined ? "—" : `${num(t.percent)}%`;
}

function tallyText(tally) {
  const t = obj(tally);
  return num(t.total) ? `${num(t.met)} of ${num(t.total)} in time` : "nothing decided yet";
}

/** The analytics page's SLA section: {el, load(days), stop()}. */
export function attainmentSection() {
  const el = h("div", { class: "sla-attainment", testid: "sla-attainment" });
  let chart = null;
  let generation = 0;
  function stop() {
    generation += 1;
    if (chart) chart.destroy();
    chart = null;
  }
  async function load(days) {
    stop();
    const mine = generation;
    const made = await renderAttainment(el, days, () => mine === generation);
    if (mine === generation) chart = made;
    else if (made) made.destroy();
  }
  return { el, load, stop };
}

async function renderAttainment(container, days, current) {
  let data;
  try {
    data = obj(await api.get(`${API}/analytics/sla?days=${encodeURIComponent(days)}`));
    if (!current()) return null;
  } catch (err) {
    if (!current()) return null;
    replace(container, h("div", { class: "notice notice-bad", role: "alert" },
      err instanceof ApiError ? err.message : "Could not load the SLA attainment."));
    return null;
  }
  const tiers = list(data.tiers).map(obj);
  const agents = list(data.agents).map(obj);
  const figures = h("div", { class: "figures", testid: "sla-figures" },
    tiers.flatMap((t) => [
      figureBox(`Tier ${num(t.tier)} first reply ≤ ${num(t.first_reply_minutes)} min`, pct(t.first_reply), tallyText(t.first_reply), `sla-tier${num(t.tier)}-first-reply`),
      figureBox(`Tier ${num(t.tier)} resolved ≤ ${duration(num(t.resolution_minutes) * 60)}`, pct(t.resolution), tallyText(t.resolution), `sla-tier${num(t.tier)}-resolution`),
    ]));
  const days_ = [...new Set(tiers.flatMap((t) => list(t.daily).map((d) => str(obj(d).date))))].sort();
  const dailyRows = days_.map((day) => [day, ...tiers.flatMap((t) => {
    const d = obj(list(t.daily).map(obj).find((x) => str(x.date) === day));
    return [pct(d.first_reply), pct(d.resolution)];
  })]);
  const dailyTable = table("SLA attainment per day", "sla-daily-table",
    ["Date", ...tiers.flatMap((t) => [`Tier ${num(t.tier)} first reply`, `Tier ${num(t.tier)} resolution`])], dailyRows);
  const agentTable = table("SLA attainment per agent", "sla-agents-table",
    ["Agent", "First reply", "Resolution", "Per day (first reply)"],
    agents.map((a) => [str(a.agent), `${pct(a.first_reply)} (${tallyText(a.first_reply)})`, `${pct(a.resolution)} (${tallyText(a.resolution)})`,
      list(a.daily).map(obj).map((d) => `${str(d.date).slice(5)} ${pct(d.first_reply)}`).join(" · ")]));
  const canvas = h("canvas", { role: "img", "aria-label": "First-reply SLA attainment per day and tier", testid: "chart-sla-canvas" });
  replace(container,
    h("h2", null, "Service levels"),
    figures,
    h("section", { class: "panel chart-panel chart-wide", testid: "chart-sla" }, h("h2", null, "First replies in time, per day"), h("div", { class: "chart-box" }, canvas)),
    dailyTable,
    agentTable);
  const ChartJs = window.Chart;
  if (!ChartJs || !days_.length) return null;
  const colors = ["#3b5bdb", "#e8590c"];
  try {
    return new ChartJs(canvas, {
      type: "line",
      data: {
        labels: days_.map((d) => d.slice(5)),
        datasets: tiers.map((t, i) => ({
          label: `Tier ${num(t.tier)}`,
          data: days_.map((day) => {
            const d = obj(list(t.daily).map(obj).find((x) => str(x.date) === day));
            const p = obj(d.first_reply).percent;
            return p === null || p === undefined ? null : num(p);
          }),
          borderColor: colors[i % colors.length],
          backgroundColor: colors[i % colors.length],
          spanGaps: true,
        })),
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } }, plugins: { legend: { position: "bottom" } } },
    });
  } catch (_err) {
    return null;
  }
}

function figureBox(label, value, sub, testid) {
  return h("div", { class: "figure", testid },
    h("div", { class: "figure-label" }, label),
    h("div", { class: "figure-value", testid: `${testid}-value` }, value),
    h("div", { class: "figure-sub" }, sub));
}

function table(title, testid, headings, rows) {
  return h("section", { class: "panel", testid },
    h("table", { class: "data" },
      h("caption", null, title),
      h("thead", null, h("tr", null, headings.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, rows.length
        ? rows.map((r) => h("tr", null, r.map((v, i) => (i ? h("td", null, str(v)) : h("th", { scope: "row" }, str(v))))))
        : h("tr", null, h("td", { colspan: String(headings.length) }, "No tickets in this period.")))));
}
