// A community's buildings as the administration page reads and writes them (static/admin/buildings.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatBuildings, parseBuildings } from "../../bot/gateway/static/admin/buildings.js";

test("consecutive buildings with the same units are one range", () => {
  const twelve = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [String(i + 1), 3]));
  assert.equal(formatBuildings(twelve), "1-12:3");
  assert.equal(formatBuildings({ ...twelve, 13: 2, 15: 2 }), "1-12:3, 13:2, 15:2");
  assert.equal(formatBuildings({ 2: 1, 1: 4 }), "1:4, 2:1");
  assert.equal(formatBuildings({}), "");
});

test("the short form reads back to the record", () => {
  assert.deepEqual(parseBuildings("1-3:3，4:2"), { 1: 3, 2: 3, 3: 3, 4: 2 });
  assert.deepEqual(parseBuildings(" 5：1 "), { 5: 1 });
  assert.deepEqual(parseBuildings(""), {});
  const twelve = parseBuildings("1-12:3, 13:2");
  assert.equal(formatBuildings(twelve), "1-12:3, 13:2");
});

test("what cannot be read is refused with what to write", () => {
  assert.throws(() => parseBuildings("12栋"), /楼号:单元数/);
  assert.throws(() => parseBuildings("5-1:3"), /范围/);
});
