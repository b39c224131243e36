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

  function queueItem(item, pending) {
    var li = el("li", "item" + (item.emergency ? " emergency" : ""));
    li.setAttribute("data-testid", pending ? "queue-item" : "assigned-item");
    li.setAttribute("data-conversation", item.id);
    var head = el("div", "item-head");
    head.appendChild(el("span", "tag", item.emergency ? "紧急" : (item.reason || "排队")));
    head.appendChild(el("span", "cid", item.id.slice(0, 10)));
    head.appendChild(el("span", "wait", pending ? waited(item.waiting_since) : "客服：" + (item.assigned_agent || "")));
    li.appendChild(head);
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
          if (res.ok) open(item.id);
          else alert(res.data.error || "接入失败");
        });
      });
      actions.appendChild(claim);
    }
    li.appendChild(actions);
    return li;
  }

  function renderQueue(frame) {
    var queue = $("queue"), assigned = $("assigned");
    queue.textContent = "";
    assigned.textContent = "";
    frame.pending.forEach(function (item) { queue.appendChild(queueItem(item, true)); });
    frame.assigned.forEach(function (item) { assigned.appendChild(queueItem(item, false)); });
    $("pending-count").textContent = String(frame.pending.length);
    document.title = (frame.pending.length ? "(" + frame.pending.length + ") " : "") + "客服工作台";
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
    $("transcript").appendChild(li);
    $("transcript").scrollTop = $("transcript").scrollHeight;
  }

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
      else if (frame.type === "alert") document.title = "【新的转人工】客服工作台";
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
