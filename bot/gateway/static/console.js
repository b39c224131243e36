/* Agent console: live queue over /ws/agent, transcript, claim, reply (politeness-checked), hand back, resolve.
 * What the agent may do comes from the server: every queue item and transcript carries
 * "capabilities" ({claim, reply, hand_back, resolve}); the console only renders them.
 * Cases are named as people know them — community · address · resident (phone masked) — by the
 * server's "case" (bot/gateway/cases.py), never by the internal conversation id.
 * SLA countdowns run on the server's clock ("now" of the queue and the transcript); a ticket's 响应
 * badge follows its real first response ("responded_at"), so an answered case never turns red.
 * An emergency nobody has claimed is escalated by the server ("escalation" frame): a red banner,
 * a louder repeated alarm and a flashing title until it is claimed.
 * The socket (lib/socket.js) reconnects with the pages' one back-off policy; on every reopen the
 * server greets it with the queue, and the console asks for the open conversation's messages
 * after the last one it shows (and its state), merged by id (lib/timeline.js). The 回访 pane is
 * callbacks.js: it gets its frames from this socket and reloads after every reconnect.
 * All text goes through textContent (lib/el.js). */

import * as callbacks from "./callbacks.js";
import { button, byId as $, clear, el } from "./lib/el.js";
import { api, failure } from "./lib/desk.js";
import { openSocket, socketUrl } from "./lib/socket.js";
import { Timeline } from "./lib/timeline.js";
import { stamp } from "./lib/time.js";

var current = null;   // the open conversation: {id, status, capabilities, queued, case, tickets}
var NOTHING = { claim: false, reply: false, hand_back: false, resolve: false };
var timeline = new Timeline();  // the open conversation's messages by id
var checkTimer = null;
var ROLE = { resident: "业主", bot: "智能助手", agent: "客服", system: "系统" };
var skew = 0;  // the server's clock minus this computer's: SLA time is the server's

function serverNow() { return Date.now() + skew; }
function syncClock(iso) { if (iso) skew = new Date(iso).getTime() - Date.now(); }

function waited(iso) {
  if (!iso) return "";
  var minutes = Math.max(0, Math.floor((serverNow() - new Date(iso).getTime()) / 60000));
  return "已等待" + minutes + "分钟";
}

function clock(iso) { return stamp(iso, "HH:mm:ss"); }
function span(ms) {
  var abs = Math.abs(ms), h = Math.floor(abs / 3600000), m = Math.floor((abs % 3600000) / 60000), sec = Math.floor((abs % 60000) / 1000);
  return (h ? h + "小时" : "") + m + "分" + (h ? "" : sec + "秒");
}
function caseTitle(c, id) { return c && c.title ? c.title : "会话 " + String(id).slice(0, 8); }

// SLA countdowns: every [data-due] badge is refreshed each second; overdue ones turn red.
function slaBadge(label, due) {
  var badge = el("span", "sla");
  badge.setAttribute("data-testid", "sla");
  badge.setAttribute("data-due", due);
  badge.setAttribute("data-label", label);
  paintSla(badge);
  return badge;
}
function paintSla(badge) {
  var ms = new Date(badge.getAttribute("data-due")).getTime() - serverNow();
  badge.textContent = badge.getAttribute("data-label") + (ms < 0 ? "已超时" + span(ms) : "剩余" + span(ms));
  badge.className = "sla" + (ms < 0 ? " overdue" : "");
  badge.setAttribute("data-overdue", ms < 0 ? "true" : "false");
}
// A ticket's response: answered (in time or late), or the countdown to respond_by.
function responseBadge(t) {
  if (!t.responded_at) return t.respond_by ? slaBadge("响应", t.respond_by) : null;
  var badge = el("span", "sla answered");
  badge.setAttribute("data-testid", "sla");
  var took = new Date(t.responded_at).getTime() - new Date(t.created_at).getTime();
  var late = t.responded_in_time === false;
  badge.textContent = (late ? "超时后响应（" : "已响应（") + clock(t.responded_at) + "，用时" + span(took) + "）";
  if (late) badge.className = "sla overdue";
  badge.setAttribute("data-overdue", late ? "true" : "false");
  badge.setAttribute("data-responded", "true");
  return badge;
}
setInterval(function () { Array.prototype.forEach.call(document.querySelectorAll("[data-due]"), paintSla); }, 1000);

/* ---------------------------------------------------------------- views */

