/* Trainer console: inbox → annotate (intent, entities, noise; conflicts shown) → export → retrain
 * (progress) → compare side by side (confusion pictures) → promote / roll back.
 * All text goes through textContent (lib/el.js); calls through the desks' API (lib/desk.js). */

import { button, byId as $, clear, el } from "./lib/el.js";
import { api, failure } from "./lib/desk.js";
import { stamp } from "./lib/time.js";

var LABELS = [], ENTITIES = [], NAMES = {}, ENTITY_NAMES = {};
var filter = { flag: "", status: "all", q: "" };
var FLAG_TEXT = { guard_disagrees: "紧急判断不一致", agent_corrected: "客服纠正", fallback: "兜底", low_confidence: "低置信度", taken_over: "人工接管" };
var STATUS_TEXT = { candidate: "候选", active: "当前使用", retired: "已退役", rejected: "未通过", queued: "排队中", running: "训练中", done: "完成", failed: "失败" };
var searchTimer = null, pollTimer = null, inboxSeq = 0, compareTimer = null;
var ROLE = { resident: "业主", bot: "智能助手", agent: "客服", system: "系统" };

function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%"; }
function when(iso) { return iso ? stamp(iso, "YYYY-MM-DD HH:mm") : "—"; }
function name(label) { return label ? (NAMES[label] || label) : "—"; }

/* ---------------------------------------------------------------- inbox */

function loadInbox() {
  var params = new URLSearchParams();
  if (filter.flag) params.append("flag", filter.flag);
  params.append("status", filter.status);
  if (filter.q) params.append("q", filter.q);
  var seq = ++inboxSeq;
  $("inbox").setAttribute("aria-busy", "true");
  return api("GET", "/api/trainer/inbox?" + params.toString()).then(function (res) {
    if (seq !== inboxSeq) return;  // a newer filter was chosen meanwhile
    $("inbox").setAttribute("aria-busy", "false");
    $("inbox-error").textContent = res.ok ? "" : failure(res, "加载失败");
    if (!res.ok) return;
    var list = $("inbox");
    clear(list);
    res.data.items.forEach(function (item) { list.appendChild(inboxItem(item)); });
    $("inbox-count").textContent = "共 " + res.data.items.length + " 条";
    if (!res.data.items.length) list.appendChild(el("li", "empty", "没有符合条件的消息"));
  });
}

