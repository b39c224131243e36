// The chat's callback (回访) card (bot/gateway/static/widget/callback.js): one card right under its
// question however the messages arrive, none once the answer is stored, the answer posted as the
// server expects it, refusals shown with the server's sentence.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { installDocument } from "./dom_shim.mjs";

const TEXT = {
  callbackTitle: "服务回访",
  callbackResolvedQuestion: "问题解决了吗？",
  callbackResolved: "已解决",
  callbackUnresolved: "未解决",
  callbackLevelQuestion: "您对处理结果满意吗？",
  callbackRemark: "您的意见",
  callbackSubmit: "提交",
  callbackFailed: "提交失败，请稍后再试",
};
const LEVELS = ["非常满意", "满意", "一般", "不满意", "很不满意"];

let el;
let callbackCards;
before(async () => {
  installDocument();
  ({ el } = await import("../../bot/gateway/static/lib/el.js"));
  ({ callbackCards } = await import("../../bot/gateway/static/widget/callback.js"));
});

function find(node, testid) {
  const found = [];
  (function walk(n) {
    if (n.getAttribute && n.getAttribute("data-testid") === testid) found.push(n);
    n.children.forEach(walk);
  })(node);
  return found;
}

function chat(reply = { ok: true, status: 200, data: {} }) {
  const list = el("ol");
  const posted = [];
  const rendered = [];
  const notices = [];
  const cards = callbackCards({
    text: TEXT,
    levels: LEVELS,
    api: (method, path, body) => {
      posted.push({ method, path, body });
      return Promise.resolve(typeof reply === "function" ? reply(body) : reply);
    },
    render: (m) => rendered.push(m),
    notice: (t) => notices.push(t),
  });
  return { list, cards, posted, rendered, notices };
}

const question = { id: 41, role: "bot", text: "请问您反映的问题是否已经解决？", callback: { id: 7, ticket: "TS-1", kind: "complaint", attempt: 1 } };
const answer = { id: 45, role: "system", event: "callback_answered", text: "感谢您的评价", callback: { id: 7, ticket: "TS-1" } };

test("the card sits right under its question, once", () => {
  const { list, cards } = chat();
  const q = list.appendChild(el("li", "", question.text));
  const later = list.appendChild(el("li", "", "later"));
  cards.message(question, q);
  cards.message(question, q); // a resync brings it again
  assert.equal(list.children.length, 3);
  assert.equal(list.children[1].getAttribute("data-testid"), "callback-card");
  assert.equal(list.children[1].getAttribute("data-callback"), "7");
  assert.equal(list.children[2], later);
  assert.match(list.children[1].textContent, /服务回访 · TS-1/);
  assert.equal(find(list, "callback-level").length, LEVELS.length);
});

test("the stored answer removes the card; an answer seen first means no card", () => {
  const { list, cards } = chat();
  const q = list.appendChild(el("li"));
  cards.message(question, q);
  cards.message(answer, list.appendChild(el("li")));
  assert.equal(find(list, "callback-card").length, 0);

  const other = chat();
  const a = other.list.appendChild(el("li"));
  other.cards.message(answer, a);
  other.cards.message(question, other.list.insertBefore(el("li"), a)); // the question filled in later
  assert.equal(find(other.list, "callback-card").length, 0);
});

test("messages without a callback, and callbacks from anyone but the bot, draw nothing", () => {
  const { list, cards } = chat();
  const node = list.appendChild(el("li"));
  cards.message({ id: 1, role: "bot", text: "您好" }, node);
  cards.message({ id: 2, role: "resident", text: "x", callback: { id: 9, ticket: "T" } }, node);
  cards.message({ id: 3, role: "bot", callback: { id: "9" } }, node);
  assert.equal(list.children.length, 1);
});

test("submit waits for both answers and posts them with the remark", async () => {
  const stored = { ...answer };
  const { list, cards, posted, rendered } = chat({ ok: true, status: 200, data: { message: stored } });
  cards.message(question, list.appendChild(el("li")));
  const [submit] = find(list, "callback-submit");
  assert.equal(submit.disabled, true);
  find(list, "callback-resolved").find((b) => b.getAttribute("data-value") === "no").dispatch("click");
  assert.equal(submit.disabled, true);
  const level = find(list, "callback-level").find((b) => b.getAttribute("data-level") === "很不满意");
  level.dispatch("click");
  assert.equal(level.getAttribute("aria-pressed"), "true");
  assert.equal(submit.disabled, false);
  find(list, "callback-remark")[0].value = "晚上还是很吵";
  submit.dispatch("click");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(posted, [{ method: "POST", path: "/api/resident/callback", body: { callback: 7, resolved: false, level: "很不满意", remark: "晚上还是很吵" } }]);
  assert.deepEqual(rendered, [stored]); // the chat draws it, which removes the card
});

test("a refusal shows the server's sentence; answered elsewhere (409) removes the card", async () => {
  const { list, cards, notices } = chat({ ok: false, status: 409, data: { error: "这次回访您已经答复过了" } });
  cards.message(question, list.appendChild(el("li")));
  find(list, "callback-resolved")[0].dispatch("click");
  find(list, "callback-level")[0].dispatch("click");
  find(list, "callback-submit")[0].dispatch("click");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(notices, ["这次回访您已经答复过了"]);
  assert.equal(find(list, "callback-card").length, 0);

  const offline = chat({ ok: false, status: 0, data: {} });
  offline.cards.message(question, offline.list.appendChild(el("li")));
  find(offline.list, "callback-resolved")[0].dispatch("click");
  find(offline.list, "callback-level")[0].dispatch("click");
  const [submit] = find(offline.list, "callback-submit");
  submit.dispatch("click");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(offline.notices, [TEXT.callbackFailed]);
  assert.equal(submit.disabled, false); // kept, to try again
});