var VIEWS = ["chat-view", "tickets-pane", "finished-pane", "callbacks-pane"];
function show(view) {
  VIEWS.forEach(function (id) { $(id).hidden = id !== view; });
  Array.prototype.forEach.call(document.querySelectorAll(".view-tab"), function (tab) { tab.classList.toggle("active", tab.getAttribute("data-view") === view); });
  if (view === "tickets-pane") loadTicketList();
  if (view === "finished-pane") loadFinished();
  if (view === "callbacks-pane") callbacks.load();
}
Array.prototype.forEach.call(document.querySelectorAll(".view-tab"), function (tab) {
  tab.addEventListener("click", function () { show(tab.getAttribute("data-view")); });
});
function fitBar() { document.documentElement.style.setProperty("--bar", (document.querySelector(".bar").offsetHeight + ($("escalation").hidden ? 0 : $("escalation").offsetHeight)) + "px"); }
window.addEventListener("resize", fitBar);

/* ---------------------------------------------------------------- alarms */

// Emergency alert: a WebAudio beep and a flashing title while an emergency waits in the queue;
// an escalation (nobody claimed it in time) is louder: a banner, three rising tones every 5 s.
var knownEmergencies = {}, flashTimer = null, baseTitle = document.title, audio = null;
var escalated = {}, escalationTimer = null;
function tones(freqs, volume) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    freqs.forEach(function (freq, i) {
      var osc = audio.createOscillator(), gain = audio.createGain(), at = audio.currentTime + i * 0.3;
      osc.frequency.value = freq;
      gain.gain.value = volume;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(at); osc.stop(at + 0.25);
    });
    document.body.setAttribute("data-beeps", String(Number(document.body.getAttribute("data-beeps") || 0) + 1));
  } catch (e) { /* no audio device: the title still flashes */ }
}
function beep() { tones([880, 880], 0.2); }
function titleFlash(text) {
  if (flashTimer) clearInterval(flashTimer);
  var on = false;
  flashTimer = setInterval(function () { on = !on; document.title = on ? text : baseTitle; }, 800);
  document.title = text;
}
// A case already yours turning urgent — its resident wrote a danger while you had it
// (bot.intake.emergency.raise_with_agents): it never enters the pending queue, so it beeps and
// flashes the title on its own until you look at it (open it, or act in the page while it is open).
var mineUrgent = {}, mineAlerts = {};
function watchMine(assigned) {
  var now = {};
  assigned.forEach(function (i) {
    if (!(i.capabilities && i.capabilities.reply)) return;
    if (i.emergency && mineUrgent[i.id] === false) { mineAlerts[i.id] = true; beep(); }
    now[i.id] = i.emergency;  // first seen already urgent (claimed from the queue, or at load): nothing new
  });
  mineUrgent = now;
  Object.keys(mineAlerts).forEach(function (id) { if (!(id in now)) delete mineAlerts[id]; });
}
function seenMine(id) {
  if (!mineAlerts[id]) return;
  delete mineAlerts[id];
  var li = document.querySelector('[data-testid="assigned-item"][data-conversation="' + CSS.escape(id) + '"]');
  if (li) li.setAttribute("data-alerted", "false");
  alarm(lastPending);
}
function alarm(pending) {
  var urgent = pending.filter(function (i) { return i.emergency; });
  var fresh = urgent.filter(function (i) { return !knownEmergencies[i.id]; });
  knownEmergencies = {};
  urgent.forEach(function (i) { knownEmergencies[i.id] = true; });
  if (fresh.length) beep();
  pending.forEach(function (i) { if (i.escalations > 0 && !escalated[i.id]) escalated[i.id] = { conversation_id: i.id, step: i.escalations, waiting_since: i.waiting_since, title: caseTitle(i.case, i.id) }; });
  Object.keys(escalated).forEach(function (id) { if (!urgent.some(function (i) { return i.id === id; })) delete escalated[id]; });
  paintEscalation();
  if (Object.keys(escalated).length) return;  // the louder alarm owns the title
  if (urgent.length) {
    if (document.body.getAttribute("data-alert") !== "on") titleFlash("【紧急】有紧急求助待接入");
    document.body.setAttribute("data-alert", "on");
  } else if (Object.keys(mineAlerts).length) {
    if (document.body.getAttribute("data-alert") !== "mine") titleFlash("【紧急】您接入的居民报告了紧急情况");
    document.body.setAttribute("data-alert", "mine");
  } else if (flashTimer) {
    clearInterval(flashTimer); flashTimer = null; document.title = baseTitle;
    document.body.setAttribute("data-alert", "off");
  }
}
function escalate(frame) {
  var item = lastPending.filter(function (i) { return i.id === frame.conversation_id; })[0];
  escalated[frame.conversation_id] = {
    conversation_id: frame.conversation_id, step: frame.step, waited_seconds: frame.waited_seconds, label: frame.label,
    title: item ? caseTitle(item.case, item.id) : "",
  };
  paintEscalation();
  tones([988, 1175, 1397], 0.35);
}
function paintEscalation() {
  var ids = Object.keys(escalated), banner = $("escalation");
  Array.prototype.forEach.call(document.querySelectorAll("[data-conversation]"), function (li) { li.setAttribute("data-escalated", escalated[li.getAttribute("data-conversation")] ? "true" : "false"); });
  if (!ids.length) {
    if (!banner.hidden) { banner.hidden = true; fitBar(); }
    clearInterval(escalationTimer); escalationTimer = null;
    if (document.body.getAttribute("data-escalation") === "on") {  // back to the ordinary alarm (alarm() decides)
      clearInterval(flashTimer); flashTimer = null; document.title = baseTitle;
      document.body.setAttribute("data-alert", "off");
    }
    document.body.setAttribute("data-escalation", "off");
    return;
  }
  var e = escalated[ids[0]];
  var minutes = e.waited_seconds ? Math.floor(e.waited_seconds / 60) : (e.waiting_since ? Math.floor((serverNow() - new Date(e.waiting_since).getTime()) / 60000) : null);
  $("escalation-text").textContent = "紧急求助无人接入" + (e.label && e.label !== "紧急求助" ? "（" + e.label + "）" : "") + (e.title ? "：" + e.title : "") +
    (minutes !== null ? "，已等待" + minutes + "分钟" : "") + "，第" + e.step + "次提醒。请立即接入，或拨打值班电话安排人员。" + (ids.length > 1 ? "另有" + (ids.length - 1) + "个紧急求助无人接入。" : "");
  $("escalation").setAttribute("data-conversation", e.conversation_id);
  if (banner.hidden) { banner.hidden = false; fitBar(); }
  if (document.body.getAttribute("data-escalation") !== "on") titleFlash("【紧急·无人接入】请立即处理");
  document.body.setAttribute("data-escalation", "on");
  if (!escalationTimer) escalationTimer = setInterval(function () { tones([988, 1175, 1397], 0.35); }, 5000);
}
$("escalation-open").addEventListener("click", function () { var id = $("escalation").getAttribute("data-conversation"); if (id) open(id); });

