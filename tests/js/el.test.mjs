// DOM building (bot/gateway/static/lib/el.js): texts go in through textContent, never as markup.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { installDocument } from "./dom_shim.mjs";

let lib;
let document;
before(async () => {
  document = installDocument();
  lib = await import("../../bot/gateway/static/lib/el.js");
});

test("a resident's markup is shown as written, never parsed", () => {
  const hostile = '<img src=x onerror="alert(1)">家里漏水了</b>';
  const node = lib.el("div", "wy-bubble", hostile);
  assert.equal(node.tagName, "DIV");
  assert.equal(node.className, "wy-bubble");
  assert.equal(node.textContent, hostile);
  assert.equal(node.children.length, 0); // one text, no elements made from it
});

test("no text leaves the node empty; numbers become text", () => {
  assert.equal(lib.el("li").textContent, "");
  assert.equal(lib.el("li", "", null).textContent, "");
  assert.equal(lib.el("li", "", 0).textContent, "0");
  assert.equal(lib.el("li", "", "").textContent, "");
});

test("buttons never submit their form and carry their test id", () => {
  const b = lib.button("接入", "claim", "primary");
  assert.equal(b.type, "button");
  assert.equal(b.getAttribute("data-testid"), "claim");
  assert.equal(b.className, "primary");
  assert.equal(lib.button("查看").getAttribute("data-testid"), null);
});

test("clear empties through textContent, detach takes a node out", () => {
  const list = lib.el("ol");
  const item = list.appendChild(lib.el("li", "", "一"));
  list.appendChild(lib.el("li", "", "二"));
  lib.detach(item);
  assert.equal(list.children.length, 1);
  lib.detach(item); // twice is harmless
  lib.detach(null);
  lib.clear(list);
  assert.equal(list.children.length, 0);
  assert.equal(lib.byId("missing"), null);
  const known = document.register("queue", lib.el("ul"));
  assert.equal(lib.byId("queue"), known);
});

test("the shim itself refuses markup, so the tests above would catch it", () => {
  assert.throws(() => { lib.el("div").innerHTML = "<b>x</b>"; }, /innerHTML/);
});
