/* The resident chat widget's entry point: a classic script, so that any site can embed the chat
 * with one <script src="https://gateway/widget.js"></script> (a module would need type="module"
 * and CORS on every file it imports).
 *
 * - On the gateway's own page (data-mode="inline", data-config = GET /api/resident/config inline)
 *   it imports the chat module (static/widget/chat.js, which builds on static/lib/) and starts it.
 * - On any other page it adds a launcher button that opens that page in an iframe; its label comes
 *   from GET /api/resident/config. Texts are set with textContent, never innerHTML.
 *
 * No text of its own: everything shown comes from the server (bot/gateway/widget_config.py). */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src, location.href).origin;

  // The community the chat is opened for: data-community="jinhua-garden" on this script (the
  // gateway's /c/<slug> page sets it; a company's site sets it on the embed).
  var community = script.dataset.community || "";

  if (script.dataset.mode === "inline") {
    var config = JSON.parse(script.dataset.config);
    config.community = community;
    import(origin + "/static/widget/chat.js").then(function (chat) { chat.start(config, origin); });
    return;
  }

  fetch(origin + "/api/resident/config")
    .then(function (r) { return r.json(); })
    .then(function (config) { launch(config.texts); });

  function launch(TEXT) {
    var frame = document.createElement("iframe");
    frame.src = origin + (community ? "/c/" + encodeURIComponent(community) : "/") + "?embed=1";
    frame.title = TEXT.title;
    var fs = frame.style;
    fs.position = "fixed"; fs.right = "0"; fs.bottom = "0"; fs.width = "min(100vw, 420px)"; fs.height = "min(100vh, 720px)";
    fs.border = "0"; fs.zIndex = "2147483646"; fs.display = "none"; fs.boxShadow = "0 0 16px rgba(0,0,0,.25)";
    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.textContent = TEXT.launcher;
    var ls = launcher.style;
    ls.position = "fixed"; ls.right = "16px"; ls.bottom = "16px"; ls.zIndex = "2147483647"; ls.padding = "12px 16px";
    ls.border = "0"; ls.borderRadius = "24px"; ls.background = "#067d3f"; ls.color = "#fff"; ls.fontSize = "15px";
    launcher.addEventListener("click", function () {
      var open = frame.style.display === "none";
      frame.style.display = open ? "block" : "none";
      launcher.textContent = open ? TEXT.launcherClose : TEXT.launcher;
    });
    document.body.appendChild(frame);
    document.body.appendChild(launcher);
  }
})();