/* ---------------------------------------------------------------- queue */

function claimButton(id) {
  var claim = button("接入", "claim", "primary");
  claim.addEventListener("click", function () {
    claim.disabled = true;
    api("POST", "/api/agent/conversations/" + encodeURIComponent(id) + "/claim").then(function (res) {
      if (res.ok) { delete knownEmergencies[id]; delete escalated[id]; paintEscalation(); alarm(lastPending.filter(function (i) { return i.id !== id; })); open(id); }
      else { claim.disabled = false; alert(failure(res, "接入失败")); }
    });
  });
  return claim;
}

function queueItem(item, pending) {
  var li = el("li", "item" + (item.emergency ? " emergency" : "") + (current && current.id === item.id ? " open" : ""));
  li.setAttribute("data-testid", pending ? "queue-item" : "assigned-item");
  li.setAttribute("data-conversation", item.id);
  li.setAttribute("data-emergency", item.emergency ? "true" : "false");
  li.setAttribute("data-escalated", escalated[item.id] ? "true" : "false");
  if (!pending) li.setAttribute("data-alerted", mineAlerts[item.id] ? "true" : "false");
  var title = el("div", "item-title", caseTitle(item.case, item.id));
  title.setAttribute("data-testid", "case-title");
  li.appendChild(title);
  var head = el("div", "item-head");
  head.appendChild(el("span", "tag", item.emergency ? "紧急" : (item.reason || "排队")));
  if (item.community) head.appendChild(el("span", "community", item.community));
  head.appendChild(el("span", "wait", pending ? waited(item.waiting_since) : "客服：" + (item.assigned_agent || "")));
  li.appendChild(head);
  if (pending && item.respond_by) li.appendChild(slaBadge("响应", item.respond_by));
  var reach = everyoneNote(item);
  if (reach) li.appendChild(reach);
  li.appendChild(el("div", "summary", item.summary || item.last_text || ""));
  if (item.last_text && item.last_text !== item.summary) li.appendChild(el("div", "last", "最新：" + item.last_text));
  var actions = el("div", "item-actions");
  var view = button("查看");
  view.addEventListener("click", function () { open(item.id); });
  actions.appendChild(view);
  if ((item.capabilities || NOTHING).claim) actions.appendChild(claimButton(item.id));
  li.appendChild(actions);
  return li;
}

