/* The manager's dashboard: GET /api/manager/figures for the chosen period, drawn as tables and as
 * Apache ECharts charts. Every number comes from the server (bot/reports/figures.py); the page
 * computes nothing. All text via textContent (lib/el.js); calls through the desk's API
 * (lib/desk.js: a session that ended reloads into the login form).
 *
 * ECharts is vendored (static/vendor/echarts, see vendor/README.md; no CDN) as its "common" UMD
 * build, loaded by manager.html as a classic script before this module: it is the global
 * `echarts` here. */

import { byId as $, clear, el } from "./lib/el.js";
import { api, failure } from "./lib/desk.js";
import { stamp } from "./lib/time.js";

const echarts = globalThis.echarts;
const CATEGORY = { inquiry: "咨询", repair: "报修", complaint: "投诉", emergency: "紧急求助" };
const KIND = { complaint: "投诉", repair: "报修" };
const charts = {};

function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
function num(v) { return v === null || v === undefined ? "—" : String(v); }
function percent(v) { return v === null ? null : +(v * 100).toFixed(1); }  // a rate as the charts' 0–100

// A table: columns are [key, header, format]; each cell carries data-key and its raw value.
function table(testid, columns, rows, mark) {
  const t = document.querySelector('[data-testid="' + testid + '"]');
  clear(t);
  const head = el("tr");
  columns.forEach((c) => head.appendChild(el("th", "", c[1])));
  t.appendChild(head);
  rows.forEach((row) => {
    const tr = el("tr");
    tr.setAttribute("data-row", String(row[columns[0][0]]));
    columns.forEach(([key, , format]) => {
      const v = row[key];
      const td = el("td", "", format === "%" ? pct(v) : format ? format(v) : num(v));
      td.setAttribute("data-key", key);
      td.setAttribute("data-value", v === null || v === undefined ? "" : String(v));
      if (mark && mark(row, key)) td.className = "below";
      tr.appendChild(td);
    });
    t.appendChild(tr);
  });
}

function chart(id, option) {
  if (!charts[id]) charts[id] = echarts.init($(id), null, { renderer: "canvas" });
  charts[id].setOption(option, true);
}

const small = () => window.innerWidth < 760;
const grid = () => ({ left: 40, right: 12, top: 36, bottom: small() ? 60 : 40, containLabel: true });

function draw(f) {
  $("as-of").textContent = "统计时点：" + stamp(f.period.as_of, "YYYY-MM-DD HH:mm");
  chart("chart-cases", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid(),
    xAxis: { type: "category", data: f.cases_by_day.map((r) => r.date.slice(5)) }, yAxis: { type: "value", minInterval: 1 },
    series: ["inquiry", "repair", "complaint", "emergency"].map((k) => ({ name: CATEGORY[k], type: "bar", stack: "cases", data: f.cases_by_day.map((r) => r[k]) })),
  });
  chart("chart-satisfaction", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid(),
    xAxis: { type: "category", data: f.satisfaction.map((r) => r.area), axisLabel: { interval: 0, rotate: small() ? 45 : 0 } },
    yAxis: { type: "value", max: 100 },
    series: [
      { name: "满意率(%)", type: "bar", data: f.satisfaction.map((r) => percent(r.rate)) },
      { name: "满意度指数", type: "bar", data: f.satisfaction.map((r) => r.index) },
    ],
  });
  chart("chart-trend", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid(),
    xAxis: { type: "category", data: f.satisfaction_trend.map((r) => r.date.slice(5)) },
    yAxis: { type: "value", max: 100 },
    series: [
      { name: "满意率(%)", type: "line", connectNulls: true, data: f.satisfaction_trend.map((r) => percent(r.rate)) },
      { name: "满意度指数", type: "line", connectNulls: true, data: f.satisfaction_trend.map((r) => r.index) },
    ],
  });
  chart("chart-callbacks", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid(),
    xAxis: { type: "category", data: f.callbacks.map((r) => KIND[r.kind]) }, yAxis: { type: "value", max: 100 },
    series: [
      { name: "回访率(%)", type: "bar", data: f.callbacks.map((r) => percent(r.rate)) },
      { name: "目标(%)", type: "bar", data: f.callbacks.map((r) => r.target * 100) },
    ],
  });
  chart("chart-sla", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid(),
    xAxis: { type: "category", data: f.sla.map((r) => CATEGORY[r.category] + "·" + r.priority), axisLabel: { interval: 0, rotate: small() ? 45 : 0 } },
    yAxis: { type: "value", max: 100 },
    series: [
      { name: "按时响应(%)", type: "bar", data: f.sla.map((r) => percent(r.respond_rate)) },
      { name: "按时办结(%)", type: "bar", data: f.sla.map((r) => percent(r.resolve_rate)) },
    ],
  });
  table("fig-satisfaction", [["area", "服务项目"], ["answers", "评价数"], ["rate", "满意率", "%"], ["index", "满意度指数"]], f.satisfaction);
  table("fig-callbacks", [["kind", "类别", (v) => KIND[v]], ["due", "待回访"], ["overdue", "逾期"], ["done", "已回访"], ["rate", "回访率", "%"], ["target", "目标", "%"]],
    f.callbacks, (row, key) => key === "rate" && row.rate !== null && row.rate < row.target);
  table("fig-sla", [["category", "类别", (v) => CATEGORY[v]], ["priority", "优先级"], ["tickets", "工单"], ["respond_rate", "按时响应", "%"], ["resolve_rate", "按时办结", "%"]], f.sla);
  table("fig-emergencies", [["requests", "求助数"], ["alert_median_seconds", "提醒中位(秒)"], ["alert_max_seconds", "提醒最长(秒)"], ["claim_median_seconds", "接入中位(秒)"], ["claim_max_seconds", "接入最长(秒)"]], f.emergencies);
  table("fig-open-tickets", [["category", "类别", (v) => CATEGORY[v]], ["open", "未结"], ["overdue", "超时"]], f.open_tickets,
    (row, key) => key === "overdue" && row.overdue > 0);
  table("fig-supervision", [["agent", "客服"], ["handled", "接待会话"], ["median_first_response_seconds", "首次响应中位(秒)"], ["refused_replies", "被拦截回复"], ["ratings", "评价数"], ["rate", "满意率", "%"], ["index", "满意度指数"]],
    f.supervision);
  document.body.setAttribute("data-loaded", "true");
}

function load() {
  const query = "?start=" + encodeURIComponent($("start").value) + "&end=" + encodeURIComponent($("end").value);
  $("report").href = "/api/manager/report.xlsx" + query;
  $("error").textContent = "";
  api("GET", "/api/manager/figures" + query).then((res) => {
    if (res.ok) draw(res.data);
    else $("error").textContent = failure(res, "加载失败");
  });
}

// The period: from the address (?start=…&end=…), else this month so far, in the browser's days.
const params = new URLSearchParams(location.search);
const today = new Date();
$("start").value = params.get("start") || stamp(new Date(today.getFullYear(), today.getMonth(), 1), "YYYY-MM-DD");
$("end").value = params.get("end") || stamp(today, "YYYY-MM-DD");
$("period").addEventListener("submit", (event) => { event.preventDefault(); load(); });
window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
load();
