// The widget's outbox (bot/gateway/static/lib/outbox.js): matched to the server's echo by client id.
import assert from "node:assert/strict";
import { test } from "node:test";
import { webcrypto } from "node:crypto";

import { newClientId, Outbox } from "../../bot/gateway/static/lib/outbox.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function memoryStorage(initial = {}) {
  const data = { ...initial };
  return { data, getItem: (k) => (k in data ? data[k] : null), setItem: (k, v) => { data[k] = String(v); } };
}

function counter() {
  let n = 0;
  return () => `id-${++n}`;
}

test("client ids are UUIDs, with or without crypto.randomUUID (plain http has only getRandomValues)", () => {
  assert.match(newClientId(webcrypto), UUID);
  const insecure = { getRandomValues: (array) => webcrypto.getRandomValues(array) };
  const ids = new Set(Array.from({ length: 50 }, () => newClientId(insecure)));
  assert.equal(ids.size, 50);
  for (const id of ids) assert.match(id, UUID);
});

test("the echo settles the entry with its client id, not the first one with the same text", () => {
  const box = new Outbox({ storage: memoryStorage(), newId: counter() });
  const first = box.add("楼道灯不亮");
  const second = box.add("楼道灯不亮");
  assert.deepEqual([first.client_id, second.client_id], ["id-1", "id-2"]);
  assert.equal(box.settle("id-2"), second);
  assert.deepEqual(box.entries, [first]);
  assert.equal(box.settle("id-2"), null); // a second echo of the same message
  assert.equal(box.settle(null), null); // another tab's message, or a server without client ids
  assert.equal(box.settle("id-1"), first);
  assert.equal(box.size, 0);
});

test("a refused message is given back by client id, by text only when the server names no id", () => {
  const box = new Outbox({ newId: counter() });
  const a = box.add("第一条");
  const b = box.add("第二条");
  const c = box.add("第二条");
  assert.equal(box.giveBack("id-3", "第二条"), c);
  assert.equal(box.giveBack(undefined, "第二条"), b);
  assert.equal(box.giveBack("no-such", "第一条"), null);
  assert.deepEqual(box.entries, [a]);
});

test("the outbox survives a reload: ids, texts and button payloads, nothing of the page's own", () => {
  const storage = memoryStorage();
  const box = new Outbox({ storage, key: "k", newId: counter() });
  const entry = box.add("确认", "/affirm");
  entry.node = { fake: "DOM node" };
  entry.sentOn = 3;
  box.save();
  assert.deepEqual(JSON.parse(storage.data.k), [{ client_id: "id-1", text: "确认", payload: "/affirm" }]);
  const again = new Outbox({ storage, key: "k", newId: () => "unused" });
  assert.deepEqual(again.entries, [{ client_id: "id-1", text: "确认", payload: "/affirm" }]);
});

test("entries an older widget saved get a client id once; junk in storage is dropped", () => {
  const storage = memoryStorage({ k: JSON.stringify([{ text: "旧版留言", payload: null }, { text: "" }, 7, null, { client_id: "bad id!", text: "坏编号" }]) });
  const box = new Outbox({ storage, key: "k", newId: counter() });
  assert.deepEqual(box.entries.map((e) => [e.client_id, e.text]), [["id-1", "旧版留言"], ["id-2", "坏编号"]]);
  assert.deepEqual(new Outbox({ storage: memoryStorage({ k: "{not json" }), key: "k" }).entries, []);
  assert.deepEqual(new Outbox({ storage: memoryStorage({ k: '{"text": "x"}' }), key: "k" }).entries, []);
});

test("a storage that throws (private mode) keeps the outbox in the page", () => {
  const broken = { getItem: () => { throw new Error("denied"); }, setItem: () => { throw new Error("denied"); } };
  const box = new Outbox({ storage: broken, newId: counter() });
  box.add("留言");
  assert.equal(box.size, 1);
});

test("each connection sends what it has not sent yet; the limit holds while offline", () => {
  const box = new Outbox({ limit: 2, newId: counter() });
  const a = box.add("一");
  const b = box.add("二");
  assert.ok(box.full());
  a.sentOn = 1;
  assert.deepEqual(box.unsent(1), [b]);
  assert.deepEqual(box.unsent(2), [a, b]); // after a reconnect: both again (the server stores each once)
});