// An emergency of a community with no agent logged in: when every agent will be alerted, or that
// they were (issue 13 §5; the wait is UNSERVED_EMERGENCY_SECONDS, bot.gateway.presence).
function everyoneNote(item) {
  var note;
  if (item.everyone) note = el("div", "everyone", "本小区暂无在线客服，已通知全部客服");
  else if (item.everyone_after) {
    var left = Math.max(0, Math.round((Date.parse(item.everyone_after) - Date.now()) / 1000));
    note = el("div", "everyone", "本小区暂无在线客服，" + left + "秒后通知全部客服");
  }
  if (note) note.setAttribute("data-testid", "everyone-note");
  return note;
}

var lastPending = [];

function renderQueue(frame) {
  syncClock(frame.now);
  lastPending = frame.pending;
  watchMine(frame.assigned);
  var queue = $("queue"), assigned = $("assigned");
  clear(queue);
  clear(assigned);
  frame.pending.forEach(function (item) { queue.appendChild(queueItem(item, true)); });
  frame.assigned.forEach(function (item) { assigned.appendChild(queueItem(item, false)); });
  if (!frame.pending.length) queue.appendChild(el("li", "hint", "暂无排队的会话"));
  $("pending-count").textContent = String(frame.pending.length);
  baseTitle = (frame.pending.length ? "(" + frame.pending.length + ") " : "") + "客服工作台";
  if (!flashTimer) document.title = baseTitle;
  alarm(frame.pending);
  if (current) {
    var mine = frame.pending.concat(frame.assigned).filter(function (i) { return i.id === current.id; })[0];
    if (mine) { setState(mine); current.queued = true; if (mine.case) setCase(mine.case); }
    else if (current.queued) { current.queued = false; refreshState(current.id); }  // it left the queue: ask what it is now
    renderControls();
  }
}

/* ---------------------------------------------------------------- transcript */

var shown = new Map();  // message id → its line, to place a late message before the next one
function renderMessage(m) {
  var spot = timeline.add(m.id);
  if (spot === null) return;  // shown already (the live frame and a resync both brought it)
  var li = el("li", "line " + m.role);
  li.setAttribute("data-testid", "transcript-message");
  li.setAttribute("data-role", m.role);
  li.appendChild(el("span", "who", (ROLE[m.role] || m.role) + (m.agent && m.role === "agent" ? m.agent : "") + " " + clock(m.created_at)));
  li.appendChild(el("div", "text", m.text));
  if (m.attachment && m.attachment.url) {
    var img = el("img");
    img.src = m.attachment.url;
    img.alt = m.attachment.filename || "图片";
    img.setAttribute("data-testid", "transcript-image");
    li.appendChild(img);
  }
  if (m.role === "resident" && options.labels && !m.attachment) li.appendChild(correctControl(m));
  var transcript = $("transcript"), next = spot.before === null ? null : shown.get(spot.before);
  shown.set(m.id, li);
  if (next && next.parentNode === transcript) transcript.insertBefore(li, next);
  else transcript.appendChild(li);
  transcript.scrollTop = transcript.scrollHeight;
}

var options = {};
function correctControl(m) {
  var select = el("select", "correct");
  select.setAttribute("data-testid", "correct-class");
  select.setAttribute("aria-label", "纠正这条消息的类别");
  select.title = "纠正这条消息的类别";
  select.appendChild(new Option("纠正类别…", ""));
  options.labels.forEach(function (l) { select.appendChild(new Option(l.label, l.value)); });
  select.addEventListener("change", function () {
    if (!select.value) return;
    api("POST", "/api/agent/messages/" + m.id + "/label", { intent: select.value }).then(function (res) {
      select.setAttribute("data-saved", res.ok ? select.value : "");
      if (!res.ok) $("chat-error").textContent = failure(res, "保存失败");
    });
  });
  return select;
}

var SLOT_NAMES = { address: "地址", phone: "电话", contact_phone: "电话", name: "姓名", contact_name: "姓名", description: "描述", visit_time: "上门时间", category: "类别", emergency_type: "紧急类型", complaint_subject: "投诉对象" };
function renderSlots(id) {
  var box = $("slots");
  clear(box);
  api("GET", "/api/agent/conversations/" + encodeURIComponent(id) + "/slots").then(function (res) {
    if (!current || current.id !== id) return;
    if (!res.ok || !res.data.available) { box.appendChild(el("dd", "", "智能助手暂时无法读取已收集的信息")); return; }
    var keys = Object.keys(res.data.slots);
    if (!keys.length) box.appendChild(el("dd", "", "暂无"));
    keys.forEach(function (k) {
      var dt = el("dt", "", SLOT_NAMES[k] || k);
      var v = res.data.slots[k];
      var dd = el("dd", "", typeof v === "string" ? v : JSON.stringify(v));
      dd.setAttribute("data-slot", k);
      box.appendChild(dt); box.appendChild(dd);
    });
  });
}

