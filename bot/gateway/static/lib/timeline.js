/* Merging messages by their server id: a message is shown once, in id order, however it arrives
 * (its echo over the socket, a history load, the resync after a reconnect, all in any order).
 *
 * Pure: the pages keep one Timeline per transcript and place each message's node where `add`
 * says (tests/js/timeline.test.mjs). */

export class Timeline {
  constructor() {
    this.ids = []; // ascending
  }

  /** The largest id shown, or null before the first message (what `?after=` asks past). */
  get last() {
    return this.ids.length ? this.ids[this.ids.length - 1] : null;
  }

  has(id) {
    const i = this._search(id);
    return i < this.ids.length && this.ids[i] === id;
  }

  /** Record `id`. Null when it is shown already (nothing to draw); otherwise `{before}`: the id of
   * the shown message it goes in front of, or null when it goes after all of them. */
  add(id) {
    if (typeof id !== "number" || !Number.isFinite(id)) return { before: null }; // not a stored message: at the end
    const i = this._search(id);
    if (i < this.ids.length && this.ids[i] === id) return null;
    this.ids.splice(i, 0, id);
    return { before: i + 1 < this.ids.length ? this.ids[i + 1] : null };
  }

  clear() {
    this.ids = [];
  }

  _search(id) {
    let lo = 0, hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
