/* The pages' HTTP calls: JSON in and out, the page's own headers (the desks' X-CSRF-Token, the
 * widget's Bearer token), and failures turned into something polite to show. A call never
 * rejects: a lost connection is `{ok: false, status: 0}`, a reply that is not JSON (a proxy's
 * error page) has empty `data`; `problem()` picks the sentence to show. */

function raw(body) {
  return typeof Blob !== "undefined" && body instanceof Blob;
}

/** `call(method, path, body?, headers?)` → `{ok, status, data}`. A Blob or File body is sent as
 * it is (a photo), anything else as JSON. `onUnauthorized` runs on a 401 (the desks reload into
 * the login form; the widget asks for a new session). */
export function createApi({ base = "", headers = () => ({}), onUnauthorized = null, fetch: fetchImpl = (...args) => globalThis.fetch(...args) } = {}) {
  return async function call(method, path, body, extraHeaders) {
    const options = { method, credentials: "same-origin", headers: { ...headers(), ...(extraHeaders || {}) } };
    if (raw(body)) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let reply;
    try {
      reply = await fetchImpl(base + path, options);
    } catch (error) {
      return { ok: false, status: 0, data: {} };
    }
    if (reply.status === 401 && onUnauthorized) onUnauthorized(reply);
    let data = {};
    try {
      data = await reply.json();
    } catch (error) {
      data = {};
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) data = {};
    return { ok: reply.ok, status: reply.status, data };
  };
}

/** What to tell the user about a failed call: the server's own (polite, catalogue-worded) error
 * when it sent one; else the page's sentence for a lost connection (status 0) or for the rest. */
export function problem(res, fallback, offline = fallback) {
  const error = res && res.data && res.data.error;
  if (typeof error === "string" && error) return error;
  return res && res.status === 0 ? offline : fallback;
}
