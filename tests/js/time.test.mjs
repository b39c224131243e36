// Dates as the pages show them (bot/gateway/static/lib/time.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { stamp } from "../../bot/gateway/static/lib/time.js";

test("the three patterns of the pages, in local time", () => {
  const d = new Date(2026, 11, 3, 9, 5, 7);
  assert.equal(stamp(d, "MM-DD HH:mm"), "12-03 09:05");
  assert.equal(stamp(d, "HH:mm:ss"), "09:05:07");
  assert.equal(stamp(d, "YYYY-MM-DD HH:mm"), "2026-12-03 09:05");
  assert.equal(stamp(d.toISOString(), "HH:mm:ss"), "09:05:07");
  assert.match(stamp(undefined, "HH:mm"), /^\d\d:\d\d$/);
});
