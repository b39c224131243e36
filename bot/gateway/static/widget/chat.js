/* The resident chat (the gateway's own page, also what the launcher's iframe shows).
 *
 * - Texts, limits and the satisfaction levels come from the server (`config`, see
 *   bot/gateway/widget_config.py); this file has no text of its own.
 * - Every message the resident sends gets a client message id and waits in the outbox
 *   (lib/outbox.js, also in localStorage) until the server echoes the stored message with that id.
 *   Typed while offline, it shows as a pending bubble; after every reconnect the outbox is sent
 *   again, and the server stores a client id once (no double message, no second bot turn).
 * - The socket (lib/socket.js) reconnects with the one back-off policy behind an offline banner with
 *   「立即重试」. After every (re)open the widget asks `GET /api/resident/history?after=<last id>`
 *   for what it missed, then sends its outbox; messages are merged by id (lib/timeline.js), so
 *   each is shown once and in order however it arrives.
 * - A callback (回访) question (a bot message whose frame carries `callback`) gets its answer card
 *   right under it (widget/callback.js); the stored answer removes it.
 * - A periodic satisfaction survey the resident has not answered is offered once per page, after
 *   the first history (widget/survey.js).
 * - The first screen offers starter buttons (报修, 咨询, 投诉, 紧急求助, from the config): one sends its
 *   words as the resident's first message, the others show what to write (and the numbers to call).
 * - Phone numbers in messages and notices are tel: links (lib/phones.js); the input takes at most
 *   the server's `max_text_length` and says so politely when it is reached.
 * - Everything is drawn with textContent (lib/el.js), never innerHTML. */

import { createApi, problem } from "../lib/api.js";
import { detach, el } from "../lib/el.js";
import { Outbox } from "../lib/outbox.js";
import { fillWithPhones } from "../lib/phones.js";
import { openSocket, socketUrl } from "../lib/socket.js";
import { Timeline } from "../lib/timeline.js";
import { stamp } from "../lib/time.js";
import { callbackCards } from "./callback.js";
import { offerSurvey } from "./survey.js";

const TOKEN_KEY = "wuye_resident_token";
const OUTBOX_KEY = "wuye_outbox";
const COMMUNITY_KEY = "wuye_community"; // the community this browser last chatted with
const FLUSH_SPACING_MS = 400; // a long outbox stays under the gateway's rate limit
const TYPING_TIMEOUT_MS = 70000;

function fill(template, values) {
  // "{agent}" and the like: placeholders the server left for the widget.
  return template.replace(/\{(\w+)\}/g, (_, name) => (values[name] === undefined ? "" : String(values[name])));
}

function storage() {
  try {
    return window.localStorage;
  } catch (e) {
    return null; // storage disabled: the outbox lives in this page only
  }
}