function statusLabel(v) { var s = (options.statuses || []).filter(function (x) { return x.value === v; })[0]; return s ? s.label : v; }
function categoryLabel(v) { var s = (options.categories || []).filter(function (x) { return x.value === v; })[0]; return s ? s.label : v; }
function finishedTicket(t) { return t.status === "resolved" || t.status === "closed"; }

function ticketCard(t) {
  var card = el("div", "ticket");
  card.setAttribute("data-ticket", t.number);
  card.appendChild(el("div", "", t.number + " · " + categoryLabel(t.category) + " · " + t.priority));
  card.appendChild(el("div", "", "电话：" + (t.contact_phone || "无") + "  地址：" + (t.address || "无")));
  if (t.description) card.appendChild(el("div", "", t.description));
  var due = el("div");
  var answered = responseBadge(t);
  if (answered) due.appendChild(answered);
  if (t.resolve_by && !finishedTicket(t)) { due.appendChild(document.createTextNode(" ")); due.appendChild(slaBadge("办结", t.resolve_by)); }
  card.appendChild(due);
  var status = el("select"), dept = el("select"), save = button("保存", "ticket-save", "primary");
  status.setAttribute("data-testid", "ticket-status");
  status.setAttribute("aria-label", "工单状态");
  dept.setAttribute("data-testid", "ticket-department");
  dept.setAttribute("aria-label", "处理部门");
  (options.statuses || []).forEach(function (s) { status.appendChild(new Option(s.label, s.value, false, s.value === t.status)); });
  var depts = (options.departments || []).slice();
  if (t.department && depts.indexOf(t.department) < 0) depts.unshift(t.department);
  depts.forEach(function (d) { dept.appendChild(new Option(d, d, false, d === t.department)); });
  var msg = el("div", "error");
  msg.setAttribute("data-testid", "ticket-message");
  msg.setAttribute("role", "alert");
  save.addEventListener("click", function () {
    save.disabled = true;
    api("POST", "/api/agent/tickets/" + encodeURIComponent(t.number), { status: status.value, department: dept.value }).then(function (res) {
      save.disabled = false;
      if (res.ok) { replaceTicket(card, res.data.ticket); return; }
      // Refused: the selects go back to what the ticket is, the reason stays until the next change.
      status.value = t.status;
      dept.value = t.department;
      msg.textContent = failure(res, "保存失败");
    });
  });
  card.appendChild(el("div", "", "状态：")).appendChild(status);
  card.appendChild(el("div", "", "部门：")).appendChild(dept);
  card.appendChild(save);
  card.appendChild(msg);
  if (t.conversation_id && !finishedTicket(t)) card.appendChild(answerBox(t, card));
  var history = el("ol");
  history.setAttribute("data-testid", "ticket-history");
  (t.history || []).forEach(function (h) { history.appendChild(el("li", "", clock(h.at) + " " + statusLabel(h.status) + " " + h.actor + (h.note ? "（" + h.note + "）" : ""))); });
  card.appendChild(history);
  return card;
}
// 答复居民: the ticket's resident is answered in their conversation without taking it over (the
// question a hand-over registered: 「客服专员会在…前在这里给您答复」). The server checks the words
// and who has the conversation; the answer comes back into the transcript over the socket.
function answerBox(t, card) {
  var box = el("div", "ticket-answer");
  var input = el("textarea");
  input.setAttribute("data-testid", "ticket-answer-input");
  input.setAttribute("aria-label", "答复居民");
  input.placeholder = "在居民的对话中答复（不接入会话）";
  input.rows = 2;
  var send = button("答复居民", "ticket-answer-send", "primary");
  var msg = el("div", "error");
  msg.setAttribute("data-testid", "ticket-answer-message");
  msg.setAttribute("role", "alert");
  send.addEventListener("click", function () {
    if (!input.value.trim()) { msg.textContent = "请输入答复内容"; return; }
    send.disabled = true;
    api("POST", "/api/agent/tickets/" + encodeURIComponent(t.number) + "/answer", { text: input.value }).then(function (res) {
      send.disabled = false;
      if (res.ok) { replaceTicket(card, res.data.ticket); return; }
      msg.textContent = failure(res, "答复失败");
    });
  });
  box.appendChild(input);
  box.appendChild(send);
  box.appendChild(msg);
  return box;
}

function replaceTicket(card, ticket) {
  if (current && current.tickets) current.tickets = current.tickets.map(function (t) { return t.number === ticket.number ? ticket : t; });
  card.replaceWith(ticketCard(ticket));
}

function renderTickets(list) {
  var panel = $("ticket-panel");
  clear(panel);
  if (!list || !list.length) { panel.appendChild(el("div", "", "此会话暂无工单")); return; }
  list.forEach(function (t) { panel.appendChild(ticketCard(t)); });
}

