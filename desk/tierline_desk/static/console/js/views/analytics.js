// Analytics (#/analytics, supervisors and admins): GET /console/api/analytics?days=N
// -> {conversations, bot_resolved, bot_resolution_share, handoffs_by_tier: {"1","2","specialist"},
//     wait_seconds: {avg,p50,p90,count}, resolution_seconds: {...}, top_reasons: [{reason,count}],
//     daily: [{date, conversations, handoffs, resolved}]}
// Charts use the vendored Chart.js (window.Chart); without it the same data shows as tables.

import { API, ApiError, api } from "../api.js";
import { clearNotice, dateOnly, duration, h, humanize, list, num, obj, replace, showNotice, str } from "../dom.js";
import { attainmentSection } from "./sla.js";

const COLORS = {
  accent: "#3b5bdb",
  accentSoft: "rgba(59, 91, 219, 0.15)",
  teal: "#0c8599",
  orange: "#e8590c",
  green: "#2b8a3e",
  violet: "#7048e8",
  grey: "#adb5bd",
};

export function mount(root, ctx) {
  const days = h("select", { id: "analytics-days", testid: "analytics-days" },
    [7, 30, 90].map((d) => h("option", { value: String(d) }, `Last ${d} days`)));
  days.value = "30";
  const refresh = h("button", { type: "button", class: "btn btn-small", testid: "analytics-refresh" }, "Refresh");
  const loadError = h("div", { class: "notice notice-bad", role: "alert", testid: "analytics-error" });
  const figures = h("div", { class: "figures", testid: "analytics-figures" });
  const charts = h("div", { class: "charts", testid: "analytics-charts" });
  let instances = [];
  let generation = 0;

  root.replaceChildren(
    h("div", { class: "page-head" },
      h("h1", { tabindex: "-1" }, "Analytics"),
      h("div", { class: "toolbar" }, h("label", { for: "analytics-days" }, "Period"), days, refresh)),
    loadError,
    figures,
    charts,
  );
  const slaSection = attainmentSection(); // SLA attainment per tier and agent (views/sla.js)
  root.append(slaSection.el);

  function destroyCharts() {
    for (const chart of instances) {
      try {
        chart.destroy();
      } catch (_err) {
        // already gone
      }
    }
    instances = [];
  }

  async function load() {
    slaSection.load(days.value);
    const mine = ++generation;
    try {
      const data = obj(await api.get(`${API}/analytics?days=${encodeURIComponent(days.value)}`));
      if (mine !== generation) return;
      clearNotice(loadError);
      render(data);
    } catch (err) {
      if (mine !== generation) return;
      showNotice(loadError, "bad", err instanceof ApiError && err.status === 404
        ? "Analytics are not available yet."
        : err instanceof ApiError ? err.message : "Could not load the analytics.");
    }
  }

  function render(d) {
    destroyCharts();
    const conversations = num(d.conversations);
    const botResolved = num(d.bot_resolved);
    const shareRaw = d.bot_resolution_share;
    let share = num(shareRaw, conversations ? botResolved / conversations : 0);
    if (share > 1) share /= 100; // accept 0-1 or a percentage
    const wait = obj(d.wait_seconds);
    const resolution = obj(d.resolution_seconds);
    replace(figures,
      figure("Conversations", String(conversations), `in the last ${days.value} days`, "analytics-conversations"),
      figure("Solved by the bot", `${Math.round(share * 100)}%`, `${botResolved} of ${conversations}`, "analytics-bot-share"),
      figure("Wait for a person", timeText(wait.avg), statsText(wait), "analytics-wait"),
      figure("Time to resolve", timeText(resolution.avg), statsText(resolution), "analytics-resolution"));

    const byTier = obj(d.handoffs_by_tier);
    const tierLabels = ["Tier 1", "Tier 2", "Specialists"];
    const tierValues = [num(byTier["1"]), num(byTier["2"]), num(byTier.specialist)];
    const reasons = list(d.top_reasons).map(obj);
    const daily = list(d.daily).map(obj);
    const people = Math.max(0, conversations - botResolved);

    const ChartJs = window.Chart;
    const boxes = [
      chartBox("Bot vs people", "chart-bot-vs-people",
        conversations
          ? `${botResolved} conversations solved by the bot, ${people} needed a person.`
          : "No conversations in this period.",
        ["Who solved it", "Conversations"], [["Bot", botResolved], ["People", people]]),
      chartBox("Handoffs per tier", "chart-handoffs-tier",
        tierLabels.map((l, i) => `${l}: ${tierValues[i]}`).join(", "),
        ["Tier", "Handoffs"], tierLabels.map((l, i) => [l, tierValues[i]])),
      chartBox("Top reasons for a handoff", "chart-top-reasons",
        reasons.length ? reasons.map((r) => `${humanize(r.reason)}: ${num(r.count)}`).join(", ") : "No handoffs.",
        ["Reason", "Count"], reasons.map((r) => [humanize(r.reason), num(r.count)]), true),
      chartBox("Per day", "chart-daily",
        `${daily.length} days: conversations, handoffs and resolutions per day.`,
        ["Date", "Conversations", "Handoffs", "Resolved"],
        daily.map((x) => [dateOnly(x.date), num(x.conversations), num(x.handoffs), num(x.resolved)]), true),
    ];
    replace(charts, boxes.map((b) => b.el));
    if (!ChartJs) {
      for (const b of boxes) b.showTable();
      return;
    }
    const common = { responsive: true, maintainAspectRatio: false, animation: false };
    const make = (box, config) => {
      try {
        instances.push(new ChartJs(box.canvas, config));
      } catch (_err) {
        box.showTable();
      }
    };
    make(boxes[0], {
      type: "doughnut",
      data: { labels: ["Bot", "People"], datasets: [{ data: [botResolved, people], backgroundColor: [COLORS.accent, COLORS.orange] }] },
      options: { ...common, plugins: { legend: { position: "bottom" } } },
    });
    make(boxes[1], {
      type: "bar",
      data: { labels: tierLabels, datasets: [{ label: "Handoffs", data: tierValues, backgroundColor: [COLORS.accent, COLORS.orange, COLORS.violet] }] },
      options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    make(boxes[2], {
      type: "bar",
      data: {
        labels: reasons.map((r) => humanize(r.reason)),
        datasets: [{ label: "Handoffs", data: reasons.map((r) => num(r.count)), backgroundColor: COLORS.teal }],
      },
      options: { ...common, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    make(boxes[3], {
      type: "line",
      data: {
        labels: daily.map((x) => shortDate(x.date)),
        datasets: [
          { label: "Conversations", data: daily.map((x) => num(x.conversations)), borderColor: COLORS.accent, backgroundColor: COLORS.accentSoft, fill: true, cubicInterpolationMode: "monotone" },
          { label: "Handoffs", data: daily.map((x) => num(x.handoffs)), borderColor: COLORS.orange, backgroundColor: COLORS.orange, cubicInterpolationMode: "monotone" },
          { label: "Resolved", data: daily.map((x) => num(x.resolved)), borderColor: COLORS.green, backgroundColor: COLORS.green, cubicInterpolationMode: "monotone" },
        ],
      },
      options: { ...common, interaction: { mode: "index", intersect: false }, plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  days.addEventListener("change", load);
  refresh.addEventListener("click", load);
  load();
  return () => {
    generation += 1;
    destroyCharts();
    slaSection.stop();
  };
}

/** "2026-11-24" -> "Nov 24" (chart axis labels). */
function shortDate(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(str(value));
  if (!m) return str(value);
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

function timeText(seconds) {
  return seconds === null || seconds === undefined ? "—" : duration(num(seconds));
}

function statsText(stats) {
  const count = num(stats.count);
  if (!count) return "no data yet";
  return `median ${timeText(stats.p50)} · 90% within ${timeText(stats.p90)} · ${count} measured`;
}

function figure(label, value, sub, testid) {
  return h("div", { class: "figure", testid },
    h("div", { class: "figure-label" }, label),
    h("div", { class: "figure-value", testid: `${testid}-value` }, value),
    h("div", { class: "figure-sub" }, sub));
}

/** A chart card: the canvas (role img + text summary) and the same data as a table. */
function chartBox(title, testid, summary, headings, rows, wide) {
  const canvas = h("canvas", { role: "img", "aria-label": `${title}: ${summary}`, testid: `${testid}-canvas` });
  const table = h("table", { class: "data", testid: `${testid}-table` },
    h("caption", null, title),
    h("thead", null, h("tr", null, headings.map((t, i) => h("th", { scope: "col", class: i ? "num" : "" }, t)))),
    h("tbody", null, rows.map((r) => h("tr", null, r.map((v, i) => (i ? h("td", { class: "num" }, String(v)) : h("th", { scope: "row" }, str(v))))))));
  const tableWrap = h("div", { class: "sr-only" }, table);
  const box = h("div", { class: "chart-box" }, canvas);
  const el = h("section", { class: `panel chart-panel${wide ? " chart-wide" : ""}`, testid, "aria-label": title },
    h("h2", null, title), box, tableWrap);
  return {
    el,
    canvas,
    showTable() {
      box.hidden = true;
      tableWrap.classList.remove("sr-only");
    },
  };
}
