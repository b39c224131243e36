// The one reconnect policy (bot/gateway/static/lib/backoff.js): 1 s doubling to 30 s, jittered.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BASE_MS, CAP_MS, ceiling, delay } from "../../bot/gateway/static/lib/backoff.js";

test("the first connection waits for nothing, then 1 s doubling to a 30 s cap", () => {
  assert.equal(BASE_MS, 1000);
  assert.equal(CAP_MS, 30000);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 50, 5000].map((retry) => ceiling(retry)), [0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.equal(delay(0, () => 0.99), 0);
});

test("jitter keeps every wait between half the ceiling and the ceiling", () => {
  for (let retry = 1; retry <= 12; retry += 1) {
    const top = ceiling(retry);
    assert.equal(delay(retry, () => 0), top / 2);
    assert.equal(delay(retry, () => 0.999999), top);
    for (let i = 0; i < 200; i += 1) {
      const wait = delay(retry);
      assert.ok(wait >= top / 2 && wait <= top, `retry ${retry}: ${wait} outside [${top / 2}, ${top}]`);
    }
  }
});

test("jitter spreads reconnecting clients out", () => {
  const waits = new Set(Array.from({ length: 100 }, () => delay(5)));
  assert.ok(waits.size > 50, `only ${waits.size} distinct waits out of 100`);
});

test("nonsense retry counts are a first connection, and huge ones stay at the cap", () => {
  for (const retry of [-1, NaN, undefined, null]) assert.equal(ceiling(retry), 0);
  assert.equal(ceiling(1e9), CAP_MS);
});