function inboxItem(item) {
  var li = el("li", "inbox-item");
  li.setAttribute("data-testid", "inbox-item");
  li.setAttribute("data-item", item.id);
  if (item.flags.guard_disagrees) li.classList.add("guard");
  if (item.annotation) li.classList.add("done");
  var state = { entities: item.annotation && !item.annotation.noise ? item.annotation.entities.slice() : [], selection: null };

  var text = el("p", "text", item.text);
  text.setAttribute("data-testid", "inbox-text");
  li.appendChild(text);

  var meta = el("div", "meta");
  if (item.flags.photo) {
    li.classList.add("photo");
    var photo = el("span", "intent", "居民发送的图片（图片不经模型识别，无需标注）");
    photo.setAttribute("data-testid", "inbox-photo");
    meta.appendChild(photo);
  } else if (item.flags.parsed) {
    meta.appendChild(el("span", "intent", "模型：" + (item.intent_name || name(item.label))));
    var bar = el("span", "confidence");
    var fill = el("span", "fill");
    fill.style.width = Math.round((item.confidence || 0) * 100) + "%";
    if ((item.confidence || 0) < 0.5) fill.classList.add("low");
    bar.appendChild(fill);
    meta.appendChild(bar);
    var conf = el("span", "conf", pct(item.confidence));
    conf.setAttribute("data-testid", "inbox-confidence");
    meta.appendChild(conf);
    if (item.final_intent && item.final_intent !== item.intent) meta.appendChild(el("span", "final", "实际处理：" + (item.final_intent_name || name(item.final_intent))));
  } else {
    meta.appendChild(el("span", "intent", "未经模型识别（智能助手没有处理这条消息：当时不可用，或会话在人工客服手中）"));
  }
  Object.keys(FLAG_TEXT).forEach(function (flag) {
    if (item.flags[flag]) { var t = el("span", "flag " + flag, FLAG_TEXT[flag]); meta.appendChild(t); }
  });
  if (item.guard.emergency) meta.appendChild(el("span", "flag guard-yes", "守卫：紧急（" + item.guard.matched.join("、") + "）"));
  if (item.test_set) meta.appendChild(el("span", "flag test-set", item.test_set === "heldout" ? "留出测试集中的句子" : "外部评测集中的句子"));
  if (item.agent_label) meta.appendChild(el("span", "flag agent", "客服改为：" + name(item.agent_label)));
  meta.appendChild(el("span", "cid", when(item.at)));
  var more = button("查看上下文", "inbox-context-toggle", "link-button");
  more.setAttribute("aria-expanded", "false");
  meta.appendChild(more);
  li.appendChild(meta);
  var context = el("ol", "context");
  context.setAttribute("data-testid", "inbox-context");
  context.hidden = true;
  li.appendChild(context);
  more.addEventListener("click", function () {
    if (!context.hidden) { context.hidden = true; more.textContent = "查看上下文"; more.setAttribute("aria-expanded", "false"); return; }
    more.disabled = true;
    var query = item.message_id ? "?around=" + item.message_id : "";
    api("GET", "/api/trainer/conversations/" + encodeURIComponent(item.conversation_id) + query).then(function (res) {
      more.disabled = false;
      clear(context);
      if (!res.ok) { context.appendChild(el("li", "error", failure(res, "加载失败"))); }
      else res.data.messages.forEach(function (m) {
        var line = el("li", "context-line " + m.role + (m.current ? " current" : ""));
        line.setAttribute("data-role", m.role);
        if (m.current) line.setAttribute("data-current", "true");
        line.appendChild(el("span", "who", (ROLE[m.role] || m.role) + (m.role === "agent" && m.agent ? m.agent : "") + " " + stamp(m.at, "HH:mm")));
        line.appendChild(el("span", "said", m.photo ? "（一张图片）" : m.text));
        context.appendChild(line);
      });
      if (res.ok && !res.data.messages.length) context.appendChild(el("li", "hint", "没有找到这段对话"));
      context.hidden = false;
      more.textContent = "收起上下文";
      more.setAttribute("aria-expanded", "true");
    });
  });
  if (item.flags.photo) return li;  // nothing to label: the picture never reached the model

  if (item.annotation) {
    var a = item.annotation;
    var done = el("div", "annotated", a.noise ? "已标为噪声（" + a.author + "）" : "已标注：" + name(a.intent) + "（" + a.author + (a.exported ? "，已导出" : "") + "）");
    done.setAttribute("data-testid", "annotation-state");
    li.appendChild(done);
  }

  // label, entities, actions
  var controls = el("div", "controls");
  var select = el("select");
  select.setAttribute("data-testid", "label-select");
  select.setAttribute("aria-label", "意图");
  var none = el("option", "", "请选择意图");
  none.value = "";
  select.appendChild(none);
  LABELS.forEach(function (label) {
    var option = el("option", "", label.name);
    option.value = label.value;
    select.appendChild(option);
  });
  // The default: the trainer's own label, else the agent's correction (an intake class; for 咨询 the
  // model's topic when it said 咨询 too, else the trainer picks the topic), else the model's guess.
  var fromAgent = item.agent_label === "inquiry" ? (item.label && item.label.indexOf("inquiry/") === 0 ? item.label : "") : item.agent_label;
  var current = item.annotation && item.annotation.intent ? item.annotation.intent : (item.agent_label ? fromAgent : item.label);
  select.value = current || "";
  if (select.value !== (current || "")) select.value = "";
  controls.appendChild(select);

  var confirm = button(current === item.label && !item.annotation ? "确认" : "保存", "label-confirm", "primary");
  select.addEventListener("change", function () { confirm.textContent = select.value === item.label ? "确认" : "改为此意图"; });
  controls.appendChild(confirm);
  var noise = button("标为噪声", "mark-noise");
  controls.appendChild(noise);

  var entitySelect = el("select");
  entitySelect.setAttribute("data-testid", "entity-select");
  entitySelect.setAttribute("aria-label", "实体类型");
  var placeholder = el("option", "", "选中文字后标实体…");
  placeholder.value = "";
  entitySelect.appendChild(placeholder);
  ENTITIES.forEach(function (e) { var o = el("option", "", e.name); o.value = e.value; entitySelect.appendChild(o); });
  entitySelect.disabled = true;
  controls.appendChild(entitySelect);
  li.appendChild(controls);

  var chips = el("ul", "entities");
  li.appendChild(chips);
  var warning = el("div", "conflicts");
  warning.setAttribute("data-testid", "conflict-warning");
  warning.hidden = true;
  li.appendChild(warning);
  var error = el("p", "error");
  error.setAttribute("role", "alert");
  li.appendChild(error);

  function renderChips() {
    clear(chips);
    state.entities.forEach(function (span, index) {
      var chip = el("li", "entity", (ENTITY_NAMES[span.entity] || span.entity) + "：" + span.value);
      chip.setAttribute("data-testid", "entity-chip");
      var remove = button("×", "entity-remove", "x");
      remove.setAttribute("aria-label", "删除实体");
      remove.addEventListener("click", function () { state.entities.splice(index, 1); renderChips(); });
      chip.appendChild(remove);
      chips.appendChild(chip);
    });
  }
  renderChips();

  text.addEventListener("mouseup", function () { pickSelection(); });
  text.addEventListener("keyup", function () { pickSelection(); });
  function pickSelection() {
    var sel = window.getSelection();
    state.selection = null;
    if (sel && sel.rangeCount && !sel.isCollapsed) {
      var range = sel.getRangeAt(0);
      var node = text.firstChild;
      if (node && range.startContainer === node && range.endContainer === node && range.endOffset > range.startOffset) {
        state.selection = { start: range.startOffset, end: range.endOffset, value: item.text.slice(range.startOffset, range.endOffset) };
      }
    }
    entitySelect.disabled = !state.selection;
    placeholder.textContent = state.selection ? "「" + state.selection.value + "」是…" : "选中文字后标实体…";
  }
  entitySelect.addEventListener("change", function () {
    if (!state.selection || !entitySelect.value) return;
    var s = state.selection;
    var overlaps = state.entities.some(function (e) { return s.start < e.end && e.start < s.end; });
    if (overlaps) { error.textContent = "实体之间不能重叠"; }
    else {
      clear(error);
      state.entities.push({ start: s.start, end: s.end, value: s.value, entity: entitySelect.value });
      state.entities.sort(function (x, y) { return x.start - y.start; });
      renderChips();
    }
    entitySelect.value = "";
    entitySelect.disabled = true;
    placeholder.textContent = "选中文字后标实体…";
    state.selection = null;
  });

  function send(body) {
    clear(error);
    confirm.disabled = noise.disabled = true;
    return api("POST", "/api/trainer/annotate", body).then(function (res) {
      confirm.disabled = noise.disabled = false;
      if (res.ok) { li.replaceWith(inboxItem(res.data.item)); return; }
      if (res.status === 409) { showConflicts(res.data, body); return; }
      error.textContent = failure(res, "保存失败");
    });
  }

  function showConflicts(result, body) {
    clear(warning);
    warning.hidden = false;
    warning.appendChild(el("strong", "", result.refused ? "不能这样标注：" : "发现冲突，请确认："));
    var list = el("ul");
    result.conflicts.forEach(function (c) {
      var line = el("li", "conflict " + c.kind, c.message);
      line.setAttribute("data-kind", c.kind);
      if (c.other_text) line.appendChild(el("span", "other", "「" + c.other_text + "」"));
      list.appendChild(line);
    });
    warning.appendChild(list);
    var actions = el("div", "conflict-actions");
    if (!result.refused) {
      var override = button("仍然保存", "label-override", "warn");
      override.addEventListener("click", function () { send(Object.assign({}, body, { override: true })); });
      actions.appendChild(override);
    } else {
      actions.appendChild(el("span", "hint", "测试集中的句子不能用于训练，可以标为噪声。"));
    }
    var cancel = button("取消", "conflict-cancel");
    cancel.addEventListener("click", function () { warning.hidden = true; });
    actions.appendChild(cancel);
    warning.appendChild(actions);
  }

  confirm.addEventListener("click", function () {
    warning.hidden = true;
    send({ item_id: item.id, intent: select.value, entities: state.entities });
  });
  noise.addEventListener("click", function () {
    warning.hidden = true;
    send({ item_id: item.id, noise: true });
  });
  return li;
}

