/* The company's administration (/admin, manager role): accounts and roles, and the audit trail
 * of every change (bot/gateway/admin_routes.py). The rules (password length, roles, "not your own
 * account") are the server's (bot/gateway/agents.py): the page shows its refusals as they come.
 * All text via textContent (lib/el.js); calls through the desk's API (lib/desk.js: the session's
 * X-CSRF-Token; a session that ended reloads into the login form). */

import { byId as $, button, clear, el } from "./lib/el.js";
import { api, failure } from "./lib/desk.js";
import { stamp } from "./lib/time.js";
import { startTabs } from "./admin/tabs.js";
import { describe } from "./admin/audit.js";
import { startCommunities } from "./admin/communities.js";

let roles = [];
let you = null;
let communityNames = {};  // id → name, for the accounts' "服务小区"

function say(text, bad) {
  const notice = $("notice");
  notice.textContent = text;
  notice.className = "notice" + (bad ? " bad" : "");
}

function roleLabel(role) {
  const found = roles.find((r) => r.role === role);
  return found ? found.label : role;
}

function roleSelect(current, testid) {
  const select = el("select");
  if (testid) select.setAttribute("data-testid", testid);
  roles.forEach((r) => {
    const option = el("option", "", r.label);
    option.value = r.role;
    if (r.role === current) option.selected = true;
    select.appendChild(option);
  });
  return select;
}

async function post(path, body, done) {
  const res = await api("POST", path, body);
  if (!res.ok) {
    say(failure(res, "操作失败，请稍后再试"), true);
    return null;
  }
  say(done);
  await Promise.all([loadAccounts(), loadAudit()]);
  return res.data;
}

function showOneTime(name, password) {
  const box = $("one-time");
  clear(box);
  box.appendChild(el("span", "", "账号「" + name + "」的一次性密码："));
  box.appendChild(el("code", "", password)).setAttribute("data-testid", "one-time-value");
  box.appendChild(el("span", "", "（只显示这一次，请当面或电话转告本人；本人登录后即可使用）"));
  const ok = button("我已转告", "one-time-dismiss");
  ok.addEventListener("click", () => { clear(box); box.hidden = true; });
  box.appendChild(ok);
  box.hidden = false;
}

function resetRow(account, columns) {
  const row = el("tr", "reset-row");
  const cell = el("td");
  cell.colSpan = columns;
  const input = el("input");
  input.type = "password";
  input.autocomplete = "new-password";
  input.placeholder = "新密码（留空则生成一次性密码）";
  input.setAttribute("data-testid", "reset-password-input");
  const set = button("设置新密码", "reset-password-set");
  const generate = button("生成一次性密码", "reset-password-generate");
  const cancel = button("取消", "reset-password-cancel");
  set.addEventListener("click", async () => {
    if (!input.value) { say("请输入新密码，或选择生成一次性密码", true); return; }
    await post("/api/admin/accounts/" + account.id + "/password", { password: input.value }, "已为「" + account.name + "」设置新密码，其登录已全部退出");
  });
  generate.addEventListener("click", async () => {
    const data = await post("/api/admin/accounts/" + account.id + "/password", {}, "已为「" + account.name + "」生成一次性密码，其登录已全部退出");
    if (data && data.password) showOneTime(account.name, data.password);
  });
  cancel.addEventListener("click", () => row.remove());
  cell.append("重置「" + account.name + "」的密码：", input, set, generate, cancel);
  row.appendChild(cell);
  return row;
}

function servedCell(account) {
  const cell = el("td", "served");
  cell.setAttribute("data-testid", "served");
  const names = account.communities.map((id) => communityNames[id] || String(id));
  const shown = el("span", "", names.length ? names.join("、") : "（无）");
  if (account.role === "manager") shown.title = "经理可见全部小区";
  const edit = button("修改", "served-edit");
  edit.addEventListener("click", () => {
    clear(cell);
    const boxes = Object.keys(communityNames).map((id) => {
      const label = el("label", "check");
      const box = el("input");
      box.type = "checkbox";
      box.value = id;
      box.checked = account.communities.includes(Number(id));
      label.append(box, communityNames[id]);
      cell.appendChild(label);
      return box;
    });
    const save = button("保存", "served-save");
    save.addEventListener("click", () => post("/api/admin/accounts/" + account.id + "/communities",
      { communities: boxes.filter((b) => b.checked).map((b) => Number(b.value)) }, "已修改「" + account.name + "」服务的小区"));
    cell.appendChild(save);
  });
  cell.append(shown, edit);
  return cell;
}

