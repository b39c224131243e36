/* The callback (回访) card in the chat: under a callback question from the assistant (a stored bot message
 * whose frame carries `callback`: {id, ticket, kind, attempt}; bot/gateway/callback_sender.py), two
 * buttons (fixed or not), the five levels of the one satisfaction scale (from the widget's config),
 * a remark, and a submit button posting to POST /api/resident/callback. The stored answer (a system
 * message with event "callback_answered" and the same `callback.id`) removes the card.
 *
 * The chat merges messages by id (lib/timeline.js) and hands each one here once, with its node, in
 * whatever order they arrive (its live frame, the history, a resync after a reconnect): an answer
 * seen first means no card for its question; a card sits right under its question.
 *
 * No text of its own: every text comes from the server (`text`, the widget's config), all through
 * textContent (lib/el.js). */

import { problem } from "../lib/api.js";
import { button, detach, el } from "../lib/el.js";

export const ANSWERED = "callback_answered"; // the system message's event (bot/gateway/callback_routes.py)

/**
 * `text`: the widget's texts; `levels`: the scale's labels, best first; `api`: the chat's API (the
 * resident's token); `render(message)`: draw a stored message (the answer the server returns);
 * `notice(text)`: a line for the resident; `scroll()`: after a card was placed.
 */
export function callbackCards({ text: TEXT, levels, api, render, notice, scroll = () => {} }) {
  const cards = new Map(); // callback id → its card
  const answered = new Set(); // callback ids whose answer is stored

  function choices(testid, options, onPick) {
    const row = el("div", "wy-callback-options");
    const group = options.map(({ label, attrs, value }) => {
      const b = button(label, testid, "wy-callback-choice");
      b.setAttribute("aria-pressed", "false");
      Object.entries(attrs).forEach(([name, v]) => b.setAttribute(name, v));
      b.addEventListener("click", () => {
        group.forEach((other) => other.setAttribute("aria-pressed", "false"));
        b.setAttribute("aria-pressed", "true");
        onPick(value);
      });
      row.appendChild(b);
      return b;
    });
    return row;
  }

  function card(callback) {
    const li = el("li", "wy-callback");
    li.setAttribute("data-testid", "callback-card");
    li.setAttribute("data-callback", String(callback.id));
    li.appendChild(el("div", "wy-callback-title", TEXT.callbackTitle + " · " + callback.ticket));
    const answer = { resolved: null, level: null };
    const submit = button(TEXT.callbackSubmit, "callback-submit", "wy-callback-submit");
    submit.disabled = true;
    const ready = () => { submit.disabled = answer.resolved === null || answer.level === null; };

    li.appendChild(el("div", "wy-callback-question", TEXT.callbackResolvedQuestion));
    li.appendChild(choices("callback-resolved", [
      { label: TEXT.callbackResolved, attrs: { "data-value": "yes" }, value: true },
      { label: TEXT.callbackUnresolved, attrs: { "data-value": "no" }, value: false },
    ], (value) => { answer.resolved = value; ready(); }));
    li.appendChild(el("div", "wy-callback-question", TEXT.callbackLevelQuestion));
    li.appendChild(choices("callback-level", levels.map((level) => ({ label: level, attrs: { "data-level": level }, value: level })),
      (value) => { answer.level = value; ready(); }));

    const remark = el("textarea", "wy-callback-remark");
    remark.rows = 2;
    remark.maxLength = 500;
    remark.placeholder = TEXT.callbackRemark;
    remark.setAttribute("data-testid", "callback-remark");
    remark.setAttribute("aria-label", TEXT.callbackRemark);
    li.appendChild(remark);
    li.appendChild(submit);

    submit.addEventListener("click", () => {
      submit.disabled = true;
      const body = { callback: callback.id, resolved: answer.resolved, level: answer.level, remark: remark.value };
      api("POST", "/api/resident/callback", body).then((res) => {
        if (res.ok && res.data.message) { render(res.data.message); return; } // the answer removes the card
        notice(problem(res, TEXT.callbackFailed));
        if (res.status === 409 || res.status === 404) remove(callback.id); // answered elsewhere, or gone
        else ready();
      });
    });
    return li;
  }

  function remove(id) {
    detach(cards.get(id));
    cards.delete(id);
  }

  return {
    /** Every message the chat draws, once, with the node it drew for it. */
    message(m, node) {
      const callback = m.callback;
      if (!callback || typeof callback.id !== "number") return;
      if (m.event === ANSWERED) {
        answered.add(callback.id);
        remove(callback.id);
        return;
      }
      if (m.role !== "bot" || cards.has(callback.id) || answered.has(callback.id) || !node || !node.parentNode) return;
      const li = card(callback);
      cards.set(callback.id, li);
      node.parentNode.insertBefore(li, node.nextSibling); // right under its question
      scroll();
    },
  };
}
