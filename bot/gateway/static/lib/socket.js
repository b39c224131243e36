/* The pages' one WebSocket: partysocket's reconnecting WebSocket (vendor/partysocket/ws.js,
 * pinned, see vendor/README.md) with the one back-off policy of backoff.js in place of its own
 * (which has no jitter), frames parsed as JSON, and the page told when it is online, offline, or
 * open again — the moment to ask for what it missed (the widget's history after its last id, the
 * console's open conversation).
 *
 * The connection counts as reset (the back-off starts over) only after it stayed open for
 * `minUptime`, so a gateway that accepts and drops at once is not hammered. The browser's
 * `offline` event pauses the socket and its `online` event retries at once; so does `retryNow()`
 * (the widget's 「立即重试」). Nothing is queued here: the widget has its own outbox. */

import ReconnectingWebSocket from "../vendor/partysocket/ws.js";
import { delay } from "./backoff.js";

export const OPTIONS = { minUptime: 5000, connectionTimeout: 4000, maxEnqueuedMessages: 0 };

/** partysocket computes each wait in `_getNextDelay()` from its retry count (0 for the first
 * connection) and waits in `_wait()`: the hooks for our policy and for skipping a wait in
 * progress, which its own `reconnect()` cannot do (it returns while a wait holds its lock).
 * tests/js/socket.test.mjs fails if a new version stops calling them. */
export class PolicySocket extends ReconnectingWebSocket {
  _getNextDelay() {
    return delay(this._retryCount, this._options.random || Math.random);
  }

  _wait() {
    return new Promise((resolve) => {
      const done = () => {
        this._waiting = null;
        resolve();
      };
      this._waiting = { timer: setTimeout(done, this._getNextDelay()), done };
    });
  }

  /** Connect now: end a back-off wait in progress, or reconnect; the back-off starts over. */
  retryNow() {
    const waiting = this._waiting;
    this._closeCalled = false;
    this._shouldReconnect = true;
    if (!waiting) {
      this.reconnect();
      return;
    }
    clearTimeout(waiting.timer);
    this._retryCount = 0; // the attempt now counts as a first one; a failure waits ~1 s again
    waiting.done();
  }
}

/**
 * `url`: a string or a function returning one (or a promise of one; the widget fetches its session
 * first). `onOpen({first, connection})` after every open (`connection` counts them: 1, 2, …);
 * `onOffline(event)` after a failed attempt, a drop or the browser going offline (more than once
 * per outage: it is idempotent for the pages); `onClose(event)` with the close code; `onFrame(frame)`
 * for every JSON object received. `network`: the window whose online/offline events to follow.
 * `WebSocket` and `random` are for tests.
 */
export function openSocket({ url, onOpen, onOffline, onClose, onFrame, network = null, WebSocket = undefined, random = undefined }) {
  const socket = new PolicySocket(url, undefined, { ...OPTIONS, WebSocket, random });
  let opened = 0;
  let up = false;

  function down(event) {
    up = false;
    if (onOffline) onOffline(event);
  }

  socket.addEventListener("open", () => {
    opened += 1;
    up = true;
    if (onOpen) onOpen({ first: opened === 1, connection: opened });
  });
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (frame && typeof frame === "object" && onFrame) onFrame(frame);
  });
  socket.addEventListener("close", (event) => {
    if (onClose) onClose(event);
    down(event);
  });
  socket.addEventListener("error", (event) => down(event));

  const handle = {
    /** Open now (frames sent now arrive). */
    get online() {
      return up && socket.readyState === 1;
    },
    /** How many times the socket opened so far: the current connection's number. */
    get connection() {
      return opened;
    },
    /** Send a frame as JSON when online; false (nothing sent, nothing queued) otherwise. */
    send(frame) {
      if (!handle.online) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    /** Reconnect now, without waiting for the back-off (and starting it over). */
    retryNow() {
      if (!handle.online) socket.retryNow();
    },
    /** Stop until `retryNow()` (the browser said it is offline). */
    pause() {
      socket.close();
      down(null);
    },
    /** Close for good. */
    close() {
      if (network) {
        network.removeEventListener("online", handle.retryNow);
        network.removeEventListener("offline", handle.pause);
      }
      socket.close();
    },
  };
  if (network) {
    network.addEventListener("online", handle.retryNow);
    network.addEventListener("offline", handle.pause);
  }
  return handle;
}

/** `ws:` or `wss:` URL for `path` on the origin `origin` (an http(s) URL). */
export function socketUrl(origin, path) {
  const base = new URL(origin);
  return (base.protocol === "https:" ? "wss:" : "ws:") + "//" + base.host + path;
}