function renderCanned() {
  var select = $("canned-select");
  clear(select);
  select.appendChild(new Option("选择一条常用语插入回复框…", ""));
  (options.canned_groups || [{ name: "常用", replies: options.canned || [] }]).forEach(function (group) {
    var optgroup = el("optgroup");
    optgroup.label = group.name;
    group.replies.forEach(function (text) { optgroup.appendChild(new Option(text, text)); });
    select.appendChild(optgroup);
  });
}
$("canned-select").addEventListener("change", function () {
  var text = $("canned-select").value;
  if (!text) return;
  var input = $("agent-input");
  input.value = input.value ? input.value + text : text;
  $("canned-select").value = "";
  input.dispatchEvent(new Event("input"));
  input.focus();
});

/* ---------------------------------------------------------------- ticket list */

function loadTicketList() {
  var params = new URLSearchParams();
  if ($("f-category").value) params.set("category", $("f-category").value);
  if ($("f-priority").value) params.set("priority", $("f-priority").value);
  if ($("f-status").value) params.set("status", $("f-status").value);
  if ($("f-overdue").checked) params.set("overdue", "1");
  api("GET", "/api/agent/tickets?" + params.toString()).then(function (res) {
    var rows = $("ticket-rows");
    clear(rows);
    if (!res.ok) return;
    res.data.tickets.forEach(function (t) {
      var tr = el("tr", t.overdue ? "overdue" : "");
      tr.setAttribute("data-testid", "ticket-row");
      tr.setAttribute("data-number", t.number);
      [t.number, categoryLabel(t.category), t.priority, statusLabel(t.status), t.department, t.address, t.contact_phone].forEach(function (v) { tr.appendChild(el("td", "", v || "")); });
      var due = el("td");
      if (t.resolve_by && !finishedTicket(t)) due.appendChild(slaBadge("办结", t.resolve_by));
      tr.appendChild(due);
      tr.appendChild(el("td", "", (t.description || "").slice(0, 40)));
      if (t.conversation_id) {  // the row opens the resident's conversation, its tickets beside it
        tr.classList.add("opens");
        tr.title = "打开居民的对话";
        tr.addEventListener("click", function () { open(t.conversation_id); });
      }
      rows.appendChild(tr);
    });
    if (!res.data.tickets.length) { var tr = el("tr"); var td = el("td", "hint", "没有符合条件的工单"); td.colSpan = 9; tr.appendChild(td); rows.appendChild(tr); }
  });
}
$("ticket-filters").addEventListener("submit", function (event) { event.preventDefault(); loadTicketList(); });

/* ---------------------------------------------------------------- finished conversations */

function loadFinished() {
  var params = new URLSearchParams();
  var q = $("finished-q").value.trim(), day = $("finished-day").value;
  if (q) params.set("q", q);
  if (day) params.set("day", day);
  api("GET", "/api/agent/conversations?" + params.toString()).then(function (res) {
    var list = $("finished-list");
    clear(list);
    if (!res.ok) { $("finished-note").textContent = failure(res, "查询失败"); return; }
    var found = res.data.conversations;
    $("finished-note").textContent = found.length ? "共 " + found.length + " 个会话" + (found.length >= 50 ? "（只显示最近 50 个，请缩小条件）" : "") : "没有找到符合条件的已结束会话";
    found.forEach(function (c) {
      var li = el("li", "finished");
      li.setAttribute("data-testid", "finished-item");
      li.setAttribute("data-conversation", c.id);
      var title = el("span", "item-title", caseTitle(c.case, c.id));
      title.setAttribute("data-testid", "case-title");
      li.appendChild(title);
      li.appendChild(el("span", "meta", "结束于 " + stamp(c.resolved_at, "YYYY-MM-DD HH:mm") + (c.status !== "resolved" ? " · 居民已再次来信" : "")));
      if (c.last_text) li.appendChild(el("span", "meta", "业主最后说：" + c.last_text));
      var view = button("查看", "finished-open");
      view.addEventListener("click", function () { open(c.id); });
      li.appendChild(view);
      list.appendChild(li);
    });
  });
}
$("finished-search").addEventListener("submit", function (event) { event.preventDefault(); loadFinished(); });

api("GET", "/api/agent/options").then(function (res) {
  if (!res.ok) return;
  options = res.data;
  options.categories.forEach(function (c) { $("f-category").appendChild(new Option(c.label, c.value)); });
  options.statuses.forEach(function (c) { $("f-status").appendChild(new Option(c.label, c.value)); });
  renderCanned();
});

