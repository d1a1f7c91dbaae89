// Analytics (#/analytics, supervisors and admins): GET /console/api/analytics?days=N&tier=T
// -> {conversations, bot_resolved, bot_resolution_share, handoffs_by_tier: {"1","2","specialist"},
//     wait_seconds: {avg,p50,p90,count}, resolution_seconds: {...}, top_reasons: [{reason,count}],
//     daily: [{date, conversations, handoffs, resolved}], funnel: [{stage,label,count}],
//     wait_by_tier: [{tier, wait_seconds}], csat: {responses, average, satisfied_share, scores,
//     by_tier, by_agent, by_reason: [{key,label,responses,average}], daily: [{date,responses,average}]}}
// The page is a list of sections (SECTIONS below), each giving figures and chart cards; a new
// section is one more function there. Charts use the vendored Chart.js (window.Chart); without
// it the same data shows as tables. "Download CSV" is GET /console/api/analytics/export.csv.

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
  const tier = h("select", { id: "analytics-tier", testid: "analytics-tier" },
    [["", "All tiers"], ["1", "Associates"], ["2", "Supervisors"], ["3", "Specialists"]]
      .map(([value, label]) => h("option", { value }, label)));
  const refresh = h("button", { type: "button", class: "btn btn-small", testid: "analytics-refresh" }, "Refresh");
  const download = h("a", { class: "btn btn-small", testid: "analytics-download", download: "" }, "Download CSV");
  const loadError = h("div", { class: "notice notice-bad", role: "alert", testid: "analytics-error" });
  const figures = h("div", { class: "figures", testid: "analytics-figures" });
  const charts = h("div", { class: "charts", testid: "analytics-charts" });
  let instances = [];
  let generation = 0;

  root.replaceChildren(
    h("div", { class: "page-head" },
      h("h1", { tabindex: "-1" }, "Analytics"),
      h("div", { class: "toolbar" }, h("label", { for: "analytics-days" }, "Period"), days,
        h("label", { for: "analytics-tier" }, "Tier"), tier, refresh, download)),
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
      const query = `days=${encodeURIComponent(days.value)}${tier.value ? `&tier=${encodeURIComponent(tier.value)}` : ""}`;
      download.href = `${API}/analytics/export.csv?${query}`;
      const data = obj(await api.get(`${API}/analytics?${query}`));
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
    const parts = SECTIONS.map((section) => section(d, days.value));
    replace(figures, parts.flatMap((p) => p.figures));
    const cards = parts.flatMap((p) => p.charts);
    replace(charts, cards.map((c) => c.box.el));
    const ChartJs = window.Chart;
    for (const card of cards) {
      if (!ChartJs) {
        card.box.showTable();
        continue;
      }
      try {
        instances.push(new ChartJs(card.box.canvas, card.config));
      } catch (_err) {
        card.box.showTable();
      }
    }
  }

  days.addEventListener("change", load);
  tier.addEventListener("change", load);
  refresh.addEventListener("click", load);
  load();
  return () => {
    generation += 1;
    destroyCharts();
    slaSection.stop();
  };
}

const COMMON = { responsive: true, maintainAspectRatio: false, animation: false };
const COUNT_AXIS = { beginAtZero: true, ticks: { precision: 0 } };
const SCORE_AXIS = { min: 0, max: 5, ticks: { stepSize: 1 } };

function bar(labels, label, values, color, horizontal) {
  const axis = horizontal ? { x: COUNT_AXIS } : { y: COUNT_AXIS };
  return {
    type: "bar",
    data: { labels, datasets: [{ label, data: values, backgroundColor: color }] },
    options: { ...COMMON, indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false } }, scales: axis },
  };
}

