// The pages' HTTP calls (bot/gateway/static/lib/api.js): JSON, headers, polite failures.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createApi, problem } from "../../bot/gateway/static/lib/api.js";

function reply(status, body, { json = true } = {}) {
  return {
    ok: status >= 200 && status < 300,
    status,
    json: async () => {
      if (!json) throw new SyntaxError("Unexpected token <");
      return body;
    },
  };
}

function recorder(answer) {
  const calls = [];
  const fetch = async (url, options) => {
    calls.push({ url, options });
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { calls, fetch };
}

test("JSON bodies with the page's headers, on the page's base", async () => {
  const { calls, fetch } = recorder(reply(200, { ok: true, id: 3 }));
  const api = createApi({ base: "http://gw", headers: () => ({ "X-CSRF-Token": "t0k" }), fetch });
  const res = await api("POST", "/api/agent/check", { text: "您好" });
  assert.deepEqual(res, { ok: true, status: 200, data: { ok: true, id: 3 } });
  assert.equal(calls[0].url, "http://gw/api/agent/check");
  assert.equal(calls[0].options.method, "POST");
  assert.equal(calls[0].options.credentials, "same-origin");
  assert.deepEqual(calls[0].options.headers, { "X-CSRF-Token": "t0k", "Content-Type": "application/json" });
  assert.equal(calls[0].options.body, '{"text":"您好"}');
});

test("a GET has no body; a photo (Blob) goes as it is with its own content type", async () => {
  const { calls, fetch } = recorder(reply(200, { message: { id: 1 } }));
  const api = createApi({ headers: () => ({ Authorization: "Bearer abc" }), fetch });
  await api("GET", "/api/resident/history?after=5");
  assert.equal(calls[0].options.body, undefined);
  const photo = new Blob([new Uint8Array([0x89, 0x50])], { type: "image/png" });
  await api("POST", "/api/resident/attachments?client_id=x", photo, { "Content-Type": "image/png" });
  assert.equal(calls[1].options.body, photo);
  assert.deepEqual(calls[1].options.headers, { Authorization: "Bearer abc", "Content-Type": "image/png" });
});

test("a lost connection never rejects: status 0, and the page's sentence for it", async () => {
  const api = createApi({ fetch: recorder(new TypeError("Failed to fetch")).fetch });
  const res = await api("GET", "/api/agent/queue");
  assert.deepEqual(res, { ok: false, status: 0, data: {} });
  assert.equal(problem(res, "加载失败", "网络异常"), "网络异常");
});

test("the server's polite error is shown; an error page that is not JSON gets the page's sentence", async () => {
  const refused = await createApi({ fetch: recorder(reply(409, { error: "这个会话已被其他客服接入" })).fetch })("POST", "/claim");
  assert.equal(problem(refused, "接入失败"), "这个会话已被其他客服接入");
  const proxy = await createApi({ fetch: recorder(reply(502, null, { json: false })).fetch })("GET", "/x");
  assert.deepEqual(proxy, { ok: false, status: 502, data: {} });
  assert.equal(problem(proxy, "加载失败", "网络异常"), "加载失败");
  const odd = await createApi({ fetch: recorder(reply(500, ["not", "an", "object"])).fetch })("GET", "/x");
  assert.deepEqual(odd.data, {});
});

test("a 401 tells the page (the desks reload into the login form)", async () => {
  let told = 0;
  const api = createApi({ onUnauthorized: () => { told += 1; }, fetch: recorder(reply(401, { error: "请先登录" })).fetch });
  const res = await api("GET", "/api/agent/queue");
  assert.equal(told, 1);
  assert.equal(res.status, 401);
  await createApi({ fetch: recorder(reply(401, {})).fetch })("GET", "/x"); // no hook: nothing to call
});
