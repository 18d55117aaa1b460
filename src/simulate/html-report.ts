import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { epochDayOf, isoDateOf } from "../expression/literals.js";
import { weekOf } from "./observer.js";
import type { SimulationReport } from "./simulate.js";

/**
 * `report.html`: one self-contained page (Chart.js, the data and the
 * styles inlined; it opens offline) with the replay's charts and tables.
 * Only aggregates go in, never every action: the page stays small however
 * long the replay.
 */
export function htmlReport(report: SimulationReport): string {
  const chartJs = readFileSync(join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8");
  const title = `Touchline simulation: ${report.playbook.name}${report.playbook.version !== null ? ` v${report.playbook.version}` : ""}, ${report.from} to ${report.to}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p id="summary"></p>
<main id="report"></main>
<script type="application/json" id="data">${scriptSafe(JSON.stringify(pageData(report)))}</script>
<script>${scriptSafe(chartJs)}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

/** What the page draws: per-day counts, weekly actions, backtest curves, task load and the comparison's totals. */
function pageData(report: SimulationReport) {
  const weeks = new Map<string, Record<string, number>>();
  for (const action of report.actions) {
    const week = isoDateOf(weekOf(epochDayOf(action.date)!));
    const counts = weeks.get(week) ?? {};
    counts[action.kind] = (counts[action.kind] ?? 0) + 1;
    weeks.set(week, counts);
  }
  const busiest = new Map<string, number>();
  for (const load of report.taskLoad) busiest.set(load.week, Math.max(busiest.get(load.week) ?? 0, load.tasks));
  const comparison = report.comparison;
  return {
    playbook: report.playbook,
    from: report.from,
    to: report.to,
    step: report.step,
    accounts: report.accounts,
    accountDays: report.accountDays,
    days: report.days.map((d) => ({ date: d.date, status: d.status, tiers: d.tiers, onboarding: d.onboarding })),
    actionsPerWeek: [...weeks].sort(([a], [b]) => (a < b ? -1 : 1)).map(([week, counts]) => ({ week, counts })),
    actionsTotal: report.actions.length,
    taskCapacity: report.taskCapacity,
    busiestOwnerPerWeek: [...busiest].sort(([a], [b]) => (a < b ? -1 : 1)).map(([week, tasks]) => ({ week, tasks })),
    overCapacity: report.taskLoad.filter((t) => t.overCapacity).slice(0, 50),
    tierMoves: report.tierMoves,
    onboarding: report.onboarding,
    backtest: report.backtest && { ...report.backtest, greenChurn: report.backtest.greenChurn.slice(0, 50), greenChurnCount: report.backtest.greenChurn.length },
    backtestMissing: report.backtestMissing ?? null,
    comparison: comparison && {
      file: comparison.file,
      playbook: comparison.playbook,
      days: comparison.days.map((d) => ({ date: d.date, status: d.status })),
      backtest: comparison.backtest && { auc: comparison.backtest.auc, signals: comparison.backtest.signals },
      differences: { ...comparison.differences, accountsDiffering: comparison.differences.accountsDiffering.slice(0, 100), accountsDifferingCount: comparison.differences.accountsDiffering.length },
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text placed inside a script element must not close it. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px; color: #1d2733; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; border-bottom: 1px solid #dde3ea; padding-bottom: 4px; }
.chart { position: relative; height: 300px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e6eaef; padding: 4px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #5b6776; font-size: 13px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
@media (max-width: 800px) { .grid { grid-template-columns: 1fr; } }
`;

/**
 * Runs in the browser: builds the sections from the JSON data with DOM
 * calls (text is never parsed as HTML: account ids and reasons come from
 * customer data), draws each chart without animation, and marks the page
 * ready for whoever checks it.
 */
const PAGE_SCRIPT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var root = document.getElementById("report");
  var COLORS = { green: "#2e9d5b", yellow: "#e0a800", red: "#d64545", none: "#9aa5b1" };
  var PALETTE = ["#3b6fd4", "#d9822b", "#7a52c7", "#2e9d8f", "#c2417a", "#6b8e23", "#8c6d46", "#4a4a4a"];
  var charts = [];
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function section(title, note) {
    root.appendChild(el("h2", {}, [title]));
    if (note) root.appendChild(el("p", { class: "note" }, [note]));
  }
  function pct(v) { return v === null || v === undefined ? "-" : (v * 100).toFixed(1) + "%"; }
  function table(headers, rows, numeric) {
    var head = el("tr", {}, headers.map(function (h) { return el("th", {}, [h]); }));
    var body = rows.map(function (r) { return el("tr", {}, r.map(function (c, i) { return el("td", numeric && numeric[i] ? { class: "n" } : {}, [c === null || c === undefined ? "-" : String(c)]); })); });
    root.appendChild(el("table", {}, [head].concat(body)));
  }
  function chart(id, config) {
    var canvas = el("canvas", { id: id, "data-chart": id });
    root.appendChild(el("div", { class: "chart" }, [canvas]));
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false } }, config.options || {});
    charts.push(new Chart(canvas, config));
  }
  var labels = data.days.map(function (d) { return d.date; });

  document.getElementById("summary").textContent = data.accounts.toLocaleString("en") + " accounts replayed " + (data.step === "week" ? "weekly" : "daily") + " (" + data.accountDays.toLocaleString("en") + " account-days); " + data.actionsTotal.toLocaleString("en") + " actions decided. A dry run: nothing was sent.";

  section("Health status over time", "Accounts in each health status on each replayed day.");
  chart("status", { type: "line", data: { labels: labels, datasets: ["green", "yellow", "red", "none"].map(function (s) {
    return { label: s === "none" ? "no status" : s, data: data.days.map(function (d) { return d.status[s]; }), borderColor: COLORS[s], backgroundColor: COLORS[s] + "55", fill: true, pointRadius: 0 };
  }) }, options: { scales: { y: { stacked: true, beginAtZero: true, title: { display: true, text: "accounts" } } } } });

  var tiers = Array.from(new Set([].concat.apply([], data.days.map(function (d) { return Object.keys(d.tiers); })))).sort();
  section("Tiers over time", "Accounts in each tier on each replayed day (after hysteresis).");
  chart("tiers", { type: "line", data: { labels: labels, datasets: tiers.map(function (t, i) {
    return { label: t, data: data.days.map(function (d) { return d.tiers[t] || 0; }), borderColor: PALETTE[i % PALETTE.length], pointRadius: 0 };
  }) }, options: { scales: { y: { beginAtZero: true, title: { display: true, text: "accounts" } } } } });
  if (data.tierMoves.length > 0) table(["from", "to", "moves"], data.tierMoves.map(function (m) { return [m.from, m.to, m.count]; }), [false, false, true]);

  var kinds = ["email", "task", "offer", "webhook"];
  section("Actions per week by type", "Every action decided (planned, held out, capped or suppressed), by the week it was decided; weeks start on Monday.");
  chart("actions", { type: "bar", data: { labels: data.actionsPerWeek.map(function (w) { return w.week; }), datasets: kinds.map(function (k, i) {
    return { label: k, data: data.actionsPerWeek.map(function (w) { return w.counts[k] || 0; }), backgroundColor: PALETTE[i] };
  }) }, options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "actions" } } } } });

  if (data.busiestOwnerPerWeek.length > 0) {
    section("CSM task load", data.taskCapacity === null ? "The busiest owner's planned tasks each week. The playbook states no task_capacity." : "The busiest owner's planned tasks each week, against the capacity of " + data.taskCapacity + " tasks a week.");
    var load = [{ label: "busiest owner's tasks", data: data.busiestOwnerPerWeek.map(function (w) { return w.tasks; }), backgroundColor: PALETTE[1] }];
    if (data.taskCapacity !== null) load.push({ type: "line", label: "capacity", data: data.busiestOwnerPerWeek.map(function () { return data.taskCapacity; }), borderColor: COLORS.red, pointRadius: 0 });
    chart("taskload", { type: "bar", data: { labels: data.busiestOwnerPerWeek.map(function (w) { return w.week; }), datasets: load } });
    if (data.overCapacity.length > 0) table(["week", "owner", "tasks"], data.overCapacity.map(function (t) { return [t.week, t.owner, t.tasks]; }), [false, false, true]);
  }

  if (data.onboarding) {
    var milestones = Object.keys((data.days[0] || { onboarding: { milestones: {} } }).onboarding.milestones);
    section("Onboarding over time", data.onboarding.completed + " accounts completed onboarding during the replay; median time to value " + (data.onboarding.medianTimeToValue === null ? "-" : data.onboarding.medianTimeToValue + " days") + ".");
    chart("onboarding", { type: "line", data: { labels: labels, datasets: [{ label: "complete", data: data.days.map(function (d) { return d.onboarding.complete; }), borderColor: COLORS.green, pointRadius: 0 }].concat(milestones.map(function (m, i) {
      return { label: m + " done", data: data.days.map(function (d) { return d.onboarding.milestones[m] || 0; }), borderColor: PALETTE[(i + 2) % PALETTE.length], pointRadius: 0, borderDash: [4, 3] };
    })) } });
  }

  var bt = data.backtest;
  if (!bt) {
    section("Backtest", "No backtest: " + data.backtestMissing);
  } else {
    section("Backtest against churn", bt.churns + " churns (from " + bt.churnSource + ") within " + bt.horizonDays + " days; outcomes known until " + bt.knownUntil + ". Health score ROC AUC: " + (bt.auc === null ? "-" : bt.auc.toFixed(3)) + " over " + bt.accountDaysScored.toLocaleString("en") + " account-days.");
    table(["signal", "alerts", "precision", "recall", "median lead (days)"], bt.signals.map(function (s) { return [s.signal, s.alertsScored, pct(s.precision), pct(s.recall), s.medianLeadTime]; }), [false, true, true, true, true]);
    section("Churn capture curve", "Share of churns a signal alerted at least this many days before they happened.");
    chart("capture", { type: "line", data: { labels: (bt.signals[0] ? bt.signals[0].capture : []).map(function (c) { return c.leadDays + "d"; }), datasets: bt.signals.map(function (s, i) {
      return { label: s.signal, data: s.capture.map(function (c) { return c.recall === null ? null : c.recall * 100; }), borderColor: PALETTE[i % PALETTE.length] };
    }) }, options: { scales: { y: { min: 0, max: 100, title: { display: true, text: "recall %" } }, x: { title: { display: true, text: "lead time at least" } } } } });
    section("Churn by health-score decile", "Share of account-days followed by a churn within the horizon, by health-score decile (1 = lowest scores).");
    chart("deciles", { type: "bar", data: { labels: bt.deciles.map(function (d) { return d.decile + " (" + d.minScore.toFixed(0) + "-" + d.maxScore.toFixed(0) + ")"; }), datasets: [{ label: "churn rate %", data: bt.deciles.map(function (d) { return d.rate * 100; }), backgroundColor: COLORS.red }] } });
    section("Green churn", bt.greenChurnCount + " of " + bt.churns + " churned accounts were green within the horizon before they left" + (bt.greenChurnCount > bt.greenChurn.length ? " (the first " + bt.greenChurn.length + " below; all in report.json)" : "") + ".");
    if (bt.greenChurn.length > 0) table(["account", "churned", "last green", "score then"], bt.greenChurn.map(function (g) { return [g.account, g.churned, g.lastGreen, g.score === null ? null : g.score.toFixed(1)]; }), [false, false, false, true]);
  }

  var cmp = data.comparison;
  if (cmp) {
    var d = cmp.differences;
    section("Compared with " + cmp.file, cmp.playbook.name + (cmp.playbook.version !== null ? " v" + cmp.playbook.version : "") + ": " + d.accountsDifferingCount.toLocaleString("en") + " accounts differ, status on " + d.statusDaysDiffering.toLocaleString("en") + " and tier on " + d.tierDaysDiffering.toLocaleString("en") + " of " + d.accountDaysCompared.toLocaleString("en") + " account-days.");
    chart("compare-red", { type: "line", data: { labels: labels, datasets: [
      { label: "red, this playbook", data: data.days.map(function (x) { return x.status.red; }), borderColor: COLORS.red, pointRadius: 0 },
      { label: "red, " + cmp.file, data: cmp.days.map(function (x) { return x.status.red; }), borderColor: COLORS.red, borderDash: [6, 4], pointRadius: 0 },
      { label: "green, this playbook", data: data.days.map(function (x) { return x.status.green; }), borderColor: COLORS.green, pointRadius: 0 },
      { label: "green, " + cmp.file, data: cmp.days.map(function (x) { return x.status.green; }), borderColor: COLORS.green, borderDash: [6, 4], pointRadius: 0 }
    ] } });
    chart("compare-actions", { type: "bar", data: { labels: d.actions.map(function (a) { return a.trigger + " " + a.kind; }), datasets: [
      { label: "this playbook", data: d.actions.map(function (a) { return a.baseline; }), backgroundColor: PALETTE[0] },
      { label: cmp.file, data: d.actions.map(function (a) { return a.other; }), backgroundColor: PALETTE[1] }
    ] } });
    var mine = data.playbook.name + (data.playbook.version !== null ? " v" + data.playbook.version : "");
    var theirs = cmp.playbook.name + (cmp.playbook.version !== null ? " v" + cmp.playbook.version : "") + (mine === cmp.playbook.name + (cmp.playbook.version !== null ? " v" + cmp.playbook.version : "") ? " (" + cmp.file + ")" : "");
    table(["trigger", "action", mine, theirs, "added", "removed"], d.actions.map(function (a) { return [a.trigger, a.kind, a.baseline, a.other, a.added, a.removed]; }), [false, false, true, true, true, true]);
    if (bt && cmp.backtest) {
      table(["signal", "precision (" + mine + " / " + theirs + ")", "recall", "median lead (days)"], bt.signals.map(function (s) {
        var o = cmp.backtest.signals.filter(function (x) { return x.signal === s.signal; })[0];
        return [s.signal, pct(s.precision) + " / " + (o ? pct(o.precision) : "-"), pct(s.recall) + " / " + (o ? pct(o.recall) : "-"), (s.medianLeadTime === null ? "-" : s.medianLeadTime) + " / " + (o && o.medianLeadTime !== null ? o.medianLeadTime : "-")];
      }));
    }
  }
  window.touchlineReport = { ready: true, charts: charts.map(function (c) { return { id: c.canvas.id, points: c.data.datasets.reduce(function (n, s) { return n + s.data.filter(function (v) { return v !== null && v !== undefined; }).length; }, 0) }; }) };
})();
`;
