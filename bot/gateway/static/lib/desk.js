/* What the two desks (agent console, trainer console) and their login page share: the API with
 * the session's X-CSRF-Token (every POST needs it; bot/gateway/agent_auth.py) that reloads into
 * the login form when the session ended, and the sentence for a lost connection. */

import { createApi, problem } from "./api.js";

export const NETWORK_ERROR = "网络异常，请稍后再试";

const csrf = document.querySelector('meta[name="csrf-token"]');

/** The logged-in desk's API; a 401 (the session expired or was closed) reloads into the login form. */
export const api = createApi({
  headers: () => (csrf ? { "X-CSRF-Token": csrf.content } : {}),
  onUnauthorized: () => location.reload(),
});

/** The sentence to show for a failed call: the server's, else the network one or `fallback`. */
export function failure(res, fallback) {
  return problem(res, fallback, NETWORK_ERROR);
}