function accountRow(account) {
  const mine = account.id === you;
  const tr = el("tr", account.active ? "" : "disabled");
  tr.setAttribute("data-account", account.name);
  tr.appendChild(el("td", "", account.name));

  const nameCell = el("td");
  const display = el("input");
  display.value = account.display_name;
  display.maxLength = 64;
  display.placeholder = "（同用户名）";
  display.setAttribute("data-testid", "display-name");
  const rename = button("保存", "rename");
  rename.addEventListener("click", () => post("/api/admin/accounts/" + account.id + "/display-name", { display_name: display.value }, "已修改「" + account.name + "」的显示名"));
  nameCell.append(display, rename);
  tr.appendChild(nameCell);

  const roleCell = el("td");
  if (mine) {
    roleCell.textContent = roleLabel(account.role);
  } else {
    const select = roleSelect(account.role, "role");
    select.addEventListener("change", () => post("/api/admin/accounts/" + account.id + "/role", { role: select.value }, "已将「" + account.name + "」改为" + roleLabel(select.value)));
    roleCell.appendChild(select);
  }
  tr.appendChild(roleCell);

  const status = el("td", "status", account.active ? "启用" : "已停用");
  status.setAttribute("data-testid", "status");
  if (!account.active && account.disabled_at) status.title = "停用于 " + stamp(account.disabled_at, "YYYY-MM-DD HH:mm");
  tr.appendChild(status);
  tr.appendChild(servedCell(account));
  tr.appendChild(el("td", "num", account.sessions)).setAttribute("data-testid", "sessions");
  tr.appendChild(el("td", "num", account.assigned_conversations)).setAttribute("data-testid", "assigned");

  const actions = el("td", "actions");
  if (mine) {
    actions.textContent = "当前登录账号";
  } else {
    const toggle = account.active ? button("停用", "disable") : button("启用", "enable");
    toggle.addEventListener("click", () => {
      if (account.active) {
        const held = account.assigned_conversations ? "，其处理中的" + account.assigned_conversations + "个会话需由其他客服接手" : "";
        if (!window.confirm("停用「" + account.name + "」？停用后无法登录，现有登录立即退出" + held + "。")) return;
        post("/api/admin/accounts/" + account.id + "/disable", {}, "已停用「" + account.name + "」，其登录已全部退出");
      } else {
        post("/api/admin/accounts/" + account.id + "/enable", {}, "已启用「" + account.name + "」");
      }
    });
    const reset = button("重置密码", "reset-password");
    reset.addEventListener("click", () => {
      document.querySelectorAll(".reset-row").forEach((r) => r.remove());
      tr.after(resetRow(account, tr.children.length + 1));
    });
    actions.append(toggle, reset);
  }
  tr.appendChild(actions);
  return tr;
}

async function loadAccounts() {
  const listed = await api("GET", "/api/admin/communities");
  if (listed.ok) communityNames = Object.fromEntries(listed.data.communities.map((c) => [c.id, c.name]));
  const res = await api("GET", "/api/admin/accounts");
  if (!res.ok) { say(failure(res, "账号列表加载失败"), true); return; }
  roles = res.data.roles;
  you = res.data.you;
  $("password-hint").textContent = "密码至少" + res.data.min_password_length + "个字符";
  const newRole = document.querySelector('[data-testid="new-role"]');
  if (!newRole.options.length) roles.forEach((r) => { const o = el("option", "", r.label); o.value = r.role; newRole.appendChild(o); });
  const rows = clear($("account-rows"));
  res.data.accounts.forEach((account) => rows.appendChild(accountRow(account)));
}

async function loadAudit() {
  const res = await api("GET", "/api/admin/audit?limit=200");
  if (!res.ok) return;
  const rows = clear($("audit-rows"));
  res.data.entries.forEach((entry) => {
    const tr = el("tr");
    tr.setAttribute("data-action", entry.action);
    tr.setAttribute("data-target", entry.target);
    tr.appendChild(el("td", "", stamp(entry.at, "YYYY-MM-DD HH:mm:ss")));
    tr.appendChild(el("td", "", entry.actor));
    tr.appendChild(el("td", "", entry.label));
    tr.appendChild(el("td", "", entry.target));
    tr.appendChild(el("td", "change", describe(entry.before)));
    tr.appendChild(el("td", "change", describe(entry.after)));
    rows.appendChild(tr);
  });
}

$("create-account").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = document.querySelector('[data-testid="create-error"]');
  error.textContent = "";
  const body = { name: form.elements.name.value, display_name: form.elements.display_name.value, role: form.elements.role.value, password: form.elements.password.value };
  const res = await api("POST", "/api/admin/accounts", body);
  if (!res.ok) { error.textContent = failure(res, "创建失败，请稍后再试"); return; }
  form.reset();
  say("已创建" + roleLabel(res.data.account.role) + "账号「" + res.data.account.name + "」");
  await Promise.all([loadAccounts(), loadAudit()]);
});

$("logout").addEventListener("click", () => api("POST", "/api/agent/logout").then(() => location.reload()));
const communities = startCommunities({ say, changed: loadAudit });
startTabs({ audit: loadAudit, communities: communities.load, accounts: loadAccounts });
loadAccounts();
loadAudit();
