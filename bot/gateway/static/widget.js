/* 锦华物业 resident chat widget. Every text is rendered with textContent, never innerHTML.
 * On the gateway's own page (data-mode="inline") it draws the chat; on any other page one
 * <script src="https://gateway/widget.js"></script> adds a launcher that opens the chat in an iframe.
 *
 * Messages typed while offline wait in an outbox (kept in localStorage) and are sent on reconnect;
 * an outbox entry leaves only when the server echoes the stored message. Reconnects back off
 * exponentially with jitter; a banner says the chat is offline until the socket is open again. */
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
  var OUTBOX_KEY = "wuye_outbox";
  var AVATAR = { resident: "我", bot: "物", agent: "客" };
  var LEVELS = ["非常满意", "满意", "一般", "不满意", "很不满意"];
  var MAX_PHOTO = 5 * 1024 * 1024;
  var MAX_OUTBOX = 10;
  var BACKOFF_BASE = 1000, BACKOFF_CAP = 30000;
  var TEXT = {
    welcome: "您好，欢迎联系锦华物业，请问有什么可以帮您？",
    empty: "请输入内容后再发送",
    offline: "网络连接已断开，正在为您重新连接…您输入的消息会在恢复连接后自动发送。",
    outboxFull: "网络恢复前最多可保存10条消息，请您稍候再发送，输入的内容已为您保留。",
    typing: "对方正在输入…",
    photoTooLarge: "非常抱歉，照片超过5MB，我们暂时无法接收，请您压缩后或换一张照片重新发送，谢谢。",
    photoWrongType: "非常抱歉，目前只能接收JPG、PNG、WebP或GIF格式的照片，请您换一张照片发送，谢谢。",
    photoSending: "照片发送中，请稍候…",
    photoFailed: "网络不稳定，照片没有发送成功，请您恢复网络后重新发送，谢谢。",
    ratePrompt: "请您为本次服务评价：",
    rateFailed: "评价暂时没有提交成功，请您稍后再试，谢谢。",
    startFailed: "暂时无法连接客服，正在为您重试，请稍候…"
  };
  var seen = {};
  var token = null;
  var socket = null;
  var attempt = 0;
  var retryTimer = null;
  var typingTimer = null;
  var outbox = [];
  try { outbox = JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]") || []; } catch (e) { outbox = []; }

  var app = el("div", "wy-app");
  var header = el("header", "wy-header");
  var headTitle = el("span", "wy-title", title);
  var headStatus = el("span", "wy-status", "智能助手");
  header.appendChild(headTitle);
  header.appendChild(headStatus);
  var offline = el("div", "wy-offline");
  offline.setAttribute("data-testid", "offline-notice");
  offline.setAttribute("role", "status");
  offline.hidden = true;
  var offlineText = el("span", "", TEXT.offline);
  var offlineRetry = el("button", "wy-retry", "立即重试");
  offlineRetry.type = "button";
  offlineRetry.setAttribute("data-testid", "offline-retry");
  offline.appendChild(offlineText);
  offline.appendChild(offlineRetry);
  var list = el("ol", "wy-list");
  list.setAttribute("aria-live", "polite");
  var typingItem = el("li", "wy-msg wy-bot wy-typing");
  typingItem.setAttribute("data-testid", "typing-indicator");
  typingItem.appendChild(el("div", "wy-avatar", AVATAR.bot));
  var typingBody = el("div", "wy-body");
  typingBody.appendChild(el("div", "wy-bubble", TEXT.typing));
  typingItem.appendChild(typingBody);
  var quick = el("div", "wy-quick");
  var bar = el("form", "wy-bar");
  var photo = el("button", "wy-photo-button", "图片");
  photo.type = "button";
  photo.setAttribute("data-testid", "chat-photo");
  photo.setAttribute("aria-label", "发送照片");
  var photoInput = el("input");
  photoInput.type = "file";
  photoInput.accept = "image/*";
  photoInput.hidden = true;
  photoInput.setAttribute("data-testid", "chat-photo-input");
  var input = el("textarea", "wy-input");
  input.rows = 1;
  input.placeholder = "请输入咨询、报修或投诉内容";
  input.setAttribute("data-testid", "chat-input");
  input.setAttribute("aria-label", "消息");
  var send = el("button", "wy-send", "发送");
  send.type = "submit";
  send.setAttribute("data-testid", "chat-send");
  bar.appendChild(photo);
  bar.appendChild(photoInput);
  bar.appendChild(input);
  bar.appendChild(send);
  app.appendChild(header);
  app.appendChild(offline);
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

  function append(node) {
    // The typing bubble stays the last item while it is shown.
    if (typingItem.parentNode === list) list.insertBefore(node, typingItem);
    else list.appendChild(node);
    scroll();
  }

  function notice(text, cls) {
    var li = el("li", "wy-notice " + (cls || ""), text);
    li.setAttribute("data-testid", "chat-notice");
    append(li);
    return li;
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    if (on) {
      list.appendChild(typingItem);
      typingTimer = setTimeout(function () { setTyping(false); }, 70000);
      scroll();
    } else if (typingItem.parentNode) {
      typingItem.parentNode.removeChild(typingItem);
    }
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

  // ------------------------------------------------------------------ satisfaction rating
  var ratingPanel = null;

  function hideRating() {
    if (ratingPanel && ratingPanel.parentNode) ratingPanel.parentNode.removeChild(ratingPanel);
    ratingPanel = null;
  }

  function showRating(resolution) {
    hideRating();
    var li = el("li", "wy-rating");
    li.setAttribute("data-testid", "rating-panel");
    li.appendChild(el("div", "wy-rating-title", TEXT.ratePrompt));
    var row = el("div", "wy-rating-options");
    var buttons = LEVELS.map(function (level) {
      var b = el("button", "wy-rating-option", level);
      b.type = "button";
      b.setAttribute("data-testid", "rating-option");
      b.setAttribute("data-level", level);
      b.addEventListener("click", function () { rate(level, resolution, buttons); });
      row.appendChild(b);
      return b;
    });
    li.appendChild(row);
    ratingPanel = li;
    append(li);
  }

  function rate(level, resolution, buttons) {
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(origin + "/api/resident/rating", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify({ level: level, resolution: resolution })
    })
      .then(function (r) { return r.json().then(function (data) { return { status: r.status, data: data }; }); })
      .then(function (reply) {
        if (reply.data.message) { render(reply.data.message); return; }
        notice(reply.data.error || TEXT.rateFailed);
        if (reply.status === 409) hideRating();
        else buttons.forEach(function (b) { b.disabled = false; });
      })
      .catch(function () {
        notice(TEXT.rateFailed);
        buttons.forEach(function (b) { b.disabled = false; });
      });
  }

  // ------------------------------------------------------------------ messages
  function photoUrl(attachment) {
    return origin + attachment.url + "?token=" + encodeURIComponent(token);
  }

  function bubble(m) {
    var b = el("div", "wy-bubble");
    if (m.attachment && /^\/api\/attachments\/\d+$/.test(m.attachment.url)) {
      b.className += " wy-bubble-photo";
      var img = el("img", "wy-photo");
      img.alt = m.attachment.filename || "照片";
      img.src = photoUrl(m.attachment);
      img.setAttribute("data-testid", "chat-image");
      img.addEventListener("click", function () { img.classList.toggle("wy-photo-large"); });
      img.addEventListener("load", scroll);
      b.appendChild(img);
    } else {
      b.textContent = m.text;
    }
    return b;
  }

  function render(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    if (m.role === "system") {
      var li = notice(m.text, "wy-system" + (m.event === "join" || m.event === "leave" ? " wy-agent-event" : ""));
      if (m.event) li.setAttribute("data-event", m.event);
      if (m.agent && (m.event === "join" || m.event === "leave")) {
        headStatus.textContent = m.event === "join" ? "客服" + m.agent + "为您服务" : "智能助手";
      }
      if (m.event === "resolved") { headStatus.textContent = "智能助手"; showRating(m.id); }
      if (m.event === "rated") hideRating();
      return;
    }
    if (m.role === "resident") echoed(m);
    var item = el("li", "wy-msg wy-" + m.role);
    item.setAttribute("data-testid", "chat-message");
    item.setAttribute("data-role", m.role);
    item.appendChild(el("div", "wy-avatar", AVATAR[m.role] || "?"));
    var body = el("div", "wy-body");
    var meta = el("div", "wy-meta", (m.role === "agent" ? "客服" + (m.agent || "") + " · " : m.role === "bot" ? "智能助手 · " : "") + clock(m.created_at));
    body.appendChild(meta);
    body.appendChild(bubble(m));
    item.appendChild(body);
    append(item);
    if (m.role === "bot" || m.role === "agent") setTyping(false);
    if (m.role === "bot") showButtons(m.buttons);
    else if (m.role === "resident") showButtons([]);
  }

  // ------------------------------------------------------------------ outbox
  function saveOutbox() {
    try { localStorage.setItem(OUTBOX_KEY, JSON.stringify(outbox.map(function (o) { return { text: o.text, payload: o.payload }; }))); } catch (e) { /* private mode */ }
  }

  function pendingBubble(entry) {
    var li = el("li", "wy-msg wy-resident wy-pending");
    li.setAttribute("data-testid", "chat-pending");
    li.appendChild(el("div", "wy-avatar", AVATAR.resident));
    var body = el("div", "wy-body");
    body.appendChild(el("div", "wy-meta", "待发送 · " + clock()));
    body.appendChild(el("div", "wy-bubble", entry.text));
    li.appendChild(body);
    entry.node = li;
    append(li);
  }

  function echoed(m) {
    // The server stored one of ours: the oldest outbox entry with the same text leaves.
    for (var i = 0; i < outbox.length; i++) {
      if (outbox[i].text === (m.text || "").trim()) {
        var entry = outbox.splice(i, 1)[0];
        if (entry.node && entry.node.parentNode) entry.node.parentNode.removeChild(entry.node);
        saveOutbox();
        return;
      }
    }
  }

  function giveBack(text) {
    // A message the gateway refused (too many too fast) leaves the outbox and returns to the input.
    for (var i = 0; i < outbox.length; i++) {
      if (outbox[i].text === text) {
        var entry = outbox.splice(i, 1)[0];
        if (entry.node && entry.node.parentNode) entry.node.parentNode.removeChild(entry.node);
        saveOutbox();
        break;
      }
    }
    input.value = input.value ? text + "\n" + input.value : text;
  }

  function online() { return socket && socket.readyState === WebSocket.OPEN; }

  function transmit(entry) {
    var frame = { type: "message", text: entry.text };
    if (entry.payload) frame.payload = entry.payload;
    socket.send(JSON.stringify(frame));
    entry.sent = socket;
  }

  function flush() {
    // Spaced out so a long outbox stays under the gateway's rate limit.
    var waiting = outbox.filter(function (o) { return o.sent !== socket; });
    waiting.forEach(function (entry, i) {
      setTimeout(function () { if (online() && entry.sent !== socket && outbox.indexOf(entry) >= 0) transmit(entry); }, i * 400);
    });
  }

  function sendText(text, payload) {
    text = (text || "").trim();
    if (!text) { notice(TEXT.empty); return false; }
    if (!online() && outbox.length >= MAX_OUTBOX) { notice(TEXT.outboxFull); return false; }
    var entry = { text: text, payload: payload || null };
    outbox.push(entry);
    saveOutbox();
    if (online()) transmit(entry);
    else pendingBubble(entry);
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

  // ------------------------------------------------------------------ photos
  photo.addEventListener("click", function () { photoInput.click(); });
  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    photoInput.value = "";
    if (!file) return;
    if (file.size > MAX_PHOTO) { notice(TEXT.photoTooLarge); return; }
    if (file.type && file.type.indexOf("image/") !== 0) { notice(TEXT.photoWrongType); return; }
    var progress = notice(TEXT.photoSending);
    progress.setAttribute("data-testid", "photo-progress");
    fetch(origin + "/api/resident/attachments?filename=" + encodeURIComponent(file.name || "photo"), {
      method: "POST",
      headers: { Authorization: "Bearer " + token, "Content-Type": file.type || "application/octet-stream" },
      body: file
    })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        progress.parentNode && progress.parentNode.removeChild(progress);
        if (data.message) render(data.message);
        else notice(data.error || TEXT.photoFailed);
      })
      .catch(function () {
        progress.parentNode && progress.parentNode.removeChild(progress);
        notice(TEXT.photoFailed);
      });
  });

  // ------------------------------------------------------------------ connection
  function setOffline(isOffline) {
    offline.hidden = !isOffline;
    app.classList.toggle("wy-online", !isOffline);
  }

  function backoff() {
    // Exponential, capped, with jitter (half to full delay) so reconnecting widgets spread out.
    var delay = Math.min(BACKOFF_CAP, BACKOFF_BASE * Math.pow(2, attempt));
    attempt += 1;
    return Math.round(delay / 2 + Math.random() * delay / 2);
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    setOffline(true);
    retryTimer = setTimeout(start, backoff());
  }

  function retryNow() {
    if (online()) return;
    clearTimeout(retryTimer);
    attempt = 0;
    start();
  }

  offlineRetry.addEventListener("click", retryNow);
  window.addEventListener("online", retryNow);
  window.addEventListener("offline", function () { if (socket) socket.close(); setOffline(true); });

  function connect() {
    var scheme = origin.indexOf("https:") === 0 ? "wss:" : "ws:";
    var ws = new WebSocket(scheme + "//" + new URL(origin).host + "/ws/resident?token=" + encodeURIComponent(token) + "&features=typing,refused");
    socket = ws;
    ws.addEventListener("open", function () {
      attempt = 0;
      setOffline(false);
      flush();
    });
    ws.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "message") render(frame.message);
      else if (frame.type === "notice") { notice(frame.text); if (frame.refused) giveBack(frame.refused); }
      else if (frame.type === "typing") setTyping(!!frame.on);
    });
    ws.addEventListener("close", function (event) {
      if (socket !== ws) return;
      setTyping(false);
      if (event.code === 4401) token = null; // signed by another secret: ask for a session again
      scheduleRetry();
    });
  }

  function loadHistory() {
    return fetch(origin + "/api/resident/history", { headers: { Authorization: "Bearer " + token } }).then(function (r) {
      if (r.status === 401) { token = null; throw new Error("token"); }
      if (!r.ok) throw new Error("history");
      return r.json().then(function (data) { (data.messages || []).forEach(render); });
    });
  }

  function session() {
    if (token) return Promise.resolve();
    return fetch(origin + "/api/resident/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: localStorage.getItem(TOKEN_KEY) })
    })
      .then(function (r) { if (!r.ok) throw new Error("session"); return r.json(); })
      .then(function (data) {
        token = data.token;
        localStorage.setItem(TOKEN_KEY, token);
        app.setAttribute("data-resident", data.resident_id);
      });
  }

  var started = false;
  var starting = false;
  function start() {
    if (starting || online()) return;
    starting = true;
    session()
      .then(loadHistory)
      .then(function () {
        starting = false;
        if (!started) {
          started = true;
          if (!list.children.length) notice(TEXT.welcome);
          outbox.forEach(pendingBubble);
        }
        connect();
      })
      .catch(function () {
        starting = false;
        if (!started && !list.children.length) notice(TEXT.startFailed);
        scheduleRetry();
      });
  }

  start();
})();
