// Merging messages by id (bot/gateway/static/lib/timeline.js): once each, in id order.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Timeline } from "../../bot/gateway/static/lib/timeline.js";

test("new messages go to the end and the last id is what ?after= asks past", () => {
  const t = new Timeline();
  assert.equal(t.last, null);
  assert.deepEqual(t.add(3), { before: null });
  assert.deepEqual(t.add(7), { before: null });
  assert.equal(t.last, 7);
});

test("a message already shown is not drawn again (its echo and a resync)", () => {
  const t = new Timeline();
  t.add(10);
  t.add(11);
  assert.equal(t.add(10), null);
  assert.equal(t.add(11), null);
  assert.deepEqual(t.ids, [10, 11]);
  assert.ok(t.has(10) && !t.has(12));
});

test("a late message fills the gap before the next one", () => {
  const t = new Timeline();
  t.add(5);
  t.add(9); // arrived over the socket before the resync brought 6..8
  assert.deepEqual(t.add(7), { before: 9 });
  assert.deepEqual(t.add(6), { before: 7 });
  assert.deepEqual(t.add(8), { before: 9 });
  assert.deepEqual(t.add(1), { before: 5 });
  assert.deepEqual(t.ids, [1, 5, 6, 7, 8, 9]);
  assert.equal(t.last, 9);
});

test("a resync in any order gives one sorted list", () => {
  const t = new Timeline();
  const arrivals = [4, 2, 9, 2, 4, 1, 9, 3, 8, 1];
  const drawn = arrivals.filter((id) => t.add(id) !== null);
  assert.deepEqual(drawn, [4, 2, 9, 1, 3, 8]);
  assert.deepEqual(t.ids, [1, 2, 3, 4, 8, 9]);
});

test("something without an id goes to the end and is not remembered", () => {
  const t = new Timeline();
  t.add(2);
  assert.deepEqual(t.add(undefined), { before: null });
  assert.deepEqual(t.add("2"), { before: null });
  assert.deepEqual(t.ids, [2]);
  t.clear();
  assert.equal(t.last, null);
});
