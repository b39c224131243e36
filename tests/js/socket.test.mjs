// The pages' one WebSocket (bot/gateway/static/lib/socket.js) on the vendored partysocket, against
// a stand-in WebSocket and Node's mock timers: the waits are the back-off policy's, a retry-now
// skips a wait, frames are parsed, the page hears online / offline / reopened.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { ceiling } from "../../bot/gateway/static/lib/backoff.js";
import { OPTIONS, openSocket, socketUrl } from "../../bot/gateway/static/lib/socket.js";

class StandInSocket extends EventTarget {
  static made = [];
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    StandInSocket.made.push(this);
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = "") {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason }));
  }
  // what the server or the network does
  accept() {
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
  }
  refuse() {
    this.readyState = 3;
    this.dispatchEvent(new Event("error"));
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason: "" }));
  }
  deliver(data) {
    this.dispatchEvent(Object.assign(new Event("message"), { data }));
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const latest = () => StandInSocket.made[StandInSocket.made.length - 1];

function open(t, extra = {}) {
  const log = [];
  const socket = openSocket({
    url: "ws://gw/ws/agent",
    WebSocket: StandInSocket,
    random: () => 0, // the shortest wait of each step: half the ceiling
    onOpen: (state) => log.push(["open", state.first, state.connection]),
    onOffline: () => log.push(["offline"]),
    onClose: (event) => log.push(["close", event.code]),
    onFrame: (frame) => log.push(["frame", frame]),
    ...extra,
  });
  t.after(() => socket.close());
  return { socket, log };
}

/** Advance the mocked clock by `ms` and let the promises behind it run. */
async function wait(t, ms) {
  t.mock.timers.tick(ms);
  await settle();
  await settle();
}

beforeEach(() => {
  StandInSocket.made = [];
});

test("nothing is queued by the library: the widget has its own outbox", () => {
  assert.deepEqual(OPTIONS, { minUptime: 5000, connectionTimeout: 4000, maxEnqueuedMessages: 0 });
});

test("connects at once, parses frames, sends only while open", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { socket, log } = open(t);
  await wait(t, 0);
  assert.equal(StandInSocket.made.length, 1);
  assert.equal(latest().url, "ws://gw/ws/agent");
  assert.equal(socket.send({ type: "message" }), false);
  latest().accept();
  assert.equal(socket.online, true);
  assert.equal(socket.send({ type: "message", text: "您好", client_id: "c1" }), true);
  assert.deepEqual(latest().sent, [{ type: "message", text: "您好", client_id: "c1" }]);
  latest().deliver('{"type":"queue","pending":[]}');
  latest().deliver("not json");
  latest().deliver("42");
  assert.deepEqual(log, [["open", true, 1], ["frame", { type: "queue", pending: [] }]]);
});

test("after a drop the waits follow the back-off policy, and a reopen is not the first", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { socket, log } = open(t);
  await wait(t, 0);
  latest().accept();
  await wait(t, OPTIONS.minUptime); // stayed up: the back-off starts from the beginning
  latest().drop();
  assert.equal(socket.online, false);
  assert.deepEqual(log.slice(-2), [["close", 1006], ["offline"]]);
  for (let retry = 1; retry <= 7; retry += 1) {
    const made = StandInSocket.made.length;
    await wait(t, ceiling(retry) / 2 - 1);
    assert.equal(StandInSocket.made.length, made, `retry ${retry} came early`);
    await wait(t, 1);
    assert.equal(StandInSocket.made.length, made + 1, `retry ${retry} did not come after ${ceiling(retry) / 2} ms`);
    latest().refuse();
  }
  assert.equal(ceiling(7) / 2, 15000); // capped: 30 s at most, half of it with this draw
  await wait(t, 15000);
  latest().accept();
  assert.deepEqual(log[log.length - 1], ["open", false, 2]);
  assert.equal(socket.connection, 2);
});

test("a connection that drops before minUptime does not reset the back-off", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  open(t);
  await wait(t, 0);
  latest().accept();
  latest().drop(); // at once: the gateway accepts and drops
  await wait(t, 500);
  assert.equal(StandInSocket.made.length, 2); // retry 1: 500 ms
  latest().accept();
  latest().drop();
  await wait(t, 500);
  assert.equal(StandInSocket.made.length, 2); // retry 2 waits 1000 ms, not 500 again
  await wait(t, 500);
  assert.equal(StandInSocket.made.length, 3);
});

test("retry now skips a long wait and starts the back-off over", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { socket } = open(t);
  await wait(t, 0);
  for (let retry = 1; retry <= 5; retry += 1) {
    latest().refuse();
    await wait(t, ceiling(retry) / 2);
  }
  latest().refuse(); // now waiting 16 s (retry 6 at half)
  const made = StandInSocket.made.length;
  socket.retryNow();
  await wait(t, 0);
  assert.equal(StandInSocket.made.length, made + 1);
  latest().refuse();
  await wait(t, 500); // the next failure waits ~1 s again, not 30 s
  assert.equal(StandInSocket.made.length, made + 2);
});

test("the browser's offline event pauses, its online event reconnects at once", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const network = new EventTarget();
  const { socket, log } = open(t, { network });
  await wait(t, 0);
  latest().accept();
  network.dispatchEvent(new Event("offline"));
  assert.equal(socket.online, false);
  assert.equal(log[log.length - 1][0], "offline");
  await wait(t, 60000);
  assert.equal(StandInSocket.made.length, 1); // paused: no attempts while offline
  network.dispatchEvent(new Event("online"));
  await wait(t, 0);
  assert.equal(StandInSocket.made.length, 2);
  latest().accept();
  assert.deepEqual(log[log.length - 1], ["open", false, 2]);
});

test("the URL may be fetched first (the widget's session), and a close code reaches the page", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let sessions = 0;
  const { log } = open(t, { url: () => Promise.resolve(`ws://gw/ws/resident?token=t${++sessions}`) });
  await wait(t, 0);
  assert.equal(latest().url, "ws://gw/ws/resident?token=t1");
  latest().accept();
  latest().drop(4401);
  assert.deepEqual(log.slice(-2), [["close", 4401], ["offline"]]);
  await wait(t, 500);
  assert.equal(latest().url, "ws://gw/ws/resident?token=t2");
});

test("socket URLs follow the page's scheme", () => {
  assert.equal(socketUrl("http://127.0.0.1:8000/agent", "/ws/agent"), "ws://127.0.0.1:8000/ws/agent");
  assert.equal(socketUrl("https://wuye.example/", "/ws/resident?token=a.b"), "wss://wuye.example/ws/resident?token=a.b");
});
