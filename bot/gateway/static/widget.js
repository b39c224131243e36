/* 锦华物业 resident chat widget. Every text is rendered with textContent, never innerHTML.
 * On the gateway's own page (data-mode="inline") it draws the chat; on any other page one
 * <script src="https://gateway/widget.js"></script> adds a launcher that opens the chat in an iframe. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src, location.href).origin;
  var title = (script.dataset.title || "锦华物业") + "在线客服";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  if (script.dataset.mode !== "inline") {
    var frame = el("iframe");
    frame.src = origin + "/?embed=1";
    frame.title = title;
    var fs = frame.style;
    fs.position = "fixed"; fs.right = "0"; fs.bottom = "0"; fs.width = "min(100vw, 420px)"; fs.height = "min(100vh, 720px)";
    fs.border = "0"; fs.zIndex = "2147483646"; fs.display = "none"; fs.boxShadow = "0 0 16px rgba(0,0,0,.25)";
    var launcher = el("button", "", "在线客服");
    var ls = launcher.style;
    ls.position = "fixed"; ls.right = "16px"; ls.bottom = "16px"; ls.zIndex = "2147483647"; ls.padding = "12px 16px";
    ls.border = "0"; ls.borderRadius = "24px"; ls.background = "#07c160"; ls.color = "#fff"; ls.fontSize = "15px";
    launcher.addEventListener("click", function () {
      var open = frame.style.display === "none";
      frame.style.display = open ? "block" : "none";
      launcher.textContent = open ? "收起" : "在线客服";
    });
    document.body.appendChild(frame);
    document.body.appendChild(launcher);
    return;
  }

  var css = el("link");
  css.rel = "stylesheet";
  css.href = origin + "/static/widget.css";
  document.head.appendChild(css);

  var TOKEN_KEY = "wuye_resident_token";
  var AVATAR = { resident: "我", bot: "物", agent: "客" };
  var seen = {};
  var token = null;
  var socket = null;
  var retry = 0;

  var app = el("div", "wy-app");
  var header = el("header", "wy-header");
  var headTitle = el("span", "wy-title", title);
  var headStatus = el("span", "wy-status", "智能助手");
  header.appendChild(headTitle);
  header.appendChild(headStatus);
  var list = el("ol", "wy-list");
  list.setAttribute("aria-live", "polite");
  var quick = el("div", "wy-quick");
  var bar = el("form", "wy-bar");
  var input = el("textarea", "wy-input");
  input.rows = 1;
  input.placeholder = "请输入您想咨询、报修或投诉的内容";
  input.setAttribute("data-testid", "chat-input");
  input.setAttribute("aria-label", "消息");
  var send = el("button", "wy-send", "发送");
  send.type = "submit";
  send.setAttribute("data-testid", "chat-send");
  bar.appendChild(input);
  bar.appendChild(send);
  app.appendChild(header);
  app.appendChild(list);
  app.appendChild(quick);
  app.appendChild(bar);
  document.body.appendChild(app);

  function clock(iso) {
    var d = iso ? new Date(iso) : new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function scroll() { list.scrollTop = list.scrollHeight; }

  function notice(text, cls) {
    var li = el("li", "wy-notice " + (cls || ""), text);
    li.setAttribute("data-testid", "chat-notice");
    list.appendChild(li);
    scroll();
  }

  function showButtons(buttons) {
    quick.textContent = "";
    (buttons || []).forEach(function (b) {
      var button = el("button", "wy-chip", b.title);
      button.type = "button";
      button.setAttribute("data-testid", "quick-reply");
      button.addEventListener("click", function () { sendText(b.title, b.payload); });
      quick.appendChild(button);
    });
  }

  function render(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    if (m.role === "system") {
      notice(m.text, "wy-system");
      if (m.agent) headStatus.textContent = m.event === "join" ? "客服" + m.agent + "为您服务" : "智能助手";
      return;
    }
    var li = el("li", "wy-msg wy-" + m.role);
    li.setAttribute("data-testid", "chat-message");
    li.setAttribute("data-role", m.role);
    li.appendChild(el("div", "wy-avatar", AVATAR[m.role] || "?"));
    var body = el("div", "wy-body");
    var meta = el("div", "wy-meta", (m.role === "agent" ? "客服" + (m.agent || "") + " · " : m.role === "bot" ? "智能助手 · " : "") + clock(m.created_at));
    body.appendChild(meta);
    body.appendChild(el("div", "wy-bubble", m.text));
    li.appendChild(body);
    list.appendChild(li);
    if (m.role === "bot") showButtons(m.buttons);
    else if (m.role === "resident") showButtons([]);
    scroll();
  }

  function sendText(text, payload) {
    text = (text || "").trim();
    if (!text) { notice("请输入内容后再发送"); return false; }
    if (!socket || socket.readyState !== WebSocket.OPEN) { notice("网络连接中，请稍候再发送"); return false; }
    var frame = { type: "message", text: text };
    if (payload) frame.payload = payload;
    socket.send(JSON.stringify(frame));
    return true;
  }

  bar.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sendText(input.value)) input.value = "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (sendText(input.value)) input.value = "";
    }
  });

  function connect() {
    var scheme = origin.indexOf("https:") === 0 ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + new URL(origin).host + "/ws/resident?token=" + encodeURIComponent(token));
    socket.addEventListener("open", function () { retry = 0; app.classList.add("wy-online"); });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "message") render(frame.message);
      else if (frame.type === "notice") notice(frame.text);
    });
    socket.addEventListener("close", function () {
      app.classList.remove("wy-online");
      retry = Math.min(retry + 1, 6);
      setTimeout(function () { loadHistory().then(connect); }, 500 * retry);
    });
  }

  function loadHistory() {
    return fetch(origin + "/api/resident/history", { headers: { Authorization: "Bearer " + token } })
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (data) { (data.messages || []).forEach(render); })
      .catch(function () { notice("网络不稳定，正在重新连接…"); });
  }

  fetch(origin + "/api/resident/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: localStorage.getItem(TOKEN_KEY) })
  })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      token = data.token;
      localStorage.setItem(TOKEN_KEY, token);
      app.setAttribute("data-resident", data.resident_id);
      return loadHistory();
    })
    .then(function () {
      if (!list.children.length) notice("您好，欢迎联系锦华物业，请问有什么可以帮您？");
      connect();
    })
    .catch(function () { notice("暂时无法连接客服，请稍后刷新页面重试"); });
})();
