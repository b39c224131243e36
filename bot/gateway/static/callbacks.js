/* The console's 回访 list: due (and waiting for the resident's answer in the chat), overdue in red,
 * done. An agent claims a due callback (atomic on the server: of two agents one gets it), calls or
 * visits, then records the method, whether it is fixed, the level and a remark.
 *
 * console.js starts it and hands it the socket's frames: a "callbacks" frame reloads the list, a
 * "callback_alert" frame (a resident was unhappy) shows a red banner and opens the list; after a
 * reconnect the console reloads it too (frames sent while the socket was down are not replayed).
 * What the account may do comes from the server ("capabilities"); all text through textContent
 * (lib/el.js), every call through the desk's API (lib/desk.js). */

import { button, byId as $, clear, el } from "./lib/el.js";
import { api, failure } from "./lib/desk.js";
import { stamp } from "./lib/time.js";

const KIND = { complaint: "投诉", repair: "报修" };
const STATE = { due: "待回访", awaiting: "等待业主在线答复", overdue: "已逾期", done: "已完成" };
const RELOAD_MS = 60000; // states move with time (due → overdue) even without a frame
let choices = { methods: [], levels: [] };

function when(iso) {
  return stamp(iso, "MM-DD HH:mm");
}

function select(testid, options) {
  const node = el("select");
  node.setAttribute("data-testid", testid);
  options.forEach((o) => node.appendChild(new Option(o.label, o.value)));
  return node;
}

function recordForm(item, message) {
  const form = el("form");
  form.setAttribute("data-testid", "callback-record");
  const method = select("callback-method", choices.methods);
  const resolved = select("callback-resolved", [{ value: "yes", label: "问题已解决" }, { value: "no", label: "问题未解决" }]);
  const level = select("callback-level", choices.levels.map((l) => ({ value: l, label: l })));
  const remark = el("input");
  remark.type = "text";
  remark.maxLength = 500;
  remark.placeholder = "业主意见、不足与建议";
  remark.setAttribute("data-testid", "callback-remark");
  const save = el("button", "primary", "保存回访记录");
  save.type = "submit";
  save.setAttribute("data-testid", "callback-save");
  [method, resolved, level, remark, save].forEach((node) => form.appendChild(node));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save.disabled = true;
    const body = { method: method.value, resolved: resolved.value === "yes", level: level.value, remark: remark.value };
    api("POST", "/api/agent/callbacks/" + item.id + "/record", body).then((res) => {
      save.disabled = false;
      if (res.ok) load();
      else message.textContent = failure(res, "保存失败");
    });
  });
  return form;
}

function row(item) {
  const li = el("li", "callback");
  li.setAttribute("data-testid", "callback-item");
  li.setAttribute("data-callback", String(item.id));
  li.setAttribute("data-ticket", item.ticket);
  li.setAttribute("data-state", item.state);
  const head = el("div", "head");
  head.appendChild(el("span", "tag", KIND[item.kind] || item.kind));
  if (item.assignee_role === "manager") head.appendChild(el("span", "tag manager", "经理回访"));
  head.appendChild(el("strong", "", item.ticket));
  head.appendChild(el("span", "", "第" + item.attempt + "次回访 · " + (STATE[item.state] || item.state)));
  li.appendChild(head);
  li.appendChild(el("div", "", (item.description || "").slice(0, 80)));
  li.appendChild(el("div", "", "联系人：" + (item.contact_name || "—") + " " + (item.contact_phone || "") + "  地址：" + (item.address || "—")));
  const claimedBy = item.claimed_by && item.state !== "done" ? "  领取人：" + item.claimed_by : "";
  li.appendChild(el("div", "", "回访期限：" + when(item.due_from) + " 至 " + when(item.due_by) + claimedBy));
  if (item.state === "done") {
    const who = item.done_by === "resident" ? "业主在线答复" : item.done_by;
    const remark = item.remark ? "。" + item.remark : "";
    li.appendChild(el("div", "", (item.method_label || "") + "：" + (item.resolved ? "已解决" : "未解决") + "，" + item.level + remark + "（" + who + "）"));
  }
  const message = el("div", "error");
  if (item.capabilities.claim) {
    const claim = button("领取回访", "callback-claim", "primary");
    claim.addEventListener("click", () => {
      api("POST", "/api/agent/callbacks/" + item.id + "/claim").then((res) => {
        if (res.ok) load();
        else message.textContent = failure(res, "领取失败");
      });
    });
    li.appendChild(claim);
  }
  if (item.capabilities.record) li.appendChild(recordForm(item, message));
  li.appendChild(message);
  return li;
}

function render(list) {
  const lists = { due: $("callbacks-due"), overdue: $("callbacks-overdue"), done: $("callbacks-done") };
  Object.values(lists).forEach(clear);
  list.forEach((item) => lists[item.state === "awaiting" ? "due" : item.state].appendChild(row(item)));
  $("callback-count").textContent = String(list.filter((i) => i.state !== "done").length);
}

/** Reload the list (and the methods and levels the record form offers). */
export function load() {
  return api("GET", "/api/agent/callbacks").then((res) => {
    if (!res.ok) return;
    choices = { methods: res.data.methods, levels: res.data.levels };
    render(res.data.callbacks);
  });
}

function alarm(frame) {
  const banner = $("callback-alert");
  const ticket = frame.follow_up_ticket || frame.ticket;
  banner.textContent = "业主回访不满意：工单 " + ticket + "（" + (frame.resolved ? "已解决" : "未解决") + "，" + frame.level + "），已重新处理并安排经理再次回访";
  banner.hidden = false;
  showPane("callbacks-pane");
  document.title = "【回访不满意】客服工作台";
}

/** A socket frame for the list; false when it is not one of ours. */
export function onFrame(frame) {
  if (frame.type === "callbacks") load();
  else if (frame.type === "callback_alert") { alarm(frame); load(); }
  else return false;
  return true;
}

let showPane = (id) => { $(id).hidden = false; };

/** The console's 「回访」 view tab shows the pane (``show``: the console's view switch, which calls
 * ``load`` when it opens this view); the list loads now and every minute. */
export function start(show) {
  if (show) showPane = show;
  load();
  setInterval(load, RELOAD_MS);
}
