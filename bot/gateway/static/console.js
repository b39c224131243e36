/* Agent console: live queue over /ws/agent, transcript, claim, reply (politeness-checked), hand back, resolve.
 * All text goes through textContent. */
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var me = document.querySelector('meta[name="agent-name"]').content;
  var $ = function (id) { return document.getElementById(id); };
  var current = null;   // the open conversation: {id, status, assigned_agent}
  var seen = {};
  var checkTimer = null;
  var ROLE = { resident: "业主", bot: "智能助手", agent: "客服", system: "系统" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (r) {
      if (r.status === 401) { location.reload(); }
      return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }

  function waited(iso) {
    if (!iso) return "";
    var minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    return "已等待" + minutes + "分钟";
  }

  function clock(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  // SLA countdowns: every [data-due] badge is refreshed each second; overdue ones turn red.
  function slaText(label, due) {
    var ms = new Date(due).getTime() - Date.now();
    var abs = Math.abs(ms), h = Math.floor(abs / 3600000), m = Math.floor((abs % 3600000) / 60000), sec = Math.floor((abs % 60000) / 1000);
    var span = (h ? h + "小时" : "") + m + "分" + (h ? "" : sec + "秒");
    return { text: label + (ms < 0 ? "已超时" + span : "剩余" + span), overdue: ms < 0 };
  }
  function slaBadge(label, due) {
    var span = el("span", "sla");
    span.setAttribute("data-testid", "sla");
    span.setAttribute("data-due", due);
    span.setAttribute("data-label", label);
    paintSla(span);
    return span;
  }
  function paintSla(span) {
    var s = slaText(span.getAttribute("data-label"), span.getAttribute("data-due"));
    span.textContent = s.text;
    span.className = "sla" + (s.overdue ? " overdue" : "");
    span.setAttribute("data-overdue", s.overdue ? "true" : "false");
  }
  setInterval(function () { Array.prototype.forEach.call(document.querySelectorAll("[data-due]"), paintSla); }, 1000);

  // Emergency alert: a WebAudio beep and a flashing title while an emergency waits in the queue.
  var knownEmergencies = {}, flashTimer = null, baseTitle = document.title, audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach(function (offset) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.2;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + offset); osc.stop(audio.currentTime + offset + 0.25);
      });
    } catch (e) { /* no audio device: the title still flashes */ }
  }
  function alarm(pending) {
    var urgent = pending.filter(function (i) { return i.emergency; });
    var fresh = urgent.filter(function (i) { return !knownEmergencies[i.id]; });
    knownEmergencies = {};
    urgent.forEach(function (i) { knownEmergencies[i.id] = true; });
    if (fresh.length) beep();
    if (urgent.length && !flashTimer) {
      var on = false;
      flashTimer = setInterval(function () { on = !on; document.title = on ? "【紧急】有紧急求助待接入" : baseTitle; }, 800);
      document.title = "【紧急】有紧急求助待接入";
      document.body.setAttribute("data-alert", "on");
    } else if (!urgent.length && flashTimer) {
      clearInterval(flashTimer); flashTimer = null; document.title = baseTitle;
      document.body.setAttribute("data-alert", "off");
    }
  }

  function queueItem(item, pending) {
    var li = el("li", "item" + (item.emergency ? " emergency" : ""));
    li.setAttribute("data-testid", pending ? "queue-item" : "assigned-item");
    li.setAttribute("data-conversation", item.id);
    li.setAttribute("data-emergency", item.emergency ? "true" : "false");
    var head = el("div", "item-head");
    head.appendChild(el("span", "tag", item.emergency ? "紧急" : (item.reason || "排队")));
    head.appendChild(el("span", "cid", item.id.slice(0, 10)));
    head.appendChild(el("span", "wait", pending ? waited(item.waiting_since) : "客服：" + (item.assigned_agent || "")));
    li.appendChild(head);
    if (pending && item.respond_by) li.appendChild(slaBadge("响应", item.respond_by));
    li.appendChild(el("div", "summary", item.summary || item.last_text || ""));
    if (item.last_text && item.last_text !== item.summary) li.appendChild(el("div", "last", "最新：" + item.last_text));
    var actions = el("div", "item-actions");
    var view = el("button", "", "查看");
    view.type = "button";
    view.addEventListener("click", function () { open(item.id); });
    actions.appendChild(view);
    if (pending) {
      var claim = el("button", "primary", "接入");
      claim.type = "button";
      claim.setAttribute("data-testid", "claim");
      claim.addEventListener("click", function () {
        api("POST", "/api/agent/conversations/" + encodeURIComponent(item.id) + "/claim").then(function (res) {
          if (res.ok) { delete knownEmergencies[item.id]; if (!frameHasOtherEmergency(item.id)) alarm([]); open(item.id); }
          else alert(res.data.error || "接入失败");
        });
      });
      actions.appendChild(claim);
    }
    li.appendChild(actions);
    return li;
  }

  var lastPending = [];
  function frameHasOtherEmergency(id) { return lastPending.some(function (i) { return i.emergency && i.id !== id; }); }

  function renderQueue(frame) {
    lastPending = frame.pending;
    var queue = $("queue"), assigned = $("assigned");
    queue.textContent = "";
    assigned.textContent = "";
    frame.pending.forEach(function (item) { queue.appendChild(queueItem(item, true)); });
    frame.assigned.forEach(function (item) { assigned.appendChild(queueItem(item, false)); });
    $("pending-count").textContent = String(frame.pending.length);
    baseTitle = (frame.pending.length ? "(" + frame.pending.length + ") " : "") + "客服工作台";
    if (!flashTimer) document.title = baseTitle;
    alarm(frame.pending);
    if (current) {
      var mine = frame.pending.concat(frame.assigned).filter(function (i) { return i.id === current.id; })[0];
      if (mine) { current.status = mine.status; current.assigned_agent = mine.assigned_agent; }
      else if (current.status !== "bot" && current.status !== "resolved") { current.status = "closed"; }
      renderControls();
    }
  }

  function renderMessage(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
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
    if (m.role === "resident" && options.labels) li.appendChild(correctControl(m));
    $("transcript").appendChild(li);
    $("transcript").scrollTop = $("transcript").scrollHeight;
  }

  var options = {};
  function correctControl(m) {
    var select = el("select", "correct");
    select.setAttribute("data-testid", "correct-class");
    select.title = "纠正这条消息的类别";
    select.appendChild(new Option("纠正类别…", ""));
    options.labels.forEach(function (l) { select.appendChild(new Option(l.label, l.value)); });
    select.addEventListener("change", function () {
      if (!select.value) return;
      api("POST", "/api/agent/messages/" + m.id + "/label", { intent: select.value }).then(function (res) {
        select.setAttribute("data-saved", res.ok ? select.value : "");
        if (!res.ok) $("chat-error").textContent = res.data.error || "保存失败";
      });
    });
    return select;
  }

  var SLOT_NAMES = { address: "地址", phone: "电话", contact_phone: "电话", name: "姓名", contact_name: "姓名", description: "描述", visit_time: "上门时间", category: "类别" };
  function renderSlots(id) {
    var box = $("slots");
    box.textContent = "";
    api("GET", "/api/agent/conversations/" + encodeURIComponent(id) + "/slots").then(function (res) {
      if (!current || current.id !== id) return;
      if (!res.ok || !res.data.available) { box.appendChild(el("dd", "", "机器人服务暂不可用，无法读取")); return; }
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

  function ticketCard(t) {
    var card = el("div", "ticket");
    card.setAttribute("data-ticket", t.number);
    card.appendChild(el("div", "", t.number + " · " + categoryLabel(t.category) + " · " + t.priority));
    card.appendChild(el("div", "", "电话：" + (t.contact_phone || "无") + "  地址：" + (t.address || "无")));
    if (t.description) card.appendChild(el("div", "", t.description));
    var due = el("div");
    if (t.respond_by) due.appendChild(slaBadge("响应", t.respond_by));
    if (t.resolve_by && t.status !== "resolved" && t.status !== "closed") { due.appendChild(document.createTextNode(" ")); due.appendChild(slaBadge("办结", t.resolve_by)); }
    card.appendChild(due);
    var status = el("select"), dept = el("select"), save = el("button", "primary", "保存");
    status.setAttribute("data-testid", "ticket-status");
    dept.setAttribute("data-testid", "ticket-department");
    save.setAttribute("data-testid", "ticket-save");
    save.type = "button";
    (options.statuses || []).forEach(function (s) { status.appendChild(new Option(s.label, s.value, false, s.value === t.status)); });
    var depts = (options.departments || []).slice();
    if (t.department && depts.indexOf(t.department) < 0) depts.unshift(t.department);
    depts.forEach(function (d) { dept.appendChild(new Option(d, d, false, d === t.department)); });
    var msg = el("div", "error");
    msg.setAttribute("data-testid", "ticket-message");
    save.addEventListener("click", function () {
      api("POST", "/api/agent/tickets/" + encodeURIComponent(t.number), { status: status.value, department: dept.value }).then(function (res) {
        if (res.ok) { card.replaceWith(ticketCard(res.data.ticket)); }
        else msg.textContent = res.data.error || "保存失败";
      });
    });
    card.appendChild(el("div", "", "状态：")).appendChild(status);
    card.appendChild(el("div", "", "部门：")).appendChild(dept);
    card.appendChild(save);
    card.appendChild(msg);
    var history = el("ol");
    history.setAttribute("data-testid", "ticket-history");
    (t.history || []).forEach(function (h) { history.appendChild(el("li", "", clock(h.at) + " " + statusLabel(h.status) + " " + h.actor + (h.note ? "（" + h.note + "）" : ""))); });
    card.appendChild(history);
    return card;
  }

  function renderTickets(list) {
    var panel = $("ticket-panel");
    panel.textContent = "";
    if (!list || !list.length) { panel.appendChild(el("div", "", "此会话暂无工单")); return; }
    list.forEach(function (t) { panel.appendChild(ticketCard(t)); });
  }

  function renderCanned() {
    var box = $("canned");
    box.textContent = "";
    (options.canned || []).forEach(function (text) {
      var b = el("button", "", text.length > 12 ? text.slice(0, 12) + "…" : text);
      b.type = "button";
      b.title = text;
      b.setAttribute("data-testid", "canned-reply");
      b.addEventListener("click", function () {
        var input = $("agent-input");
        input.value = input.value ? input.value + text : text;
        input.dispatchEvent(new Event("input"));
        input.focus();
      });
      box.appendChild(b);
    });
  }

  function loadTicketList() {
    var params = new URLSearchParams();
    if ($("f-category").value) params.set("category", $("f-category").value);
    if ($("f-priority").value) params.set("priority", $("f-priority").value);
    if ($("f-status").value) params.set("status", $("f-status").value);
    if ($("f-overdue").checked) params.set("overdue", "1");
    api("GET", "/api/agent/tickets?" + params.toString()).then(function (res) {
      var rows = $("ticket-rows");
      rows.textContent = "";
      if (!res.ok) return;
      res.data.tickets.forEach(function (t) {
        var tr = el("tr", t.overdue ? "overdue" : "");
        tr.setAttribute("data-testid", "ticket-row");
        tr.setAttribute("data-number", t.number);
        [t.number, categoryLabel(t.category), t.priority, statusLabel(t.status), t.department, t.contact_phone].forEach(function (v) { tr.appendChild(el("td", "", v || "")); });
        var due = el("td");
        if (t.resolve_by && t.status !== "resolved" && t.status !== "closed") due.appendChild(slaBadge("办结", t.resolve_by));
        tr.appendChild(due);
        tr.appendChild(el("td", "", (t.description || "").slice(0, 40)));
        rows.appendChild(tr);
      });
    });
  }
  $("ticket-filters").addEventListener("submit", function (event) { event.preventDefault(); loadTicketList(); });
  $("show-tickets").addEventListener("click", function () {
    var pane = $("tickets-pane");
    pane.hidden = !pane.hidden;
    if (!pane.hidden) loadTicketList();
  });

  api("GET", "/api/agent/options").then(function (res) {
    if (!res.ok) return;
    options = res.data;
    options.categories.forEach(function (c) { $("f-category").appendChild(new Option(c.label, c.value)); });
    options.statuses.forEach(function (c) { $("f-status").appendChild(new Option(c.label, c.value)); });
    renderCanned();
  });

  var STATUS = { bot: "机器人接待中", pending: "排队中", assigned: "处理中", resolved: "已结束", closed: "已结束" };

  function renderControls() {
    var mine = current.status === "assigned" && current.assigned_agent === me;
    var actionable = mine || current.status === "pending";
    $("chat-status").textContent = STATUS[current.status] || current.status;
    $("agent-send").disabled = !mine;
    $("agent-input").disabled = !mine;
    $("hand-back").disabled = !actionable;
    $("resolve").disabled = !actionable;
  }

  function open(id) {
    api("GET", "/api/agent/conversations/" + encodeURIComponent(id)).then(function (res) {
      if (!res.ok) { alert(res.data.error || "无法打开会话"); return; }
      current = { id: res.data.id, status: res.data.status, assigned_agent: res.data.assigned_agent };
      seen = {};
      $("transcript").textContent = "";
      $("draft-warnings").textContent = "";
      $("chat-error").textContent = "";
      $("chat-title").textContent = "会话 " + id;
      $("chat-pane").hidden = false;
      res.data.messages.forEach(renderMessage);
      renderTickets(res.data.tickets);
      renderSlots(res.data.id);
      renderControls();
    });
  }

  function showWarnings(list) {
    var box = $("draft-warnings");
    box.textContent = "";
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
    var text = $("agent-input").value;
    api("POST", "/api/agent/conversations/" + encodeURIComponent(current.id) + "/reply", { text: text }).then(function (res) {
      if (res.ok) { $("agent-input").value = ""; showWarnings([]); $("chat-error").textContent = ""; }
      else { showWarnings(res.data.violations); $("chat-error").textContent = res.data.error || "发送失败"; }
    });
  });

  function act(action) {
    return function () {
      if (!current) return;
      api("POST", "/api/agent/conversations/" + encodeURIComponent(current.id) + "/" + action).then(function (res) {
        if (res.ok) { current.status = action === "resolve" ? "resolved" : "bot"; renderControls(); }
        else $("chat-error").textContent = res.data.error || "操作失败";
      });
    };
  }
  $("hand-back").addEventListener("click", act("hand-back"));
  $("resolve").addEventListener("click", act("resolve"));
  $("logout").addEventListener("click", function () { api("POST", "/api/agent/logout").then(function () { location.reload(); }); });

  var retry = 0;
  function connect() {
    var socket = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws/agent");
    socket.addEventListener("open", function () { retry = 0; $("link").textContent = "在线"; $("link").className = "link online"; });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "queue") renderQueue(frame);
      else if (frame.type === "message" && current && frame.message.conversation_id === current.id) renderMessage(frame.message);
      else if (frame.type === "alert" && !flashTimer) document.title = "【新的转人工】客服工作台";
    });
    socket.addEventListener("close", function () {
      $("link").textContent = "重新连接中…";
      $("link").className = "link";
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * retry);
    });
  }
  connect();
  setInterval(function () { api("GET", "/api/agent/queue").then(function (res) { if (res.ok) renderQueue(res.data); }); }, 30000);
})();
