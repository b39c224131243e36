/* The administration page's communities (issue 13 §4): the list, a community's facts, its topic
 * answers — each previewed as the resident will read it, in the widget's own bubble
 * (static/widget.css), checked by the server's politeness checker before it is stored (a refusal
 * is shown with what to say instead) — who serves it, and its changes. Every rule is the
 * server's (bot/communities, bot/politeness); this module only shows what it answers. */

import { button, clear, el } from "../lib/el.js";
import { api, failure } from "../lib/desk.js";
import { stamp } from "../lib/time.js";
import { formatBuildings, parseBuildings } from "./buildings.js";
import { describe } from "./audit.js";

const $ = (selector, root) => (root || document).querySelector(selector);
const PREVIEW_DELAY = 350;

/** Start the panel; `say(text, bad)` is the page's notice line, `changed()` runs after a save. */
export function startCommunities({ say, changed }) {
  let current = null;  // the community shown: its id

  async function loadList(select) {
    const res = await api("GET", "/api/admin/communities");
    if (!res.ok) { say(failure(res, "小区列表加载失败"), true); return []; }
    const list = clear($("#community-list"));
    res.data.communities.forEach((c) => {
      const item = button(c.name + "（" + c.answered + "/" + c.topics + "）", "community-" + c.slug, "community-item");
      item.setAttribute("aria-current", String(c.id === current));
      item.addEventListener("click", () => show(c.id));
      list.appendChild(item);
    });
    if (select !== undefined) show(select);
    else if (current === null && res.data.communities.length) show(res.data.communities[0].id);
    return res.data.communities;
  }

  function fillFacts(c) {
    const form = $("#community-facts");
    form.elements.name.value = c.name;
    form.elements.address.value = c.address;
    form.elements.buildings.value = formatBuildings(c.buildings);
    form.elements.service_centre_place.value = c.service_centre_place;
    form.elements.service_centre_hours.value = c.service_centre_hours;
    form.elements.duty_phone.value = c.duty_phone;
    form.elements.duty_phone.placeholder = c.duty_phone ? "" : "未填写：使用公司值班电话 " + c.duty_phone_shown;
    $("#community-title").textContent = c.name;
    const link = $("#community-widget");
    link.href = "/c/" + c.slug;
    link.textContent = "业主入口 /c/" + c.slug;
    $("#community-agents").textContent = c.agents.length ? "服务客服：" + c.agents.join("、") : "尚无客服服务此小区（经理可见全部小区）";
  }

  function previewBubble(box, data) {
    clear(box);
    if (!data || !data.text) { box.hidden = true; return; }
    box.hidden = false;
    const head = el("div", "wy-header");
    head.appendChild(el("div", "wy-title", data.title));
    head.lastChild.appendChild(el("span", "wy-community", data.community));
    box.appendChild(head);
    const list = el("ol", "wy-list");
    const item = el("li", "wy-msg wy-bot");
    item.setAttribute("data-testid", "preview-message");
    item.appendChild(el("div", "wy-avatar", data.avatar));
    const body = el("div", "wy-body");
    body.appendChild(el("div", "wy-meta", data.meta + stamp(new Date(), "HH:mm")));
    body.appendChild(el("div", "wy-bubble", data.text)).setAttribute("data-testid", "preview-bubble");
    item.appendChild(body);
    list.appendChild(item);
    box.appendChild(list);
  }

  function showViolations(status, message, violations) {
    clear(status);
    status.className = "answer-status" + (message ? " bad" : "");
    if (!message) return;
    status.appendChild(el("div", "", message));
    const list = el("ul", "violations");
    (violations || []).forEach((v) => list.appendChild(el("li", "", "「" + v.phrase + "」→ 建议：" + v.suggestion)));
    if (list.children.length) status.appendChild(list);
  }

  function answerRow(communityId, answer) {
    const row = el("div", "answer");
    row.setAttribute("data-topic", answer.topic);
    const head = el("div", "answer-head");
    head.appendChild(el("strong", "", answer.label));
    const meta = head.appendChild(el("span", "answer-meta"));
    meta.setAttribute("data-testid", "answer-meta");
    const describeAnswer = (a) => {
      meta.textContent = a.text === null ? "未设置：业主会得到转人工答复" : "最后修改：" + (a.updated_by || "—") + " " + (a.updated_at ? stamp(a.updated_at, "YYYY-MM-DD HH:mm") : "");
    };
    describeAnswer(answer);
    row.appendChild(head);
    const text = el("textarea");
    text.value = answer.text || "";
    text.rows = 3;
    text.maxLength = 2000;
    text.setAttribute("data-testid", "answer-text");
    row.appendChild(text);
    // What else the answer covers in residents' words (底商 for 商铺): a question using one of them
    // is answered; a word the answer, a synonym and this list all miss gets the hand-over.
    const coversLabel = el("label", "answer-covers");
    coversLabel.appendChild(el("span", "", "也可回答（业主的其他说法，用“、”分隔）："));
    const covers = el("input");
    covers.type = "text";
    covers.value = (answer.covers || []).join("、");
    covers.placeholder = "例如：底商、门面";
    covers.setAttribute("data-testid", "answer-covers");
    coversLabel.appendChild(covers);
    row.appendChild(coversLabel);
    const tools = el("div", "answer-tools");
    const previewButton = button("预览", "answer-preview");
    const save = button("保存", "answer-save");
    tools.append(previewButton, save);
    row.appendChild(tools);
    const status = el("div", "answer-status");
    status.setAttribute("data-testid", "answer-status");
    status.setAttribute("role", "alert");
    row.appendChild(status);
    const box = el("div", "preview");
    box.setAttribute("data-testid", "answer-preview-box");
    box.hidden = true;
    row.appendChild(box);

    let timer = null;
    async function preview() {
      const res = await api("POST", "/api/admin/communities/" + communityId + "/preview", { text: text.value });
      if (!res.ok) { showViolations(status, failure(res, "预览失败"), []); return; }
      previewBubble(box, res.data);
      showViolations(status, res.data.ok ? "" : res.data.problem, res.data.violations);
    }
    text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(preview, PREVIEW_DELAY); });
    previewButton.addEventListener("click", preview);
    save.addEventListener("click", async () => {
      clearTimeout(timer);
      const res = await api("POST", "/api/admin/communities/" + communityId + "/answers/" + encodeURIComponent(answer.topic), { text: text.value, covers: covers.value });
      if (!res.ok) {
        showViolations(status, failure(res, "保存失败，请稍后再试"), res.data.violations);
        return;
      }
      const saved = res.data.answer;
      describeAnswer(saved);
      covers.value = (saved.covers || []).join("、");
      showViolations(status, "", []);
      status.textContent = !res.data.changed ? "内容没有变化" : saved.text === null ? "已清空：业主咨询此主题时将转人工答复" : "已保存，业主的下一条咨询即使用新答复";
      status.className = "answer-status ok";
      say("已保存「" + answer.label + "」的答复");
      await Promise.all([loadList(), loadChanges(communityId), changed()]);
    });
    return row;
  }

  async function loadChanges(id) {
    const res = await api("GET", "/api/admin/communities/" + id);
    if (!res.ok) return null;
    const rows = clear($("#community-changes"));
    res.data.changes.forEach((entry) => {
      const tr = el("tr");
      tr.setAttribute("data-action", entry.action);
      tr.appendChild(el("td", "", stamp(entry.at, "YYYY-MM-DD HH:mm:ss")));
      tr.appendChild(el("td", "", entry.actor));
      tr.appendChild(el("td", "", entry.label));
      tr.appendChild(el("td", "", entry.target));
      tr.appendChild(el("td", "change", describe(entry.before)));
      tr.appendChild(el("td", "change", describe(entry.after)));
      rows.appendChild(tr);
    });
    return res.data;
  }

  async function show(id) {
    current = id;
    document.querySelectorAll(".community-item").forEach((b) => b.setAttribute("aria-current", "false"));
    const data = await loadChanges(id);
    if (!data) { say("小区资料加载失败", true); return; }
    $("#community-detail").hidden = false;
    fillFacts(data.community);
    const answers = clear($("#community-answers"));
    data.answers.forEach((a) => answers.appendChild(answerRow(id, a)));
    document.querySelectorAll(".community-item").forEach((b) => {
      if (b.getAttribute("data-testid") === "community-" + data.community.slug) b.setAttribute("aria-current", "true");
    });
  }

  $("#community-facts").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    let buildings;
    try { buildings = parseBuildings(form.elements.buildings.value); } catch (error) { say(error.message, true); return; }
    const body = {
      name: form.elements.name.value, address: form.elements.address.value, buildings,
      service_centre_place: form.elements.service_centre_place.value, service_centre_hours: form.elements.service_centre_hours.value,
      duty_phone: form.elements.duty_phone.value,
    };
    const res = await api("POST", "/api/admin/communities/" + current, body);
    if (!res.ok) { say(failure(res, "保存失败，请稍后再试"), true); return; }
    say(res.data.changed.length ? "已保存小区资料" : "小区资料没有变化");
    await Promise.all([loadList(current), changed()]);
  });

  $("#community-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const res = await api("POST", "/api/admin/communities", { slug: form.elements.slug.value, name: form.elements.name.value });
    if (!res.ok) { say(failure(res, "新建失败，请稍后再试"), true); return; }
    form.reset();
    say("已新建小区「" + res.data.community.name + "」，请填写资料和各主题的答复");
    await Promise.all([loadList(res.data.community.id), changed()]);
  });

  return { load: () => loadList(current === null ? undefined : current) };
}