/* --------------------------------------------------- export, train, models */

function exportAnnotations() {
  var box = $("export-result");
  box.textContent = "正在导出并校验数据…";
  $("export").disabled = true;
  api("POST", "/api/trainer/export").then(function (res) {
    $("export").disabled = false;
    clear(box);
    if (!res.ok) { box.appendChild(el("p", "error", failure(res, "导出失败"))); return; }
    box.appendChild(el("p", "ok", "已写入 " + res.data.written + " 条训练句：" + res.data.path));
    var check = el("p", res.data.validate.ok ? "ok" : "error", res.data.validate.ok ? "数据校验通过（rasa data validate），可以开始训练。" : "数据校验未通过，请先修正标注再训练：");
    check.setAttribute("data-testid", "export-validate");
    box.appendChild(check);
    if (!res.data.validate.ok) box.appendChild(el("pre", "log", res.data.validate.output_tail));
    if (res.data.skipped.length) {
      box.appendChild(el("p", "", "未导出 " + res.data.skipped.length + " 条："));
      var ul = el("ul", "skipped");
      res.data.skipped.forEach(function (s) { ul.appendChild(el("li", "", "「" + s.text + "」— " + s.reason)); });
      box.appendChild(ul);
    }
  });
}

function startTraining() {
  $("train").disabled = true;
  api("POST", "/api/trainer/train").then(function (res) {
    if (!res.ok) { $("train").disabled = false; showJob({ status: "failed", stage: failure(res, "无法开始训练"), progress: 0, log_tail: "" }); return; }
    pollJob(res.data.job_id);
  });
}