/* ---------------------------------------------------------------- the open conversation */

var STATUS = { bot: "智能助手接待中", pending: "排队中", assigned: "处理中", resolved: "已结束" };

function setState(state) {
  current.status = state.status;
  current.capabilities = state.capabilities || NOTHING;
}
function setCase(c) {
  current.case = c;
  $("chat-title").textContent = caseTitle(c, current.id);
}

function refreshState(id) {
  api("GET", "/api/agent/conversations/" + encodeURIComponent(id)).then(function (res) {
    if (!res.ok || !current || current.id !== id) return;
    syncClock(res.data.now);
    setState(res.data);
    renderControls();
  });
}

function renderControls() {
  var can = current.capabilities || NOTHING;
  $("chat-status").textContent = (STATUS[current.status] || current.status) + (current.status === "resolved" ? " · 只读（居民再次来信时由智能助手接待）" : "");
  $("agent-send").disabled = !can.reply;
  $("agent-input").disabled = !can.reply;
  $("canned-select").disabled = !can.reply;
  $("hand-back").disabled = !can.hand_back;
  $("resolve").disabled = !can.resolve;
  Array.prototype.forEach.call(document.querySelectorAll(".item"), function (li) { li.classList.toggle("open", li.getAttribute("data-conversation") === current.id); });
}

function open(id) {
  api("GET", "/api/agent/conversations/" + encodeURIComponent(id)).then(function (res) {
    if (!res.ok) { alert(failure(res, "无法打开会话")); return; }
    syncClock(res.data.now);
    current = { id: res.data.id, queued: true, tickets: res.data.tickets };
    seenMine(id);
    setState(res.data);
    timeline = new Timeline();
    shown = new Map();
    clear($("transcript"));
    clear($("draft-warnings"));
    clear($("chat-error"));
    setCase(res.data.case);
    $("chat-pane").setAttribute("data-conversation", id);
    $("chat-empty").hidden = true;
    $("chat-pane").hidden = false;
    show("chat-view");
    res.data.messages.forEach(renderMessage);
    renderTickets(res.data.tickets);
    renderSlots(res.data.id);
    renderControls();
    if (window.matchMedia("(max-width: 760px)").matches) $("chat-pane").scrollIntoView({ block: "start" });
  });
}

function showWarnings(list) {
  var box = $("draft-warnings");
  clear(box);
  (list || []).forEach(function (v) {
    var li = el("li", "warning", "“" + v.phrase + "”不符合服务用语规范，建议：" + v.suggestion);
    li.setAttribute("data-testid", "draft-warning");
    box.appendChild(li);
  });
}

$("agent-input").addEventListener("input", function () {
  clearTimeout(checkTimer);
  var text = $("agent-input").value;
  checkTimer = setTimeout(function () {
    api("POST", "/api/agent/check", { text: text }).then(function (res) { if (res.ok) showWarnings(res.data.violations); });
  }, 300);
});

$("reply-form").addEventListener("submit", function (event) {
  event.preventDefault();
  if (!current) return;
  var text = $("agent-input").value, id = current.id;
  api("POST", "/api/agent/conversations/" + encodeURIComponent(id) + "/reply", { text: text }).then(function (res) {
    if (res.ok) {
      $("agent-input").value = ""; showWarnings([]); $("chat-error").textContent = "";
      refreshTickets(id);  // the first reply is the tickets' first response
    } else { showWarnings(res.data.violations); $("chat-error").textContent = failure(res, "发送失败"); }
  });
});
$("agent-input").addEventListener("keydown", function (event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); $("reply-form").requestSubmit(); }
});

function refreshTickets(id) {
  api("GET", "/api/agent/conversations/" + encodeURIComponent(id) + "?after=" + (timeline.last === null ? 0 : timeline.last)).then(function (res) {
    if (!res.ok || !current || current.id !== id) return;
    current.tickets = res.data.tickets;
    renderTickets(res.data.tickets);
    res.data.messages.forEach(renderMessage);
  });
}

function act(action) {
  if (!current) return Promise.resolve(false);
  return api("POST", "/api/agent/conversations/" + encodeURIComponent(current.id) + "/" + action).then(function (res) {
    if (res.ok) { setState(res.data); renderControls(); $("chat-error").textContent = ""; return true; }
    $("chat-error").textContent = failure(res, "操作失败");
    return false;
  });
}
$("hand-back").addEventListener("click", function () { act("hand-back"); });

