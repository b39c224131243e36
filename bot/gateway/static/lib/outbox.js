/* The widget's outbox: every message the resident sends waits here, with its client message id,
 * until the server echoes the stored message with the same id (not the same text: two identical
 * messages are two messages, and a message another tab sent is not ours). Kept in localStorage so
 * a reload or a closed tab loses nothing; resent after every reconnect, which the server makes
 * safe by storing a client id once (bot/gateway/relay.py).
 *
 * Pure apart from the injected storage and random source (tests/js/outbox.test.mjs). */

/** A random UUID (v4). crypto.randomUUID needs a secure context (https or localhost); a gateway
 * reached over plain http on a LAN has only getRandomValues, which is enough. */
export function newClientId(source = globalThis.crypto) {
  if (source && typeof source.randomUUID === "function") return source.randomUUID();
  const b = source.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/; // what the server accepts (bot/gateway/transcript.py)

export class Outbox {
  /** `storage`: a localStorage-like object (or null); `limit`: how many may wait while offline. */
  constructor({ storage = null, key = "wuye_outbox", limit = 10, newId = newClientId } = {}) {
    this.storage = storage;
    this.key = key;
    this.limit = limit;
    this.newId = newId;
    this.entries = this._restore();
  }

  get size() {
    return this.entries.length;
  }

  full() {
    return this.entries.length >= this.limit;
  }

  /** A new entry `{client_id, text, payload}`; the page may hang its own fields on it. */
  add(text, payload) {
    const entry = { client_id: this.newId(), text, payload: payload || null };
    this.entries.push(entry);
    this.save();
    return entry;
  }

  /** The server stored the message with this client id: its entry leaves (returned), or null. */
  settle(clientId) {
    if (!clientId) return null;
    return this._remove((entry) => entry.client_id === clientId);
  }

  /** The server refused a message (too many too fast): its entry leaves, found by client id (by
   * text only for a server that did not name the id). */
  giveBack(clientId, text) {
    return clientId ? this._remove((entry) => entry.client_id === clientId) : this._remove((entry) => entry.text === text);
  }

  /** Entries not yet sent over connection number `connection` (each reconnect sends them again). */
  unsent(connection) {
    return this.entries.filter((entry) => entry.sentOn !== connection);
  }

  save() {
    if (!this.storage) return;
    const kept = this.entries.map((entry) => ({ client_id: entry.client_id, text: entry.text, payload: entry.payload }));
    try {
      this.storage.setItem(this.key, JSON.stringify(kept));
    } catch (e) {
      /* private mode or a full storage: the outbox lives on in this page */
    }
  }

  _remove(match) {
    const i = this.entries.findIndex(match);
    if (i < 0) return null;
    const [entry] = this.entries.splice(i, 1);
    this.save();
    return entry;
  }

  _restore() {
    let stored = [];
    try {
      stored = JSON.parse((this.storage && this.storage.getItem(this.key)) || "[]");
    } catch (e) {
      stored = [];
    }
    if (!Array.isArray(stored)) return [];
    // Entries saved by an older widget had no client id: they get one now, once.
    return stored
      .filter((entry) => entry && typeof entry.text === "string" && entry.text)
      .map((entry) => ({
        client_id: typeof entry.client_id === "string" && CLIENT_ID.test(entry.client_id) ? entry.client_id : this.newId(),
        text: entry.text,
        payload: typeof entry.payload === "string" ? entry.payload : null,
      }));
  }
}