function showJob(job) {
  $("train-progress").hidden = false;
  $("train-progress").setAttribute("data-status", job.status);
  $("train-bar").value = job.progress || 0;
  $("train-stage").textContent = (STATUS_TEXT[job.status] || job.status) + (job.stage ? " · " + job.stage : "") + " · " + Math.round((job.progress || 0) * 100) + "%";
  var log = $("train-log");
  log.textContent = (job.log_tail || "").replace(/\u001b\[[0-9;]*m/g, "");  // no terminal colours
  log.scrollTop = log.scrollHeight;
}

function pollJob(id) {
  clearTimeout(pollTimer);
  api("GET", "/api/trainer/jobs/" + id).then(function (res) {
    if (!res.ok) { $("train").disabled = false; return; }
    showJob(res.data);
    if (res.data.status === "queued" || res.data.status === "running") { pollTimer = setTimeout(function () { pollJob(id); }, 2000); return; }
    $("train").disabled = false;
    loadModels();
  });
}

function resumeTraining() {
  api("GET", "/api/trainer/jobs/latest").then(function (res) {
    if (!res.ok || !res.data.job) return;
    var job = res.data.job;
    if (job.status === "queued" || job.status === "running") { $("train").disabled = true; pollJob(job.id); }
    else if (!pollTimer) showJob(job);
  });
}

function split(metrics, which) { return metrics && metrics[which] ? metrics[which] : null; }

function loadModels() {
  return api("GET", "/api/trainer/models").then(function (res) {
    $("models-error").textContent = res.ok ? "" : failure(res, "加载失败");
    if (!res.ok) return;
    var body = $("models");
    clear(body);
    res.data.models.forEach(function (m) {
      var tr = el("tr", "status-" + m.status);
      tr.setAttribute("data-testid", "model-row");
      tr.setAttribute("data-version", m.id);
      tr.setAttribute("data-status", m.status);
      var held = split(m.metrics, "heldout"), ext = split(m.metrics, "external");
      [m.name, STATUS_TEXT[m.status] || m.status, when(m.created_at), when(m.promoted_at), held ? pct(held.macro_f1) : "—",
        (held ? pct(held.emergency_recall) : "—") + " / " + (ext ? pct(ext.emergency_recall) : "—")].forEach(function (v) { tr.appendChild(el("td", "", v)); });
      var actions = el("td", "actions");
      var btns = el("div", "btns");
      actions.appendChild(btns);
      if (m.status === "active") btns.appendChild(el("span", "hint", "正在使用（对比以它为基准）"));
      else {
        var cmp = button("与当前模型对比", "compare");
        cmp.addEventListener("click", function () { compare(m.id, m.name); });
        btns.appendChild(cmp);
      }
      if (m.status === "candidate") {
        var promote = button("上线", "promote", "primary");
        promote.addEventListener("click", function () { switchModel(m.id, "promote", promote); });
        btns.appendChild(promote);
      }
      if (m.status === "retired") {
        var back = button("回滚到此版本", "rollback", "warn");
        back.addEventListener("click", function () { switchModel(m.id, "rollback", back); });
        btns.appendChild(back);
      }
      if (m.reason) actions.appendChild(el("div", "reason", m.reason));
      tr.appendChild(actions);
      body.appendChild(tr);
    });
    if (!res.data.models.length) { var tr = el("tr"); var td = el("td", "empty", "还没有训练过的模型版本"); td.colSpan = 7; tr.appendChild(td); body.appendChild(tr); }
  });
}

function switchModel(id, action, btn) {
  var note = $("switch-result");
  btn.disabled = true;
  note.className = "switch-result";
  note.textContent = action === "promote" ? "正在上线，请稍候…" : "正在回滚，请稍候…";
  api("POST", "/api/trainer/models/" + id + "/" + action).then(function (res) {
    btn.disabled = false;
    var done = action === "promote" ? "已上线" : "已回滚";
    var refused = action === "promote" ? "未能上线：" : "未能回滚：";
    note.className = "switch-result " + (res.ok ? "ok" : "bad");
    note.textContent = res.ok ? done + (res.data.reason ? "：" + res.data.reason : "") : refused + (res.data.reason || failure(res, "操作失败"));
    loadModels();
  });
}

function metricsColumn(title, version, cls) {
  var col = el("div", "compare-col " + cls);
  col.appendChild(el("h3", "", title + (version ? "：" + version.name : "")));
  if (!version) { col.appendChild(el("p", "hint", "目前没有正在使用的已登记模型")); return col; }
  ["heldout", "external"].forEach(function (which) {
    var s = split(version.metrics, which);
    col.appendChild(el("h4", "", which === "heldout" ? "留出测试集" : "外部评测集"));
    if (!s) { col.appendChild(el("p", "hint", "没有评测结果")); return; }
    col.appendChild(el("p", "summary", "Macro-F1 " + pct(s.macro_f1) + " · 紧急召回 " + pct(s.emergency_recall)));
    var table = el("table", "per-intent");
    var head = el("tr");
    ["意图", "精确率", "召回率", "F1", "样本"].forEach(function (h) { head.appendChild(el("th", "", h)); });
    table.appendChild(head);
    Object.keys(s.per_intent || {}).sort().forEach(function (intent) {
      var r = s.per_intent[intent], tr = el("tr");
      [name(intent), pct(r.precision), pct(r.recall), pct(r.f1), String(r.support)].forEach(function (v) { tr.appendChild(el("td", "", v)); });
      table.appendChild(tr);
    });
    col.appendChild(table);
    var img = el("img", "confusion");
    img.setAttribute("data-testid", "confusion-image");
    img.alt = title + "的混淆矩阵（" + (which === "heldout" ? "留出测试集" : "外部评测集") + "）";
    img.src = "/api/trainer/models/" + version.id + "/confusion/" + which + ".png";
    col.appendChild(img);
  });
  return col;
}

function compare(id, versionName) {
  // Evaluating a model that has no metrics yet takes a minute or so: the pane says what runs and
  // for how long, and the buttons wait until it is done.
  var pane = $("compare-pane"), grid = $("compare-grid"), progress = $("compare-progress"), started = Date.now();
  pane.hidden = false;
  clear(grid);
  $("verdict").textContent = "";
  progress.hidden = false;
  document.querySelectorAll('[data-testid="compare"]').forEach(function (b) { b.disabled = true; });
  function tick() { $("compare-status").textContent = "正在评测「" + versionName + "」并与当前模型对比（首次评测约需 1 分钟）…已用 " + Math.round((Date.now() - started) / 1000) + " 秒"; }
  tick();
  clearInterval(compareTimer);
  compareTimer = setInterval(tick, 1000);
  pane.scrollIntoView({ behavior: "smooth", block: "start" });
  api("GET", "/api/trainer/models/" + id + "/compare").then(function (res) {
    clearInterval(compareTimer);
    progress.hidden = true;
    document.querySelectorAll('[data-testid="compare"]').forEach(function (b) { b.disabled = false; });
    if (!res.ok) { $("verdict").textContent = failure(res, "无法对比"); return; }
    if (res.data.same || !res.data.current || res.data.current.id === res.data.candidate.id) {
      $("verdict").textContent = (res.data.verdict && res.data.verdict.reasons || ["这个版本就是当前使用的模型"]).join("；");
      $("verdict").className = "verdict";
      return;
    }
    var v = res.data.verdict || {};
    var reasons = [].concat(v.reasons || v.reason || []);
    var ok = v.ok !== undefined ? v.ok : v.promotable;
    $("verdict").textContent = (ok === false ? "不建议上线：" : ok === true ? "可以上线：" : "") + reasons.join("；");
    $("verdict").className = "verdict " + (ok === false ? "bad" : "good");
    grid.appendChild(metricsColumn("当前模型", res.data.current, "current"));
    grid.appendChild(metricsColumn("候选模型", res.data.candidate, "candidate"));
  });
}

/* ---------------------------------------------------------------- wiring */

document.querySelectorAll(".tab").forEach(function (tab) {
  tab.addEventListener("click", function () {
    document.querySelectorAll(".tab").forEach(function (t) { t.classList.toggle("active", t === tab); });
    document.querySelectorAll(".pane").forEach(function (p) { p.hidden = p.id !== tab.getAttribute("data-tab"); });
    if (tab.getAttribute("data-tab") === "models-pane") { loadModels(); resumeTraining(); }
  });
});
document.querySelectorAll(".chip").forEach(function (chip) {
  chip.addEventListener("click", function () {
    document.querySelectorAll(".chip").forEach(function (c) { c.classList.toggle("active", c === chip); });
    filter.flag = chip.getAttribute("data-flag");
    loadInbox();
  });
});
$("status").addEventListener("change", function () { filter.status = $("status").value; loadInbox(); });
$("search").addEventListener("input", function () {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(function () { filter.q = $("search").value.trim(); loadInbox(); }, 300);
});
$("export").addEventListener("click", exportAnnotations);
$("train").addEventListener("click", startTraining);
$("logout").addEventListener("click", function () {
  api("POST", "/api/agent/logout").then(function () { location.reload(); });
});

api("GET", "/api/trainer/labels").then(function (res) {
  if (!res.ok) { $("inbox-error").textContent = failure(res, "加载失败"); return; }
  LABELS = res.data.labels;
  ENTITIES = res.data.entities;
  LABELS.forEach(function (l) { NAMES[l.value] = l.name; });
  ["inquiry", "nlu_fallback"].forEach(function (k) { if (NAMES[k] === undefined) NAMES[k] = k === "inquiry" ? "咨询" : "未能识别"; });
  ENTITIES.forEach(function (e) { ENTITY_NAMES[e.value] = e.name; });
  loadInbox();
});