// 结束会话: asked first, with the conversation's open tickets named — each may be marked done in
// the same step, or stays open in the ticket list (and is said to).
$("resolve").addEventListener("click", function () {
  if (!current) return;
  var box = $("resolve-tickets");
  clear(box);
  clear($("resolve-error"));
  $("resolve-case").textContent = caseTitle(current.case, current.id);
  var open = (current.tickets || []).filter(function (t) { return !finishedTicket(t); });
  open.forEach(function (t) {
    var row = el("div", "resolve-ticket");
    row.setAttribute("data-ticket", t.number);
    row.appendChild(el("div", "", "工单 " + t.number + "（" + categoryLabel(t.category) + " · " + statusLabel(t.status) + "）尚未办结。"));
    var label = el("label");
    var check = el("input");
    check.type = "checkbox";
    check.value = t.number;
    check.setAttribute("data-testid", "resolve-ticket-done");
    label.appendChild(check);
    label.appendChild(document.createTextNode("问题已解决，同时将此工单标为“已完成”（将按规定安排回访）"));
    row.appendChild(label);
    row.appendChild(el("div", "hint", "不勾选：工单保持“" + statusLabel(t.status) + "”，继续在工单列表中跟进，不会因结束会话而关闭。"));
    box.appendChild(row);
  });
  if (!open.length) box.appendChild(el("p", "hint", "此会话没有未办结的工单。"));
  $("resolve-dialog").showModal();
});
$("resolve-cancel").addEventListener("click", function () { $("resolve-dialog").close(); });
$("resolve-form").addEventListener("submit", function (event) {
  event.preventDefault();
  var chosen = Array.prototype.filter.call(document.querySelectorAll('[data-testid="resolve-ticket-done"]'), function (c) { return c.checked; }).map(function (c) { return c.value; });
  $("resolve-confirm").disabled = true;
  var done = chosen.reduce(function (chain, number) {
    return chain.then(function (ok) {
      if (!ok) return false;
      return api("POST", "/api/agent/tickets/" + encodeURIComponent(number), { status: "resolved" }).then(function (res) {
        if (!res.ok) $("resolve-error").textContent = "工单 " + number + " 未能标为已完成：" + failure(res, "保存失败") + " 会话没有结束。";
        return res.ok;
      });
    });
  }, Promise.resolve(true));
  done.then(function (ok) { return ok ? act("resolve") : false; }).then(function (ok) {
    $("resolve-confirm").disabled = false;
    if (!ok) { if (!$("resolve-error").textContent) $("resolve-error").textContent = $("chat-error").textContent; return; }
    $("resolve-dialog").close();
    if (current) refreshTickets(current.id);
  });
});
$("logout").addEventListener("click", function () { api("POST", "/api/agent/logout").then(function () { location.reload(); }); });

function resync() {
  // The socket was down: what the open conversation got meanwhile, after the last message shown,
  // and what the agent may do with it now. (The queue comes with the server's greeting.)
  if (!current) return;
  var id = current.id, after = timeline.last;
  api("GET", "/api/agent/conversations/" + encodeURIComponent(id) + (after === null ? "" : "?after=" + after)).then(function (res) {
    if (!res.ok || !current || current.id !== id) return;
    syncClock(res.data.now);
    setState(res.data);
    res.data.messages.forEach(renderMessage);
    renderControls();
  });
}

function link(text, cls) { $("link").textContent = text; $("link").className = cls; }

fitBar();
openSocket({
  url: socketUrl(location.href, "/ws/agent"),
  network: window,
  onOpen: function (state) { link("在线", "link online"); if (!state.first) { resync(); callbacks.load(); } },
  onOffline: function () { link("重新连接中…", "link"); },
  // 4401: the session ended (logged out elsewhere, or a manager disabled the account, reset its
  // password or changed its role: bot/gateway/agents.py); 4403: no console role any more. The
  // page reloads into the login form or the refusal instead of reconnecting in vain.
  onClose: function (event) { if (event && (event.code === 4401 || event.code === 4403)) location.reload(); },
  onFrame: function (frame) {
    if (frame.type === "queue") renderQueue(frame);
    else if (frame.type === "message" && current && frame.message.conversation_id === current.id) renderMessage(frame.message);
    else if (frame.type === "escalation") escalate(frame);
    else if (frame.type === "alert" && frame.everyone) { beep(); document.title = "【紧急·其他小区无人值守】客服工作台"; }
    // A new request in the queue; an alert for a case someone already has is the queue frame's (watchMine).
    else if (frame.type === "alert" && frame.status !== "assigned" && !flashTimer) document.title = "【新的转人工】客服工作台";
    else callbacks.onFrame(frame);
  },
});
["click", "keydown"].forEach(function (type) { document.addEventListener(type, function () { if (current) seenMine(current.id); }); });
callbacks.start(show);
setInterval(function () { api("GET", "/api/agent/queue").then(function (res) { if (res.ok) renderQueue(res.data); }); }, 30000);