/** Containment, handoffs, waits and resolutions (the desk's first analytics). */
function overviewSection(d, period) {
  const conversations = num(d.conversations);
  const botResolved = num(d.bot_resolved);
  let share = num(d.bot_resolution_share, conversations ? botResolved / conversations : 0);
  if (share > 1) share /= 100; // accept 0-1 or a percentage
  const wait = obj(d.wait_seconds);
  const resolution = obj(d.resolution_seconds);
  const byTier = obj(d.handoffs_by_tier);
  const tierLabels = ["Tier 1", "Tier 2", "Specialists"];
  const tierValues = [num(byTier["1"]), num(byTier["2"]), num(byTier.specialist)];
  const reasons = list(d.top_reasons).map(obj);
  const daily = list(d.daily).map(obj);
  const people = Math.max(0, conversations - botResolved);
  return {
    figures: [
      figure("Conversations", String(conversations), `in the last ${period} days`, "analytics-conversations"),
      figure("Solved by the bot", `${Math.round(share * 100)}%`, `${botResolved} of ${conversations}`, "analytics-bot-share"),
      figure("Wait for a person", timeText(wait.avg), statsText(wait), "analytics-wait"),
      figure("Time to resolve", timeText(resolution.avg), statsText(resolution), "analytics-resolution"),
    ],
    charts: [
      {
        box: chartBox("Bot vs people", "chart-bot-vs-people",
          conversations ? `${botResolved} conversations solved by the bot, ${people} needed a person.` : "No conversations in this period.",
          ["Who solved it", "Conversations"], [["Bot", botResolved], ["People", people]]),
        config: {
          type: "doughnut",
          data: { labels: ["Bot", "People"], datasets: [{ data: [botResolved, people], backgroundColor: [COLORS.accent, COLORS.orange] }] },
          options: { ...COMMON, plugins: { legend: { position: "bottom" } } },
        },
      },
      {
        box: chartBox("Handoffs per tier", "chart-handoffs-tier", tierLabels.map((l, i) => `${l}: ${tierValues[i]}`).join(", "),
          ["Tier", "Handoffs"], tierLabels.map((l, i) => [l, tierValues[i]])),
        config: bar(tierLabels, "Handoffs", tierValues, [COLORS.accent, COLORS.orange, COLORS.violet]),
      },
      {
        box: chartBox("Top reasons for a handoff", "chart-top-reasons",
          reasons.length ? reasons.map((r) => `${humanize(r.reason)}: ${num(r.count)}`).join(", ") : "No handoffs.",
          ["Reason", "Count"], reasons.map((r) => [humanize(r.reason), num(r.count)]), true),
        config: bar(reasons.map((r) => humanize(r.reason)), "Handoffs", reasons.map((r) => num(r.count)), COLORS.teal, true),
      },
      {
        box: chartBox("Per day", "chart-daily", `${daily.length} days: conversations, handoffs and resolutions per day.`,
          ["Date", "Conversations", "Handoffs", "Resolved"],
          daily.map((x) => [dateOnly(x.date), num(x.conversations), num(x.handoffs), num(x.resolved)]), true),
        config: {
          type: "line",
          data: {
            labels: daily.map((x) => shortDate(x.date)),
            datasets: [
              { label: "Conversations", data: daily.map((x) => num(x.conversations)), borderColor: COLORS.accent, backgroundColor: COLORS.accentSoft, fill: true, cubicInterpolationMode: "monotone" },
              { label: "Handoffs", data: daily.map((x) => num(x.handoffs)), borderColor: COLORS.orange, backgroundColor: COLORS.orange, cubicInterpolationMode: "monotone" },
              { label: "Resolved", data: daily.map((x) => num(x.resolved)), borderColor: COLORS.green, backgroundColor: COLORS.green, cubicInterpolationMode: "monotone" },
            ],
          },
          options: { ...COMMON, interaction: { mode: "index", intersect: false }, plugins: { legend: { position: "bottom" } }, scales: { y: COUNT_AXIS } },
        },
      },
    ],
  };
}