export function start(CONFIG, origin) {
  const css = el("link");
  css.rel = "stylesheet";
  css.href = origin + "/static/widget.css";
  document.head.appendChild(css);

  const TEXT = CONFIG.texts;
  const AVATAR = { resident: TEXT.avatarResident, bot: TEXT.avatarBot, agent: TEXT.avatarAgent };
  const LEVELS = CONFIG.satisfaction.map((s) => s.level);
  const PHOTO_TYPES = CONFIG.photo.types;
  // The community: the page's (/c/<slug>, data-community), else the one remembered, else the
  // server's default. Each community has its own conversation, token and outbox in this browser.
  const remembered = storage() ? storage().getItem(COMMUNITY_KEY) : null;
  let community = CONFIG.community || remembered || "";
  const scoped = (key) => (community ? key + ":" + community : key);
  const outbox = new Outbox({ storage: storage(), key: scoped(OUTBOX_KEY), limit: CONFIG.outbox_size });
  const timeline = new Timeline();
  const shown = new Map(); // message id → its node, to place a late message before the next one
  let token = null;
  let started = false; // the first history is in: welcome shown, outbox bubbles drawn
  let historyLoaded = false;
  let typingTimer = null;

  const api = createApi({
    base: origin,
    headers: () => (token ? { Authorization: "Bearer " + token } : {}),
    onUnauthorized: () => { token = null; }, // signed by another secret: ask for a session again
  });

  // ---------------------------------------------------------------- the page
  const app = el("div", "wy-app");
  const header = el("header", "wy-header");
  const headStatus = el("span", "wy-status", TEXT.statusBot);
  header.appendChild(el("span", "wy-title", TEXT.title));
  const headCommunity = el("span", "wy-community", "");
  headCommunity.setAttribute("data-testid", "community");
  header.appendChild(headCommunity);
  header.appendChild(headStatus);
  const offline = el("div", "wy-offline");
  offline.setAttribute("data-testid", "offline-notice");
  offline.setAttribute("role", "status");
  offline.hidden = true;
  const offlineRetry = el("button", "wy-retry", TEXT.retry);
  offlineRetry.type = "button";
  offlineRetry.setAttribute("data-testid", "offline-retry");
  offline.appendChild(el("span", "", TEXT.offline));
  offline.appendChild(offlineRetry);
  const list = el("ol", "wy-list");
  list.setAttribute("aria-live", "polite");
  const typingItem = el("li", "wy-msg wy-bot wy-typing");
  typingItem.setAttribute("data-testid", "typing-indicator");
  typingItem.appendChild(el("div", "wy-avatar", AVATAR.bot));
  const typingBody = el("div", "wy-body");
  typingBody.appendChild(el("div", "wy-bubble", TEXT.typing));
  typingItem.appendChild(typingBody);
  const quick = el("div", "wy-quick");
  const bar = el("form", "wy-bar");
  const photo = el("button", "wy-photo-button", TEXT.photoButton);
  photo.type = "button";
  photo.setAttribute("data-testid", "chat-photo");
  photo.setAttribute("aria-label", TEXT.photoLabel);
  const photoInput = el("input");
  photoInput.type = "file";
  photoInput.accept = PHOTO_TYPES.join(",");
  photoInput.hidden = true;
  photoInput.setAttribute("data-testid", "chat-photo-input");
  const input = el("textarea", "wy-input");
  input.rows = 1;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("data-testid", "chat-input");
  input.setAttribute("aria-label", TEXT.inputLabel);
  input.maxLength = CONFIG.max_text_length;
  const limit = el("div", "wy-limit", TEXT.tooLong);
  limit.setAttribute("data-testid", "input-limit");
  limit.setAttribute("role", "status");
  limit.hidden = true;
  const send = el("button", "wy-send", TEXT.send);
  send.type = "submit";
  send.setAttribute("data-testid", "chat-send");
  [photo, photoInput, input, send].forEach((node) => bar.appendChild(node));
  [header, offline, list, quick, limit, bar].forEach((node) => app.appendChild(node));
  document.body.appendChild(app);

  const clock = (iso) => stamp(iso, "MM-DD HH:mm");
  const scroll = () => { list.scrollTop = list.scrollHeight; };

  function append(node) {
    // The typing bubble stays the last item while it is shown.
    if (typingItem.parentNode === list) list.insertBefore(node, typingItem);
    else list.appendChild(node);
    scroll();
  }

  function place(node, spot) {
    // A stored message goes before the next shown one (a resync filling a gap), else at the end.
    const next = spot.before === null ? null : shown.get(spot.before);
    if (next && next.parentNode === list) {
      list.insertBefore(node, next);
      scroll();
    } else {
      append(node);
    }
  }

  function notice(text, cls) {
    const li = fillWithPhones(el("li", "wy-notice " + (cls || "")), text);
    li.setAttribute("data-testid", "chat-notice");
    append(li);
    return li;
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    if (on) {
      list.appendChild(typingItem);
      typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
      scroll();
    } else {
      detach(typingItem);
    }
  }

  function showStarters() {
    // The first screen: what the resident can start with, one tap each.
    quick.textContent = "";
    quick.setAttribute("data-starters", "true");
    quick.appendChild(el("span", "wy-starters-label", TEXT.startersLabel));
    (CONFIG.starters || []).forEach((s) => {
      const chip = el("button", "wy-chip wy-starter" + (s.kind === "emergency" ? " wy-starter-emergency" : ""), s.title);
      chip.type = "button";
      chip.setAttribute("data-testid", "starter");
      chip.setAttribute("data-kind", s.kind);
      chip.addEventListener("click", () => {
        if (s.message) { sendText(s.message); return; }
        const li = notice(s.prompt, "wy-prompt" + (s.kind === "emergency" ? " wy-prompt-urgent" : ""));
        li.setAttribute("data-testid", "starter-prompt");
        li.setAttribute("data-kind", s.kind);
        input.focus();
      });
      quick.appendChild(chip);
    });
  }

  function showButtons(buttons) {
    quick.textContent = "";
    quick.removeAttribute("data-starters");
    (buttons || []).forEach((b) => {
      const chip = el("button", "wy-chip", b.title);
      chip.type = "button";
      chip.setAttribute("data-testid", "quick-reply");
      chip.addEventListener("click", () => sendText(b.title, b.payload));
      quick.appendChild(chip);
    });
  }

  // ---------------------------------------------------------------- satisfaction rating
  let ratingPanel = null;

  function hideRating() {
    detach(ratingPanel);
    ratingPanel = null;
  }

  function showRating(resolution) {
    hideRating();
    const li = el("li", "wy-rating");
    li.setAttribute("data-testid", "rating-panel");
    li.appendChild(el("div", "wy-rating-title", TEXT.ratePrompt));
    const row = el("div", "wy-rating-options");
    const buttons = LEVELS.map((level) => {
      const b = el("button", "wy-rating-option", level);
      b.type = "button";
      b.setAttribute("data-testid", "rating-option");
      b.setAttribute("data-level", level);
      b.addEventListener("click", () => rate(level, resolution, buttons));
      row.appendChild(b);
      return b;
    });
    li.appendChild(row);
    ratingPanel = li;
    append(li);
  }

  function rate(level, resolution, buttons) {
    buttons.forEach((b) => { b.disabled = true; });
    api("POST", "/api/resident/rating", { level, resolution }).then((res) => {
      if (res.ok && res.data.message) { render(res.data.message); return; }
      notice(problem(res, TEXT.rateFailed));
      if (res.status === 409) hideRating();
      else buttons.forEach((b) => { b.disabled = false; });
    });
  }

  // ---------------------------------------------------------------- callbacks (回访)
  const callbacks = callbackCards({ text: TEXT, levels: LEVELS, api, render, notice, scroll });

  // ---------------------------------------------------------------- messages
  function photoUrl(attachment) {
    return origin + attachment.url + "?token=" + encodeURIComponent(token);
  }

  function bubble(m) {
    const b = el("div", "wy-bubble");
    if (m.attachment && /^\/api\/attachments\/\d+$/.test(m.attachment.url)) {
      b.className += " wy-bubble-photo";
      const img = el("img", "wy-photo");
      img.alt = m.attachment.filename || TEXT.photoAlt;
      img.src = photoUrl(m.attachment);
      img.setAttribute("data-testid", "chat-image");
      img.addEventListener("click", () => img.classList.toggle("wy-photo-large"));
      img.addEventListener("load", scroll);
      b.appendChild(img);
    } else {
      fillWithPhones(b, m.text);
    }
    return b;
  }

  function render(m) {
    const spot = timeline.add(m.id);
    if (spot === null) return; // shown already (its echo and a resync, or two resyncs)
    if (m.role === "system") {
      const li = fillWithPhones(el("li", "wy-notice wy-system" + (m.event === "join" || m.event === "leave" || m.event === "released" ? " wy-agent-event" : "")), m.text);
      li.setAttribute("data-testid", "chat-notice");
      if (m.event) li.setAttribute("data-event", m.event);
      shown.set(m.id, li);
      place(li, spot);
      callbacks.message(m, li);
      // "released": the agent's account was disabled and the conversation waits for another agent.
      if (m.agent && (m.event === "join" || m.event === "leave" || m.event === "released")) {
        headStatus.textContent = m.event === "join" ? fill(TEXT.statusAgent, { agent: m.agent }) : TEXT.statusBot;
      }
      if (m.event === "resolved") { headStatus.textContent = TEXT.statusBot; showRating(m.id); }
      if (m.event === "rated") hideRating();
      return;
    }
    if (m.role === "resident") settled(m.client_id);
    const item = el("li", "wy-msg wy-" + m.role);
    item.setAttribute("data-testid", "chat-message");
    item.setAttribute("data-role", m.role);
    item.setAttribute("data-id", String(m.id));
    if (m.event) item.setAttribute("data-event", m.event); // e.g. "escalated": an emergency nobody has claimed yet
    item.appendChild(el("div", "wy-avatar", AVATAR[m.role] || "?"));
    const body = el("div", "wy-body");
    const who = m.role === "agent" ? fill(TEXT.metaAgent, { agent: m.agent }) : m.role === "bot" ? TEXT.metaBot : "";
    body.appendChild(el("div", "wy-meta", who + clock(m.created_at)));
    body.appendChild(bubble(m));
    item.appendChild(body);
    shown.set(m.id, item);
    place(item, spot);
    callbacks.message(m, item);
    if (spot.before !== null) return; // an older message filled in: the conversation's state is later
    if (m.role === "bot" || m.role === "agent") setTyping(false);
    if (m.role === "bot") showButtons(m.buttons);
    else if (m.role === "resident") showButtons([]);
  }

  // ---------------------------------------------------------------- outbox
  function pendingBubble(entry) {
    if (entry.node) return;
    const li = el("li", "wy-msg wy-resident wy-pending");
    li.setAttribute("data-testid", "chat-pending");
    li.appendChild(el("div", "wy-avatar", AVATAR.resident));
    const body = el("div", "wy-body");
    body.appendChild(el("div", "wy-meta", TEXT.metaPending + clock()));
    body.appendChild(el("div", "wy-bubble", entry.text));
    li.appendChild(body);
    entry.node = li;
    append(li);
  }

  function settled(clientId) {
    // The server stored one of ours: its outbox entry (and pending bubble) leaves, by id.
    const entry = outbox.settle(clientId);
    if (entry) detach(entry.node);
  }

  function giveBack(clientId, text) {
    // A message the gateway refused (too many too fast) leaves the outbox and returns to the input.
    const entry = outbox.giveBack(clientId, text);
    if (entry) detach(entry.node);
    input.value = input.value ? text + "\n" + input.value : text;
  }

  function transmit(entry) {
    const frame = { type: "message", text: entry.text, client_id: entry.client_id };
    if (entry.payload) frame.payload = entry.payload;
    if (socket.send(frame)) entry.sentOn = socket.connection;
  }

  function flush() {
    const connection = socket.connection;
    outbox.unsent(connection).forEach((entry, i) => {
      setTimeout(() => {
        if (socket.online && socket.connection === connection && entry.sentOn !== connection && outbox.entries.includes(entry)) transmit(entry);
      }, i * FLUSH_SPACING_MS);
    });
  }

  function sendText(text, payload) {
    text = (text || "").trim();
    if (!text) { notice(TEXT.empty); return false; }
    if (!socket.online && outbox.full()) { notice(TEXT.outboxFull); return false; }
    const entry = outbox.add(text, payload);
    if (socket.online) transmit(entry);
    else pendingBubble(entry);
    return true;
  }

  input.addEventListener("input", () => {
    // The browser stops typing (and pasting) at maxLength: say why, politely, while it applies.
    limit.hidden = input.value.length < CONFIG.max_text_length;
  });

  bar.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sendText(input.value)) { input.value = ""; limit.hidden = true; }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (sendText(input.value)) { input.value = ""; limit.hidden = true; }
    }
  });

  // ---------------------------------------------------------------- photos
  function upload(file, clientId, progress, retried) {
    const path = "/api/resident/attachments?filename=" + encodeURIComponent(file.name || "photo") + "&client_id=" + encodeURIComponent(clientId);
    api("POST", path, file, { "Content-Type": file.type || "application/octet-stream" }).then((res) => {
      if (res.status === 0 && !retried) {
        // The connection dropped mid-upload: once more with the same client id, which the
        // server stores once whichever attempt reached it.
        setTimeout(() => upload(file, clientId, progress, true), 1000);
        return;
      }
      detach(progress);
      if (res.ok && res.data.message) render(res.data.message);
      else notice(problem(res, TEXT.photoFailed));
    });
  }

  photo.addEventListener("click", () => photoInput.click());
  photoInput.addEventListener("change", () => {
    const file = photoInput.files && photoInput.files[0];
    photoInput.value = "";
    if (!file) return;
    if (file.size > CONFIG.photo.max_bytes) { notice(TEXT.photoTooLarge); return; }
    if (file.type && PHOTO_TYPES.indexOf(file.type) < 0) { notice(TEXT.photoWrongType); return; }
    const progress = notice(TEXT.photoSending);
    progress.setAttribute("data-testid", "photo-progress");
    upload(file, outbox.newId(), progress, false);
  });

  // ---------------------------------------------------------------- connection
  function setOffline(isOffline) {
    offline.hidden = !isOffline;
    app.classList.toggle("wy-online", !isOffline);
  }

  function session() {
    if (token) return Promise.resolve();
    const store = storage();
    // A community's own token; before communities existed there was one (TOKEN_KEY): the server
    // keeps it when its conversation belongs to this community.
    const kept = store ? store.getItem(scoped(TOKEN_KEY)) || store.getItem(TOKEN_KEY) : null;
    return api("POST", "/api/resident/session", { token: kept, community: community || null }).then((res) => {
      if (!res.ok) throw new Error("session");
      token = res.data.token;
      community = res.data.community.slug;
      headCommunity.textContent = res.data.community.name;
      app.setAttribute("data-community", community);
      if (store) {
        store.setItem(scoped(TOKEN_KEY), token);
        store.setItem(COMMUNITY_KEY, community);
      }
      app.setAttribute("data-resident", res.data.resident_id);
    });
  }

  function resync() {
    // What was stored while this page was not listening: everything on the first load, then only
    // what came after the last message shown.
    const after = historyLoaded ? timeline.last : null;
    const query = after === null ? "" : "?after=" + after;
    return api("GET", "/api/resident/history" + query).then((res) => {
      if (!res.ok) return;
      (res.data.messages || []).forEach(render);
      historyLoaded = true;
    });
  }

  function opened() {
    setOffline(false);
    resync().then(() => {
      if (!started) {
        started = true;
        if (!list.children.length) { notice(TEXT.welcome); if (!outbox.entries.length) showStarters(); }
        outbox.entries.forEach(pendingBubble);
        offerSurvey({ text: TEXT, api, append, notice });
      }
      flush();
    });
  }

  function lost() {
    setTyping(false);
    setOffline(true);
    if (started) outbox.entries.forEach(pendingBubble); // sent but not confirmed: shown as waiting
    else if (!list.children.length) notice(TEXT.startFailed);
  }

  const socket = openSocket({
    url: () => session().then(() => socketUrl(origin, "/ws/resident?token=" + encodeURIComponent(token) + "&features=typing,refused")),
    network: window,
    onOpen: opened,
    onOffline: lost,
    onClose: (event) => { if (event && event.code === 4401) token = null; }, // signed by another secret
    onFrame: (frame) => {
      if (frame.type === "message") render(frame.message);
      else if (frame.type === "notice") { notice(frame.text); if (frame.refused) giveBack(frame.client_id, frame.refused); }
      else if (frame.type === "typing") setTyping(!!frame.on);
    },
  });
  offlineRetry.addEventListener("click", () => socket.retryNow());
}