/** How far conversations go (bot -> associates -> supervisors -> specialists), waits per tier. */
function funnelSection(d) {
  const stages = list(d.funnel).map(obj);
  const waits = list(d.wait_by_tier).map(obj);
  const waitLabels = waits.map((w) => (num(w.tier) === 1 ? "Associates" : "Supervisors"));
  const minutes = (w) => Math.round(num(obj(w.wait_seconds).avg) / 6) / 10;
  return {
    figures: [],
    charts: [
      {
        box: chartBox("Escalation funnel", "chart-funnel",
          stages.map((st) => `${str(st.label)}: ${num(st.count)}`).join(", ") || "No conversations.",
          ["Stage", "Conversations"], stages.map((st) => [str(st.label), num(st.count)])),
        config: bar(stages.map((st) => str(st.label)), "Conversations", stages.map((st) => num(st.count)),
          [COLORS.accent, COLORS.teal, COLORS.orange, COLORS.violet], true),
      },
      {
        box: chartBox("Wait for a person, per tier", "chart-wait-tier",
          waits.map((w, i) => `${waitLabels[i]}: ${statsText(obj(w.wait_seconds))}`).join("; "),
          ["Tier", "Average (min)", "Median (min)", "90% within (min)"],
          waits.map((w, i) => {
            const s = obj(w.wait_seconds);
            return [waitLabels[i], minutes(w), Math.round(num(s.p50) / 6) / 10, Math.round(num(s.p90) / 6) / 10];
          })),
        config: {
          type: "bar",
          data: {
            labels: waitLabels,
            datasets: [
              { label: "Average", data: waits.map(minutes), backgroundColor: COLORS.accent },
              { label: "90% within", data: waits.map((w) => Math.round(num(obj(w.wait_seconds).p90) / 6) / 10), backgroundColor: COLORS.orange },
            ],
          },
          options: { ...COMMON, plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: true, title: { display: true, text: "minutes" } } } },
        },
      },
    ],
  };
}

/** Customer satisfaction: figures, by tier, by agent, by reason and over time. */
function csatSection(d) {
  const c = obj(d.csat);
  const responses = num(c.responses);
  const groups = (key) => list(c[key]).map(obj);
  const byTier = groups("by_tier");
  const byAgent = groups("by_agent");
  const byReason = groups("by_reason");
  const daily = list(c.daily).map(obj);
  const average = c.average === null || c.average === undefined ? "—" : num(c.average).toFixed(2);
  const satisfied = c.satisfied_share === null || c.satisfied_share === undefined ? "—" : `${Math.round(num(c.satisfied_share) * 100)}%`;
  const scoreBars = (title, testid, items, color, wide) => ({
    box: chartBox(title, testid,
      items.length ? items.map((g) => `${humanize(g.label)}: ${num(g.average).toFixed(2)} (${num(g.responses)})`).join(", ") : "No ratings yet.",
      ["Who", "Average score", "Ratings"], items.map((g) => [humanize(g.label), num(g.average), num(g.responses)]), wide),
    config: {
      type: "bar",
      data: { labels: items.map((g) => humanize(g.label)), datasets: [{ label: "Average score", data: items.map((g) => num(g.average)), backgroundColor: color }] },
      options: { ...COMMON, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: SCORE_AXIS } },
    },
  });
  return {
    figures: [
      figure("Satisfaction", average, responses ? `average of ${responses} ratings (1-5)` : "no ratings yet", "analytics-csat"),
      figure("Satisfied (4-5)", satisfied, `${num(c.low_scores)} low scores followed up`, "analytics-csat-satisfied"),
    ],
    charts: [
      scoreBars("Satisfaction by tier", "chart-csat-tier", byTier, COLORS.violet, false),
      scoreBars("Satisfaction by agent", "chart-csat-agent", byAgent, COLORS.teal, false),
      scoreBars("Satisfaction by reason", "chart-csat-reason", byReason, COLORS.orange, true),
      {
        box: chartBox("Satisfaction over time", "chart-csat-daily", `${daily.length} days: ratings and average score per day.`,
          ["Date", "Ratings", "Average score"], daily.map((x) => [dateOnly(x.date), num(x.responses), x.average === null ? "—" : num(x.average)]), true),
        config: {
          type: "bar",
          data: {
            labels: daily.map((x) => shortDate(x.date)),
            datasets: [
              { type: "line", label: "Average score", data: daily.map((x) => (x.average === null ? null : num(x.average))), borderColor: COLORS.green, backgroundColor: COLORS.green, spanGaps: true, yAxisID: "score" },
              { type: "bar", label: "Ratings", data: daily.map((x) => num(x.responses)), backgroundColor: COLORS.accentSoft, borderColor: COLORS.accent, yAxisID: "count" },
            ],
          },
          options: {
            ...COMMON,
            interaction: { mode: "index", intersect: false },
            plugins: { legend: { position: "bottom" } },
            scales: { score: { ...SCORE_AXIS, position: "left" }, count: { ...COUNT_AXIS, position: "right", grid: { drawOnChartArea: false } } },
          },
        },
      },
    ],
  };
}

const SECTIONS = [overviewSection, funnelSection, csatSection];

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
